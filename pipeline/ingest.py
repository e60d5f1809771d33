"""Stage 1, ingest: files and corpus rows in, one UTF-8 article record each out.

Inputs: a folder of article files (plain text in any common encoding, or HTML),
optionally with a ``metadata.csv`` sidecar, or a single corpus file (``.jsonl``,
``.jsonl.gz``, ``.csv``), one article a row. Every input ends up either as a
record or as a skip with its reason in the manifest.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from . import records
from .config import ARTICLES, MAX_FILE_BYTES, METADATA_FILE, RESOURCES
from .runner import ArticleStage, Skip, Skipped, map_ranges, read_range

FIELDS = ("outlet", "author", "title", "published", "url", "site", "platform", "editor")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
CORPUS_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".csv")

# Field names accepted in corpus rows, in order of preference.
ROW_KEYS = {
    "text": ("text", "content", "body", "article", "正文", "内容"),
    "id": ("id", "doc_id", "article_id", "_id"),
    "outlet": ("outlet", "media", "site", "sitename", "publisher", "来源", "媒体"),
    "author": ("author", "byline", "作者"),
    "title": ("title", "headline", "标题"),
    "published": ("published", "date", "pubdate", "publish_time", "time", "日期"),
    "url": ("url", "original_url", "link", "链接"),
}

MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
    (b"RIFF", "RIFF media file"),
)


# ------------------------------------------------------------------ decoding


def sniff_binary(data: bytes) -> str | None:
    """The kind of binary file ``data`` is, or None for text."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if 0 in data[:4096] and not utf16_without_bom(data) and not _utf8_with_stray_nuls(data):
        return "binary file (NUL bytes)"
    return None


def _utf8_with_stray_nuls(data: bytes) -> bool:
    """Valid UTF-8 with a stray NUL byte (one, or up to 1 % of the bytes): a text file, whose
    NULs :func:`clean_text` drops, not a binary file."""
    if data.count(0) > max(1, len(data) // 100):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _readable(text: str) -> bool:
    """Mostly CJK, letters, digits, punctuation and spaces: what a text file holds."""
    if not text:
        return False
    odd = sum(1 for ch in text if unicodedata.category(ch)[0] in "CZ" and ch not in " \n\r\t\u3000"
              or unicodedata.category(ch) == "Co")
    return odd / len(text) < 0.02


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when ``data`` reads as UTF-16 text without a BOM."""
    if len(data) < 2 or len(data) % 2:
        return None
    sample = data[:8192]
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            continue
        if _readable(text):
            return enc
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Bytes to text and the encoding found. Raises Skip when nothing sensible comes out."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[2:].decode(enc, errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if 0 in data[:4096] and (enc := utf16_without_bom(data)):
        return data.decode(enc, errors="replace"), enc
    from charset_normalizer import from_bytes

    # Chinese text is the expected case: try the Chinese encodings first, then let
    # charset-normalizer choose among everything it knows.
    best = from_bytes(data, cp_isolation=["gb18030", "big5", "big5hkscs", "utf_8"]).best()
    if best is None or best.chaos > 0.3:
        # a Chinese page with a few stray bytes fails every strict read: keep the Chinese codec
        # whose text is common Chinese characters before letting any codec win
        if found := _chinese_with_stray_bytes(data):
            return found
        best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    # A few stray bytes make every codec fail strictly: take the page's declared
    # charset, else the Chinese codec with the fewest replacement characters.
    declared = _declared_charset(data[:4096])
    candidates = [declared] if declared else ["gb18030", "big5"]
    text, enc = min(((data.decode(enc, errors="replace"), enc) for enc in candidates), key=lambda te: te[0].count("\ufffd"))
    if text.count("\ufffd") > len(text) // 100:
        raise Skip("undecodable bytes: no text encoding fits")
    return text, f"{enc} (with {text.count(chr(0xfffd))} undecodable bytes replaced)"


def _common_chars() -> frozenset[str]:
    global _COMMON
    try:
        return _COMMON
    except NameError:
        from .config import RESOURCES

        lines = (RESOURCES / "common_chars.txt").read_text(encoding="utf-8").splitlines()
        _COMMON = frozenset("".join(ln for ln in lines if not ln.startswith("#")))
        return _COMMON


def _chinese_with_stray_bytes(data: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5 text with at most one undecodable byte in a thousand whose CJK characters are
    mostly common ones (random bytes read as GB18030 give rare characters), else None."""
    for enc in ("gb18030", "big5hkscs"):
        text = data.decode(enc, errors="replace")
        bad = text.count("\ufffd")
        cjk = [ch for ch in text if "\u3400" <= ch <= "\u9fff"]
        if len(cjk) >= 50 and bad <= max(2, len(text) // 1000):
            common = sum(ch in _common_chars() for ch in cjk)
            if common >= 0.9 * len(cjk):
                return text, f"{enc} (with {bad} undecodable bytes replaced)"
    return None


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs"}


def _declared_charset(head: bytes) -> str | None:
    """The charset an HTML or XML document declares, widened to its superset codec."""
    if not (m := _CHARSET.search(head)):
        return None
    name = (m.group(1) or m.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def sensible_share(text: str) -> float:
    """Share of characters that are letters, digits, CJK, punctuation or whitespace."""
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn")
              and ch not in "\n\r\t")
    return 1.0 - bad / len(text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")


def clean_text(text: str) -> str:
    """Line ends to ``\\n``, control characters and stray BOMs dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


# ------------------------------------------------------------------ HTML


def is_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<body" in text[:65536].lower())


def _trafilatura(html: str, *, with_metadata: bool = True, **options):
    import trafilatura

    html = drop_huge_scripts(html)
    return trafilatura.bare_extraction(html, with_metadata=with_metadata, include_comments=False, include_tables=True,
                                       include_images=False, deduplicate=False, **options)


def _get(doc, key: str):
    return doc.get(key) if isinstance(doc, dict) else getattr(doc, key, None)


def _extraction(html: str) -> tuple[object, str]:
    """trafilatura's extraction and the markup it was made from: a saved fragment (a crawler's
    <text> wrapper, no <html>/<body>) where nothing is found is read again as a page's body."""
    doc = _trafilatura(html)
    if (doc is None or not _get(doc, "text")) and "<body" not in html.lower():
        wrapped = f"<html><body>{html}</body></html>"
        if (again := _trafilatura(wrapped)) is not None and _get(again, "text"):
            return again, wrapped
    return doc, html


def extract_html(html: str) -> tuple[str, dict]:
    """Main text of a web page and trafilatura's metadata, raw (see :func:`html_layers` for the fields)."""
    doc, _ = _extraction(html)
    return _text_and_meta(doc)


def _text_and_meta(doc) -> tuple[str, dict]:
    if doc is None:
        return "", {}
    meta = {"title": _get(doc, "title"), "author": _get(doc, "author"), "published": _get(doc, "date"),
            "outlet": _get(doc, "sitename"), "url": _get(doc, "url")}
    return _get(doc, "text") or "", {k: clean_field(v) for k, v in meta.items() if v}


def extract_page(html: str) -> tuple[str, dict, list[dict], object]:
    """Main text, trafilatura's raw metadata, the HTML's boilerplate hints for strip
    (``[{"line", "reason"}]``, :mod:`pipeline.boilerplate`) and the parsed page (for
    :func:`html_layers`, so the page is parsed once): the text keeps every line the
    recall-oriented extraction finds, and the hints name the lines the page's markup calls
    boilerplate, so strip removes them and lists each."""
    from . import boilerplate, htmlmeta

    doc, html = _extraction(html)
    text, raw = _text_and_meta(doc)
    text = clean_text(text)
    root = htmlmeta.parse(html)
    if not text.strip():
        return text, raw, [], root
    precise = _trafilatura(html, with_metadata=False, favor_precision=True)   # the text only: no date search
    found = boilerplate.hints(text, anchors=boilerplate.anchor_texts(root), comments=boilerplate.comment_texts(root),
                              precise=clean_text(_get(precise, "text") or "") if precise is not None else None)
    return text, raw, [{"line": i, "reason": r} for i, r in sorted(found.items())], root


def html_layers(html: str, text: str, raw: Mapping[str, str], root=None) -> list[tuple]:
    """The metadata layers of a page, best first: the page's own statements (:mod:`pipeline.htmlmeta`),
    then trafilatura's guesses, cleaned to what each field means."""
    from . import htmlmeta, outlets

    page = htmlmeta.read(html, main_text=text, fallback_date=raw.get("published", ""), root=root)
    guesses: dict[str, str] = {}
    if raw.get("title"):
        segments = htmlmeta.title_segments(raw["title"])
        guesses["title"] = next((s for s in segments if not outlets.lookup(s)), "") if segments else ""
    # trafilatura's author is left out: on Chinese pages it is mostly widget text, a site or a place
    if raw.get("outlet"):
        brand = outlets.canonical(raw["outlet"]) or outlets.clean_brand(raw["outlet"])
        guesses["outlet"] = "" if outlets.is_platform(brand) else brand
    if raw.get("published") and (page.values.get("published")
                                 or not htmlmeta.first_of_january(htmlmeta.iso_date(raw["published"]))):
        # the page layer took trafilatura's date as its fallback unless it was a year alone (1 January, a
        # day the page does not show): then it is no guess either
        guesses["published"] = htmlmeta.iso_date(raw["published"])
    if raw.get("url"):
        guesses["url"] = raw["url"]
    return [("html", page.values, page.origin), ("trafilatura", guesses)]


HUGE_NODE = 1_000_000  # characters: a script or style this long is emptied before parsing


def drop_huge_scripts(html: str) -> str:
    """The page with the content of each ``<script>`` or ``<style>`` element over
    :data:`HUGE_NODE` characters left out. libxml2 refuses a text node of 10 MB or more, and
    the whole page then came out empty ("no article text found"); scripts and styles are never
    article text. One pass from left to right: linear in the page, however it is nested."""
    if len(html) <= HUGE_NODE:
        return html
    out, pos = [], 0
    while m := _RAW_TEXT_OPEN.search(html, pos):
        open_end = html.find(">", m.end())
        close = _RAW_TEXT_CLOSE[m.group(1).lower()].search(html, open_end) if open_end >= 0 else None
        if close is None:
            break
        out.append(html[pos:open_end + 1] if close.start() - open_end > HUGE_NODE else html[pos:close.start()])
        pos = close.start()
    out.append(html[pos:])
    return "".join(out)


_RAW_TEXT_OPEN = re.compile(r"<(script|style)\b", re.I)
_RAW_TEXT_CLOSE = {"script": re.compile(r"</script", re.I), "style": re.compile(r"</style", re.I)}


# ------------------------------------------------------------------ metadata


def clean_field(value: object) -> str:
    """A metadata value as one trimmed line: no control characters, no newlines."""
    if value is None:
        return ""
    text = re.sub(r"\s+", " ", str(value))
    return _CONTROL.sub("", text).strip()


_SEP = r"\s*[/|｜丨:：]\s*"
_BYLINE_RULES = (
    # 文 | 华商韬略 耳令 / 文/竇文雪 / 文丨江思遠(yuǎn)
    ("author_or_both", re.compile(rf"^(?:文|撰文|作者|記者|记者){_SEP}(?P<value>.{{1,40}})$")),
    ("editor", re.compile(rf"^(?:編輯|编辑|責編|责编|責任編輯|责任编辑|主編|主编){_SEP}(?P<value>.{{1,20}})$")),
    ("outlet", re.compile(rf"^(?:來源|来源|出品|出品方){_SEP}(?P<value>.{{1,30}})$")),
)
# "光錐智能 葉紅魚": outlet then author, alone on the first line of the article.
_OUTLET_AUTHOR = re.compile(r"^(?P<outlet>[\w\u3400-\u9fff]{2,12})[ \u3000]+(?P<author>[\u3400-\u9fff·]{2,5})$")
_ACCOUNT_FOOTER = re.compile(r"本文(?:来自|來自|转载自|轉載自)(?:微信)?(?:公众号|公眾號)[:：]?\s*[“\"「『]?(?P<value>[^”\"」』,，。\s]{2,30})")
_PLATFORM = re.compile(r"自媒[体體]平[台臺][“\"「](?P<value>[^”\"」]{2,12})[”\"」]")
_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")
_PINYIN_PAREN = re.compile(r"\([a-zü\u00e0-\u01dc\u0300-\u036f]+\)")


def detect_byline(text: str, *, head_lines: int = 8, title: str = "", with_origin: bool = False):
    """Outlet, author and editor named by the article itself (bylines, account footers).

    A first line "outlet author" counts only when it is not part of the title: a headline
    whose words are separated by spaces ("中央政治局委员 书记处书记") is not a byline.
    Then, for what the bylines leave open: the headline of a page saved as text (the line
    above the byline that reads as one), the self-media account card at the foot
    (``晚點LatePost`` above ``2993文章數 21863關注度``), and last the name the article calls
    itself by (``據連線Insight了解`` twice or more). With ``with_origin``, returns
    ``(values, origins)``: which rule gave each value.
    """
    from . import htmlmeta

    in_title = "".join(title.split())
    found: dict[str, str] = {}
    origin: dict[str, str] = {}
    text = _PINYIN_PAREN.sub("", text)
    lines = [ln.strip() for ln in text.split("\n")]
    head = [ln for ln in lines if ln and not _IMAGE.match(ln)][:head_lines]
    for pos, line in enumerate(head):
        for field, rule in _BYLINE_RULES:
            m = rule.match(line)
            if not m:
                continue
            value = m.group("value").strip()
            if field == "author_or_both":
                parts = value.split()
                if len(parts) == 2:
                    found.setdefault("outlet", parts[0])
                    found.setdefault("author", parts[1])
                else:
                    found.setdefault("author", value)
            else:
                found.setdefault(field, value)
        if (pos == 0 and (m := _OUTLET_AUTHOR.match(line)) and not any(r.match(line) for _, r in _BYLINE_RULES)
                and not (in_title and "".join(line.split()) in in_title)):
            found.setdefault("outlet", m.group("outlet"))
            found.setdefault("author", m.group("author"))
    origin.update({k: "byline" for k in found})
    byline_at = next((pos for pos, line in enumerate(head) if any(r.match(line) for _, r in _BYLINE_RULES)), None)
    if byline_at and not in_title and (headline := _plain_headline(head[:byline_at])):
        found["title"], origin["title"] = headline, "byline:headline"
    if "outlet" not in found and (m := _ACCOUNT_FOOTER.search(text)):
        found["outlet"], origin["outlet"] = m.group("value"), "byline:account-footer"
    if "outlet" not in found and (account := _account_card(lines)):
        found["outlet"], origin["outlet"] = account, "byline:account-card"
    if "outlet" not in found and (name := _self_reference(text)):
        found["outlet"], origin["outlet"] = name, "byline:self-reference"
    if m := _PLATFORM.search(text):
        found["platform"], origin["platform"] = m.group("value"), "byline:disclaimer"
    if htmlmeta.PLACE_REPORT_ONLY.fullmatch(found.get("author", "")):  # 本报记者 北京报道: a place, no one named
        del found["author"]
    values = {k: clean_field(v) for k, v in found.items() if clean_field(v)}
    return (values, {k: origin[k] for k in values}) if with_origin else values


_ACCOUNT_STATS = re.compile(r"^\d[\d.,万萬]*\s*(?:文章|篇文章|作品)[数數]?\s*\d[\d.,万萬]*\s*(?:[关關]注度?|粉[丝絲][数數]?)$")
_SELF_REFERENCE = re.compile(r"[据據](?P<name>[\w\u3400-\u9fff]{2,12}?)(?:了解|獲悉|获悉|查[询詢]|梳理|統計|统计)")
_NOT_SELF = re.compile(r"^(?:[记記]者|本[报報台刊]|笔者|筆者|悉|报道|報道|报导|報導|介[绍紹]|[统統][计計]|媒体|媒體|外媒|知情人士|消息人士|.{0,4}(?:[显顯]示|表示|称|稱))|(?:[记記]者|方面|人士)$")


def _plain_headline(lines_before_byline: list[str]) -> str:
    """The headline of a page saved as text: the nearest line above the byline that reads as one
    (6 to 60 characters, no sentence end, no navigation or list separators)."""
    for line in reversed(lines_before_byline):
        if (6 <= len(line) <= 60 and not re.search(r"[。！!]$|[|｜>»]|\s[-–]\s", line)
                and re.search(r"[\u3400-\u9fff]", line) and not line.isdigit()):
            return line
    return ""


def _account_card(lines: list[str]) -> str:
    """The account named in a self-media platform's card at the foot: the name a few lines above
    the account's counts (``2993文章數 21863關注度``)."""
    for n, line in enumerate(lines):
        if _ACCOUNT_STATS.match(line):
            for above in reversed([ln for ln in lines[max(0, n - 4):n] if ln]):
                if 2 <= len(above) <= 20 and not re.search(r"[。，,！？!?]", above):
                    return above
    return ""


def _self_reference(text: str) -> str:
    """The name an article calls its own newsroom by (据X了解), when it does so twice or more."""
    counts: dict[str, int] = {}
    for m in _SELF_REFERENCE.finditer(text):
        name = m.group("name")
        if not _NOT_SELF.search(name):
            counts[name] = counts.get(name, 0) + 1
    for name in sorted(counts, key=lambda n: -counts[n]):
        if text.count(name) >= 2 and _newsroom_like(name):
            return name
    return ""


# What a newsroom's or self-media account's name ends with; a body, a place or a group the news cites
# (据海关统计, 据各地统计, 据何俊仁了解, 据他们了解) is not the article's own outlet.
_MEDIA_END = re.compile(r"(?:[网網]|[报報]|新[闻聞]|[通][讯訊]社|[电電][视視][台臺]|[电電][台臺]|[周週]刊|[杂雜][志誌]|[财財][经經]|"
                        r"[观觀]察|[资資][讯訊]|媒[体體]|[频頻]道)$")
_ORG_END = re.compile(r"(?:[团團][队隊]|小[组組]|部[门門]|政府|[局署厅廳部委会會院所处處]|中心|公司|集[团團])$")


def _newsroom_like(name: str) -> bool:
    """A name the outlet table knows, one ending as a newsroom's does (某某财经, 眾新聞), or a brand of Chinese
    and a Latin word (連線Insight, 晚點LatePost) that is no organisation's or team's (a Latin word alone
    is as often a person: Kelvin)."""
    from . import outlets

    if outlets.lookup(name) or _MEDIA_END.search(name):
        return True
    return bool(re.search(r"[A-Za-z]{4,}", name) and re.search(r"[\u3400-\u9fff]", name)) and not _ORG_END.search(name)





def merge_metadata(layers: Iterable[tuple]) -> tuple[dict[str, str], dict[str, str]]:
    """First non-empty value per field wins; returns (values, provenance).

    A layer is ``(origin, values)`` or ``(origin, values, origins)``: ``origins`` names, per
    field, where in the page the value was read (``meta:og:title``, ``html:header:来源``), and
    is the field's provenance instead of the layer's name."""
    values = {f: "" for f in FIELDS}
    provenance = {f: "unknown" for f in FIELDS}
    for origin, layer, *where in layers:
        detail = where[0] if where else {}
        for field in FIELDS:
            if not values[field] and (value := clean_field(layer.get(field))):
                values[field] = value
                provenance[field] = detail.get(field) or origin
    return values, provenance


def read_sidecar(folder: Path, *, max_bytes: int = MAX_FILE_BYTES) -> tuple[dict[str, dict], list[str]]:
    """``metadata.csv`` rows by file name, and warnings about the sidecar itself. A sidecar
    that cannot be read as a CSV file is ignored with a warning: the articles are still read."""
    path = folder / METADATA_FILE
    if not os.path.lexists(path):
        return {}, []
    try:
        return _sidecar_rows(folder, path, max_bytes)
    except _BadSidecar as exc:
        return {}, [f"{METADATA_FILE}: ignored: {exc}"]


class _BadSidecar(Exception):
    pass


def _sidecar_rows(folder: Path, path: Path, max_bytes: int) -> tuple[dict[str, dict], list[str]]:
    try:
        info = path.stat()  # never open a FIFO (it would wait for a writer) or a folder
    except OSError as exc:
        raise _BadSidecar(f"unreadable: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise _BadSidecar(f"not a regular file ({_file_kind(info.st_mode)})")
    if info.st_size > max_bytes:
        raise _BadSidecar(f"it is {info.st_size:,} bytes, over the {max_bytes:,}-byte cap (--max-bytes)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _BadSidecar(f"unreadable: {exc.strerror or exc}") from None
    if kind := sniff_binary(data):
        raise _BadSidecar(f"not text: {kind}")
    try:
        text, _ = decode(data)
    except Skip as exc:
        raise _BadSidecar(exc.reason) from None
    try:
        return _parse_sidecar(folder, text)
    except csv.Error as exc:
        raise _BadSidecar(f"not a CSV file the csv module can read ({exc})") from None


def _parse_sidecar(folder: Path, text: str) -> tuple[dict[str, dict], list[str]]:
    warnings = []
    rows = {}
    reader = csv.DictReader(io.StringIO(clean_text(text)))
    if not reader.fieldnames or "file" not in reader.fieldnames:
        return {}, [f"{METADATA_FILE}: ignored: it has no 'file' column (columns: file, {', '.join(FIELDS)})"]
    for n, row in enumerate(reader, start=2):
        name = (row.get("file") or "").strip()
        if not name:
            warnings.append(f"{METADATA_FILE} line {n}: no file named")
            continue
        if not (folder / name).is_file() or ".." in Path(name).parts:
            warnings.append(f"{METADATA_FILE} line {n}: file {name!r} does not exist in the input folder")
            continue
        rows[Path(name).as_posix()] = {f: clean_field(row.get(f)) for f in FIELDS}
    return rows, warnings


# ------------------------------------------------------------------ enumerating inputs


def is_corpus(path: Path) -> bool:
    return path.name.lower().endswith(CORPUS_SUFFIXES)


def article_id(text: str) -> str:
    """A safe, readable id: letters, digits, CJK, '-', '_', '.'; anything else replaced."""
    return records.safe_name(text, max_len=120) or "article"


class _Ids:
    """Keeps ids unique within a run: a repeated id gets ``~2``, ``~3`` ..."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, wanted: str) -> tuple[str, str | None]:
        if wanted not in self.seen:
            self.seen[wanted] = 1
            return wanted, None
        self.seen[wanted] += 1
        new = f"{wanted}~{self.seen[wanted]}"
        while new in self.seen:
            self.seen[wanted] += 1
            new = f"{wanted}~{self.seen[wanted]}"
        self.seen[new] = 1
        return new, f"duplicate id {wanted!r}: renamed to {new!r}"


def enumerate_inputs(path: Path, *, max_bytes: int = MAX_FILE_BYTES,
                     warn=lambda msg: None, exclude: Iterable[str] = ()) -> tuple[Iterator[dict | Skipped], dict]:
    """The work items for ``path`` and a description of the inputs for the manifest.

    ``exclude``: files of the folder that are not articles (the story file and the files it
    names), as paths relative to it. The description's lists fill as the iterator is consumed.
    """
    exclude = {METADATA_FILE, *exclude}
    path = Path(path)
    inputs: dict = {"path": path.name, "files": []}
    if not path.exists():
        raise FileNotFoundError(f"input {path} does not exist")
    ids = _Ids()
    if path.is_file():
        items = (_corpus_rows(path, source_name(path.name)[0], ids, inputs, max_bytes) if is_corpus(path)
                 else _file_items(path.parent, [path], {}, ids, inputs, max_bytes))
        return items, inputs
    sidecar, sidecar_warnings = read_sidecar(path, max_bytes=max_bytes)
    inputs["sidecar"] = {"file": METADATA_FILE, "rows": len(sidecar), "warnings": sidecar_warnings} if (
        os.path.lexists(path / METADATA_FILE)) else None
    for message in sidecar_warnings:
        warn(message)
    files, odd = walk_inputs(path)
    files = [p for p in files if p.relative_to(path).as_posix() not in exclude]
    return itertools.chain(_odd_items(odd), _file_items(path, files, sidecar, ids, inputs, max_bytes)), inputs


def walk_inputs(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files under ``root`` in order of their relative paths (hidden ones and the sidecar
    left out), and the entries not read, each with the reason.

    Not followed: symbolic links to folders, and links to anything outside ``root`` (a link
    to /etc/passwd stays out of the report). A dangling or looping link, a FIFO (which would
    hang the run), a socket or device, and a folder that cannot be listed are reported. The
    walk keeps its own stack: a folder 1,100 levels deep is no deeper than any other."""
    top = root.resolve()
    files: list[Path] = []
    odd: list[tuple[str, str]] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            odd.append((_rel(folder, root), f"unreadable folder: {exc.strerror or exc}"))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(".") or (folder == root and entry.name == METADATA_FILE):
                continue
            try:
                reason = _not_read(entry, path, top)
            except OSError as exc:
                reason = f"unreadable: {exc.strerror or exc}"
            if reason == "folder":
                stack.append(path)
            elif reason:
                odd.append((_rel(path, root), reason))
            else:
                files.append(path)
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    return files, sorted(odd)


def _not_read(entry: os.DirEntry, path: Path, top: Path) -> str | None:
    """Why a folder entry is not read as a file: None for a file, "folder" for a folder to walk."""
    if entry.is_symlink():
        try:
            target = path.resolve(strict=True)
        except FileNotFoundError:
            return "dangling symbolic link: its target does not exist"
        except (RuntimeError, OSError):  # RuntimeError: Python 3.11's "Symlink loop"
            return "symbolic link loop: not followed"
        if target.is_dir():
            return "symlinked folder: not followed"
        if top != target and top not in target.parents:
            return "symbolic link to outside the input folder: not followed"
        mode = target.stat().st_mode
        return None if stat.S_ISREG(mode) else f"not a regular file ({_file_kind(mode)})"
    if entry.is_dir(follow_symlinks=False):
        return "folder"
    if entry.is_file(follow_symlinks=False):
        return None
    return f"not a regular file ({_file_kind(entry.stat(follow_symlinks=False).st_mode)})"


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a file"


def _rel(path: Path, root: Path) -> str:
    return source_name(path.relative_to(root).as_posix())[0]


def _odd_items(odd: list[tuple[str, str]]) -> Iterator[Skipped]:
    """An entry of the input folder that was not read: a skip with its reason (the runner warns)."""
    for rel, reason in odd:
        yield Skipped(article_id(rel), rel, reason)


def source_name(rel: str) -> tuple[str, str | None]:
    """A file's relative path as text, and a note when its bytes are not UTF-8.

    Python gives an undecodable file name (GBK bytes from a Chinese Windows zip, or any
    Chinese name under ``LC_ALL=C``) as lone surrogates, which no JSON file can hold. The
    name's bytes are decoded as UTF-8, else GB18030, else Big5, else UTF-8 with the bad
    bytes written as ``\\xNN``; the note says which, with the bytes."""
    raw = os.fsencode(rel)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    for enc in ("gb18030", "big5"):
        try:
            return raw.decode(enc), f"file name is not UTF-8: decoded as {enc} (bytes {raw!r})"
        except UnicodeDecodeError:
            continue
    return (raw.decode("utf-8", errors="backslashreplace"),
            f"file name is not UTF-8 nor GB18030 nor Big5: undecodable bytes written as \\xNN (bytes {raw!r})")


def _file_items(root: Path, files: list[Path], sidecar: dict, ids: _Ids, inputs: dict,
                max_bytes: int) -> Iterator[dict | Skipped]:
    for file in files:
        rel, name_note = source_name(file.relative_to(root).as_posix())
        if is_corpus(file):
            yield from _corpus_rows(file, rel, ids, inputs, max_bytes)
            continue
        suffix = Path(rel).suffix
        stem = rel[: -len(suffix)] if suffix else rel
        id_, note = ids(article_id(stem))
        notes = [n for n in (name_note, note) if n]
        try:
            size = file.stat().st_size
        except OSError as exc:
            yield Skipped(id_, rel, f"unreadable: {exc.strerror or exc}")
            continue
        if size > max_bytes:
            inputs["files"].append({"source": rel, "bytes": size, "sha256": None})
            yield Skipped(id_, rel, f"file is {size:,} bytes, over the {max_bytes:,}-byte cap (--max-bytes)")
            continue
        try:
            digest = records.sha256_file(file)
        except OSError as exc:
            yield Skipped(id_, rel, f"unreadable: {exc.strerror or exc}")
            continue
        inputs["files"].append({"source": rel, "bytes": size, "sha256": digest})
        yield {"id": id_, "source": rel, "kind": "file", "sha256": digest, "meta": sidecar.get(rel, {}),
               "notes": notes, "_path": str(file)}


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _bounded_lines(raw, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary stream, each read whole only when it is at most ``limit`` bytes:
    a longer one (a gzip bomb's 2 GiB line) is read through in chunks and given as None, so
    that memory holds ``limit`` bytes, never the line."""
    while line := raw.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = raw.readline(1 << 20)
            yield None
            continue
        yield line


class _RowTooLong(Exception):
    pass


def _csv_lines(raw, limit: int) -> Iterator[str]:
    """The decoded lines of a CSV file for the csv module, none longer than ``limit`` bytes."""
    for n, line in enumerate(_bounded_lines(raw, limit)):
        if line is None:
            raise _RowTooLong(f"a line over the {limit:,}-byte cap (--max-bytes)")
        if n == 0 and line.startswith(codecs.BOM_UTF8):
            line = line[3:]
        yield line.decode("utf-8", errors="replace")


def _corpus_rows(path: Path, rel: str, ids: _Ids, inputs: dict,
                 max_bytes: int = MAX_FILE_BYTES) -> Iterator[dict | Skipped]:
    """The rows of a corpus file, read as a stream: each row and each CSV field is bounded by
    ``max_bytes``, and every row becomes an item or a skip (after a CSV row that cannot be
    parsed, the rest of the file is one skip that says from which row on)."""
    inputs["files"].append({"source": rel, "bytes": path.stat().st_size, "sha256": records.sha256_file(path)})
    stem = re.sub(r"\.(jsonl|ndjson|csv)(\.gz)?$", "", Path(rel).name, flags=re.I)
    n = 0
    try:
        with _open_binary(path) as raw:
            if path.name.lower().endswith(".csv"):
                # csv's default field limit (131,072 characters) stopped the file at the first
                # long article; the cap on what a row may hold is --max-bytes
                csv.field_size_limit(max(max_bytes, 131072))
                reader = csv.DictReader(_csv_lines(raw, max_bytes))
                if not reader.fieldnames or not any(k in reader.fieldnames for k in ROW_KEYS["text"]):
                    yield Skipped(article_id(stem), rel, "CSV has no text column (looked for: "
                                  + ", ".join(ROW_KEYS["text"]) + f"; found: {', '.join(reader.fieldnames or [])})")
                    return
                rows = ((n, row, None, None, "utf-8") for n, row in enumerate(reader, start=1))
            else:
                rows = _json_rows(raw, max_bytes)
            for n, row, error, line, encoding in rows:
                source = f"{rel}#{n}"
                if error:
                    yield Skipped(ids(article_id(f"{stem}-{n}"))[0], source, error)
                    continue
                raw_id = _first(row, "id")
                id_, note = ids(article_id(str(raw_id) if raw_id else f"{stem}-{n}"))
                notes = [note] if note else []
                # A JSON row travels to its worker as its line and is parsed again there: one
                # string pickles far faster than a dict of fields, and the parent stays free.
                body = {"row": row} if line is None else {"line": line}
                if encoding != "utf-8":
                    body["encoding"] = encoding
                    notes.insert(0, f"row is not UTF-8: decoded as {encoding}")
                yield {"id": id_, "source": source, "kind": "row", **body, "notes": notes}
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error, _RowTooLong) as exc:
        if n:
            yield Skipped(ids(article_id(f"{stem}-{n + 1}"))[0], f"{rel}#{n + 1}",
                          f"the rest of the corpus file, from row {n + 1} on, could not be read: {exc}")
        else:
            yield Skipped(article_id(stem), rel, f"corpus file unreadable: {exc}")


def _json_rows(raw, max_bytes: int) -> Iterator[tuple[int, dict | None, str | None, str | None, str]]:
    """(line number, row, error, line, encoding) of each non-blank line of a JSON-lines file."""
    for n, data in enumerate(_bounded_lines(raw, max_bytes), start=1):
        if data is None:
            yield n, None, f"row is over the {max_bytes:,}-byte cap (--max-bytes)", None, ""
            continue
        if n == 1 and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        if not data.strip():
            continue
        line, encoding = _decode_row(data)
        if line is None:
            yield n, None, "row is not valid UTF-8, and neither GB18030 nor Big5 decodes it cleanly", None, ""
            continue
        try:
            row = records.loads(line)
        except RecursionError:
            yield n, None, "row is nested too deeply to read (JSON arrays or objects inside each other)", line, ""
            continue
        except json.JSONDecodeError as exc:
            # json's messages may end in "at" ("Unterminated string starting at")
            where = "column" if exc.msg.endswith(" at") else "at column"
            yield n, None, f"line is not JSON ({exc.msg} {where} {exc.colno})", line, ""
            continue
        if not isinstance(row, dict):
            yield n, None, "line is JSON but not an object", line, ""
            continue
        yield n, row, None, line, encoding


def _decode_row(data: bytes) -> tuple[str | None, str]:
    """One row's bytes as text: UTF-8, else the Chinese encoding that decodes them cleanly."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if sensible_share(text) >= 0.99:
            return text, enc
    return None, ""


_KNOWN_KEYS = frozenset(k for keys in ROW_KEYS.values() for k in keys)
MAX_EXTRA = 32          # corpus columns kept per row beyond the known ones (for group_by)
MAX_EXTRA_CHARS = 200   # characters kept of each


def extra_fields(row: Mapping) -> dict[str, str]:
    """A corpus row's other columns (category, section, platform ...), short scalar values
    only: what a story can group by."""
    out = {}
    for key, value in row.items():
        if len(out) >= MAX_EXTRA:
            break
        if not isinstance(key, str) or key in _KNOWN_KEYS or isinstance(value, (dict, list)) or value in (None, ""):
            continue
        text = clean_field(value)
        if text:
            out[key] = text[:MAX_EXTRA_CHARS]
    return out


def corpus_columns(path: Path) -> set[str] | None:
    """The columns of a corpus file (its CSV header, or the keys of its first JSON rows);
    None when they cannot be read."""
    try:
        with _open_binary(path) as raw:  # read as ingest reads it: no line over the cap held
            if path.name.lower().endswith(".csv"):
                csv.field_size_limit(max(MAX_FILE_BYTES, 131072))
                return set(next(csv.reader(_csv_lines(raw, MAX_FILE_BYTES)), []))
            keys: set[str] = set()
            for n, data in enumerate(_bounded_lines(raw, MAX_FILE_BYTES)):
                if n >= 50:
                    break
                line = _decode_row(data)[0] if data is not None else None
                try:
                    row = records.loads(line) if line is not None else None
                except (ValueError, RecursionError):
                    continue
                if isinstance(row, dict):
                    keys.update(k for k in row if isinstance(k, str))
            return keys
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error, UnicodeError, _RowTooLong):
        return None


def _first(row: Mapping, field: str) -> str:
    for key in ROW_KEYS[field]:
        value = row.get(key)
        if value not in (None, ""):
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return ""


# ------------------------------------------------------------------ processing one item


def build_record(item: Mapping, *, text: str, encoding: str, fmt: str, layers: list, hints: list | None = None) -> dict:
    from . import outlets

    values, provenance = merge_metadata(layers)
    if provenance["outlet"] not in ("sidecar", "corpus") and (name := outlets.canonical(values["outlet"])):
        values["outlet"] = name     # one outlet, one name (the outlet table); a sidecar's value is the user's
    if name := outlets.canonical(values["platform"]):
        values["platform"] = name   # 網易號 and 网易号: one platform
    record = {"id": item["id"], "source": item["source"], "outlet": values["outlet"], "title": values["title"],
              "author": values["author"], "published": values["published"], "url": values["url"],
              "site": values["site"], "platform": values["platform"], "editor": values["editor"],
              "provenance": provenance, "encoding": encoding, "format": fmt, "text": text}
    if hints:
        record["boilerplate"] = hints   # lines the page's markup calls boilerplate: strip removes them
    if item.get("notes"):
        record["warnings"] = list(item["notes"])
    return record


def ingest_file(item: Mapping, data: bytes) -> dict:
    if not data.strip():
        raise Skip("empty file")
    if kind := sniff_binary(data):
        raise Skip(f"not text: {kind}")
    text, encoding = decode(data)
    text = clean_text(text)
    if sensible_share(text) < 0.9:
        raise Skip(f"decodes ({encoding}) to mostly unprintable characters: not a text article")
    page_layers: list = []
    hints: list[dict] = []
    fmt = "text"
    if item["source"].lower().endswith(HTML_SUFFIXES) or is_html(text):
        fmt = "html"
        html = text
        text, raw, hints, root = extract_page(html)
        page_layers = html_layers(html, text, raw, root)
    if not text.strip():
        raise Skip("no article text found" + (" in the HTML page" if fmt == "html" else ""))
    title = (item.get("meta") or {}).get("title") or next((layer[1].get("title") for layer in page_layers
                                                          if layer[1].get("title")), "")
    byline, byline_origin = detect_byline(text, title=title, with_origin=True)
    layers = [("sidecar", item.get("meta") or {}), *page_layers, ("byline", byline, byline_origin)]
    return build_record(item, text=text, encoding=encoding, fmt=fmt, layers=layers, hints=hints)


def ingest_row(item: Mapping) -> dict:
    """A corpus row (``row``: CSV's dict, or ``line``: a JSON line, checked to be an object) to a record."""
    row = item["row"] if "row" in item else records.loads(item["line"])
    text = clean_text(_first(row, "text"))
    if not text.strip():
        raise Skip("row has no text (looked for: " + ", ".join(ROW_KEYS["text"]) + ")")
    fmt = "csv" if ".csv#" in item["source"].lower() else "jsonl"
    page_layers: list = []
    hints: list[dict] = []
    if is_html(text):
        html = text
        text, raw, hints, root = extract_page(html)
        page_layers = html_layers(html, text, raw, root)
    corpus_meta = {f: _first(row, f) for f in FIELDS if f in ROW_KEYS}
    title = corpus_meta.get("title") or next((layer[1].get("title") for layer in page_layers
                                              if layer[1].get("title")), "")
    byline, byline_origin = detect_byline(text, title=title, with_origin=True)
    layers = [("corpus", corpus_meta), *page_layers, ("byline", byline, byline_origin)]
    record = build_record(item, text=text, encoding=item.get("encoding", "utf-8"), fmt=fmt, layers=layers,
                          hints=hints)
    extra = extra_fields(row)
    if extra:
        record["extra"] = extra
    return record


def process_record(item: dict, resources: None = None) -> dict:
    if item["kind"] == "row":
        return ingest_row(item)
    try:
        data = Path(item["_path"]).read_bytes()
    except OSError as exc:
        raise Skip(f"unreadable: {exc.strerror or exc}") from None
    return ingest_file(item, data)


# ------------------------------------------------------------------ the table


def to_frame(stage_dir: Path):
    import pandas as pd

    rows = []
    for r in records.read_jsonl(stage_dir / "articles.jsonl"):
        row = {k: r.get(k, "") for k in ("id", "source", "outlet", "author", "title", "published", "url",
                                         "site", "platform", "editor", "encoding", "format")}
        row.update({f"{k}_from": v for k, v in r["provenance"].items()})
        row["n_chars"] = len(r["text"])
        row["text"] = r["text"]
        rows.append(row)
    return pd.DataFrame(rows)


def duplicates_frame(stage_dir: Path):
    """One row per copy of an earlier article of its outlet (:mod:`pipeline.duplicates`): id, source,
    outlet, title, published, url, copy_of (the first article's id), copy_of_source, copy_of_url."""
    import pandas as pd

    from . import duplicates

    copies = duplicates.load(Path(stage_dir) / duplicates.FILE)
    wanted = set(copies) | set(copies.values())
    seen = {r["id"]: r for r in records.read_jsonl(Path(stage_dir) / ARTICLES) if r["id"] in wanted}
    columns = ["id", "source", "outlet", "title", "published", "url", "copy_of", "copy_of_source", "copy_of_url"]
    rows = [[id_, *(seen.get(id_, {}).get(k, "") for k in ("source", "outlet", "title", "published", "url")),
             first, seen.get(first, {}).get("source", ""), seen.get(first, {}).get("url", "")]
            for id_, first in copies.items()]
    return pd.DataFrame(rows, columns=columns)


def _range_parts(path: Path, start: int, end: int, shared: None) -> tuple:
    from . import duplicates, recurring

    articles = list(read_range(path, start, end))
    return recurring.occurrences(articles), duplicates.fingerprints(articles)


def finish(out_dir: Path, params: Mapping, *, jobs: int = 1) -> dict:
    """The reduce, one read of the records by ranges (in ``jobs`` processes for a large file): the
    lines that recur across a site's articles (:mod:`pipeline.recurring`) and the articles that repeat
    an earlier one of their outlet (:mod:`pipeline.duplicates`), each written beside the records."""
    from . import duplicates, recurring

    prints: list = []

    def occurrences():
        for lines, found in map_ranges(_range_parts, Path(out_dir) / ARTICLES, jobs=jobs, fine=True):
            prints.extend(found)
            yield lines

    summary = recurring.write(out_dir, recurring.select(*recurring.merge(occurrences())))
    copies = duplicates.find(prints)
    duplicates.write(out_dir, copies)
    return {**summary, "duplicates": len(copies)}


STAGE = ArticleStage(
    name="ingest", folder="01_ingest", upstream=None, process=process_record,
    finish=finish,
    params={"max_bytes": MAX_FILE_BYTES},
    # the page metadata, outlet names and markup signals are part of what ingest writes
    code_files=(Path(__file__), Path(__file__).with_name("htmlmeta.py"), Path(__file__).with_name("outlets.py"),
                Path(__file__).with_name("boilerplate.py"), Path(__file__).with_name("recurring.py"),
                Path(__file__).with_name("duplicates.py")),
    resource_files=(RESOURCES / "outlets.tsv", RESOURCES / "common_chars.txt", RESOURCES / "surnames.txt"),
    libraries=("charset-normalizer", "trafilatura", "lxml", "opencc"),
)
TABLES = {"ingest": to_frame, "duplicates": duplicates_frame}
