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
import json
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from . import records
from .config import MAX_FILE_BYTES, METADATA_FILE, RESOURCES
from .stage import ArticleStage, Skip, Skipped

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
    if 0 in data[:4096] and not utf16_without_bom(data):
        return "binary file (NUL bytes)"
    return None


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
    if raw.get("published"):
        guesses["published"] = htmlmeta.iso_date(raw["published"])
    if raw.get("url"):
        guesses["url"] = raw["url"]
    return [("html", page.values, page.origin), ("trafilatura", guesses)]


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
        if text.count(name) >= 2:
            return name
    return ""





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


def read_sidecar(folder: Path) -> tuple[dict[str, dict], list[str]]:
    """``metadata.csv`` rows by file name, and warnings about the sidecar itself."""
    path = folder / METADATA_FILE
    if not path.exists():
        return {}, []
    warnings = []
    text, _ = decode(path.read_bytes())
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
                     warn=lambda msg: None) -> tuple[Iterator[dict | Skipped], dict]:
    """The work items for ``path`` and a description of the inputs for the manifest.

    The description's lists fill as the iterator is consumed.
    """
    path = Path(path)
    inputs: dict = {"path": path.name, "files": []}
    if not path.exists():
        raise FileNotFoundError(f"input {path} does not exist")
    ids = _Ids()
    if path.is_file():
        items = (_corpus_rows(path, path.name, ids, inputs) if is_corpus(path)
                 else _file_items(path.parent, [path], {}, ids, inputs, max_bytes))
        return items, inputs
    sidecar, sidecar_warnings = read_sidecar(path)
    inputs["sidecar"] = {"file": METADATA_FILE, "rows": len(sidecar), "warnings": sidecar_warnings} if (
        path / METADATA_FILE).exists() else None
    for message in sidecar_warnings:
        warn(message)
    files = sorted((p for p in path.rglob("*") if p.is_file() and not _hidden(p.relative_to(path))),
                   key=lambda p: p.relative_to(path).as_posix())
    files = [p for p in files if p.relative_to(path).as_posix() != METADATA_FILE]
    return _file_items(path, files, sidecar, ids, inputs, max_bytes), inputs


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


def _file_items(root: Path, files: list[Path], sidecar: dict, ids: _Ids, inputs: dict,
                max_bytes: int) -> Iterator[dict | Skipped]:
    for file in files:
        rel = file.relative_to(root).as_posix()
        if is_corpus(file):
            yield from _corpus_rows(file, rel, ids, inputs)
            continue
        size = file.stat().st_size
        stem = rel[: -len(file.suffix)] if file.suffix else rel
        id_, note = ids(article_id(stem))
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
               "notes": [note] if note else [], "_path": str(file)}


def _open_text(path: Path) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _corpus_rows(path: Path, rel: str, ids: _Ids, inputs: dict) -> Iterator[dict | Skipped]:
    inputs["files"].append({"source": rel, "bytes": path.stat().st_size, "sha256": records.sha256_file(path)})
    stem = re.sub(r"\.(jsonl|ndjson|csv)(\.gz)?$", "", path.name, flags=re.I)
    try:
        with _open_text(path) as fh:
            if path.name.lower().endswith(".csv"):
                reader = csv.DictReader(fh)
                if not reader.fieldnames or not any(k in reader.fieldnames for k in ROW_KEYS["text"]):
                    yield Skipped(article_id(stem), rel, "CSV has no text column (looked for: "
                                  + ", ".join(ROW_KEYS["text"]) + f"; found: {', '.join(reader.fieldnames or [])})")
                    return
                rows = ((n, row, None, None) for n, row in enumerate(reader, start=1))
            else:
                rows = _json_rows(fh)
            for n, row, error, line in rows:
                source = f"{rel}#{n}"
                if error:
                    yield Skipped(ids(article_id(f"{stem}-{n}"))[0], source, error)
                    continue
                raw_id = _first(row, "id")
                id_, note = ids(article_id(str(raw_id) if raw_id else f"{stem}-{n}"))
                # A JSON row travels to its worker as its line and is parsed again there: one
                # string pickles far faster than a dict of fields, and the parent stays free.
                body = {"row": row} if line is None else {"line": line}
                yield {"id": id_, "source": source, "kind": "row", **body, "notes": [note] if note else []}
    except (OSError, EOFError, gzip.BadGzipFile, csv.Error) as exc:
        yield Skipped(article_id(stem), rel, f"corpus file unreadable: {exc}")


def _json_rows(fh) -> Iterator[tuple[int, dict | None, str | None, str]]:
    """(line number, row, error, line) of each non-blank line of a JSON-lines file."""
    for n, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            row = records.loads(line)
        except json.JSONDecodeError as exc:
            yield n, None, f"line is not JSON ({exc.msg} at column {exc.colno})", line
            continue
        if not isinstance(row, dict):
            yield n, None, "line is JSON but not an object", line
            continue
        yield n, row, None, line


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
    return build_record(item, text=text, encoding="utf-8", fmt=fmt, layers=layers, hints=hints)


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


def is_light(item: Mapping) -> bool:
    """A CSV row of plain text: less work to ingest than to send to a worker process as a dict.
    (JSON rows travel as their lines, which cost little to send.)"""
    return item.get("kind") == "row" and "row" in item and not is_html(_first(item["row"], "text"))


STAGE = ArticleStage(
    name="ingest", folder="01_ingest", upstream=None, process=process_record, light=is_light,
    params={"max_bytes": MAX_FILE_BYTES},
    # the page metadata, outlet names and markup signals are part of what ingest writes
    code_files=(Path(__file__), Path(__file__).with_name("htmlmeta.py"), Path(__file__).with_name("outlets.py"),
                Path(__file__).with_name("boilerplate.py")),
    resource_files=(RESOURCES / "outlets.tsv", RESOURCES / "common_chars.txt"),
    libraries=("charset-normalizer", "trafilatura", "lxml", "opencc"),
)
TABLES = {"ingest": to_frame}
