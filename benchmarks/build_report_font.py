"""Build pipeline/resources/report_font.woff: the font the HTML report embeds (run by hand).

The report must show Chinese on a machine without a Chinese font, so it embeds the glyphs
it uses. Subsetting the full Noto Sans SC (8 MB, 30,000+ glyphs) for every page takes
seconds; this script makes, once, a base subset of the characters news text uses: the 6,000
most frequent CJK characters of jieba 0.42.1's dictionary (weighted by word frequency), the
traditional forms of the 4,000 most frequent (OpenCC s2t), ASCII and CJK punctuation. The
report stage then subsets this base to the page's own characters (about a second).

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
    font.flavor = "woff"
    font.save(buf)
    out.write_bytes(buf.getvalue())
    print(f"wrote {out} ({len(buf.getvalue()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
