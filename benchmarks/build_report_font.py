"""Build pipeline/resources/report_font.woff: the font the HTML report embeds (run by hand).

The report must show Chinese on a machine without a Chinese font, so it embeds the glyphs
it uses. Subsetting the full Noto Sans SC (8 MB, 30,000+ glyphs) for every page takes
seconds; this script makes, once, a base subset of the characters news text uses: the 6,000
most frequent CJK characters of jieba 0.42.1's dictionary (weighted by word frequency), the
traditional forms of the 4,000 most frequent (OpenCC s2t), ASCII and CJK punctuation. The
report stage then subsets this base to the page's own characters.

Since session 12 the base's outlines are TrueType (quadratic, ``glyf``), converted from the
source's CFF cubic outlines with fontTools' cu2qu at a tolerance of 1 font unit in 1,000 (the
conversion recipe of fontTools' ``Snippets/otf2ttf.py``): a ``glyf`` glyph is copied as it is
stored, so the page's subset takes about a tenth of the time a CFF one does (whose charstrings
fontTools interprets in Python to find the glyphs' subroutines and bounds).

Source font: Noto Sans SC Regular, from the pylopdf-fonts-zh-cn package (SIL Open Font
Licence 1.1, which allows embedding and subsetting; see pipeline/resources/README.md).

    python benchmarks/build_report_font.py [OUT]
"""
from __future__ import annotations

import collections
import io
import pathlib
import sys

PUNCTUATION = "，。、；：？！“”‘’（）《》〈〉【】〔〕—…·「」『』％＋－～／＜＞＝"


def base_characters(n_common: int = 6000, n_traditional: int = 4000) -> str:
    import jieba
    import opencc

    freq: collections.Counter = collections.Counter()
    for line in open(pathlib.Path(jieba.__file__).parent / "dict.txt", encoding="utf-8"):
        word, count, _ = line.split(" ")
        for ch in word:
            freq[ch] += int(count)
    common = [c for c, _ in freq.most_common() if "\u3400" <= c <= "\u9fff"][:n_common]
    s2t = opencc.OpenCC("s2t")
    traditional = {s2t.convert(c) for c in common[:n_traditional]}
    ascii_ = {chr(i) for i in range(0x20, 0x7F)}
    return "".join(sorted(set(common) | traditional | ascii_ | set(PUNCTUATION)))


def to_truetype(font, max_err: float = 1.0) -> None:
    """Replace ``font``'s CFF outlines by quadratic TrueType ones (``glyf``, ``loca``, version-1 ``maxp``),
    in place: fontTools' Snippets/otf2ttf.py recipe."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    maxp.maxTwilightPoints = maxp.maxStorage = maxp.maxFunctionDefs = maxp.maxInstructionDefs = 0
    maxp.maxStackElements = maxp.maxSizeOfInstructions = maxp.maxComponentElements = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames, post.mapping, post.glyphOrder = [], {}, order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\000\001\000\000"


def main(argv: list[str]) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from pylopdf_fonts_zh_cn import sans_path

    out = pathlib.Path(argv[0]) if argv else (pathlib.Path(__file__).resolve().parents[1]
                                               / "pipeline" / "resources" / "report_font.woff")
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    font = TTFont(sans_path(), lazy=True, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=base_characters())
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)  # the subset as a font of its own, then its outlines made TrueType
    font = TTFont(io.BytesIO(buf.getvalue()), recalcTimestamp=False)
    to_truetype(font)
    buf = io.BytesIO()
    font.flavor = "woff"
    font.save(buf)
    out.write_bytes(buf.getvalue())
    print(f"wrote {out} ({len(buf.getvalue()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
