"""Reading and writing stage outputs: JSON Lines of article records, atomically.

A record is a plain JSON-able dict with at least ``id`` and ``source``. Files are
UTF-8 with Chinese unescaped, keys in a fixed order, so that the same input
always gives byte-identical output that a reviewer can read and diff.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Any, Container, Iterable, Iterator

import orjson


def dumps(obj: Any) -> str:
    """One compact, deterministic JSON line (Chinese unescaped).

    orjson writes it (several times faster than the standard library, which matters
    at tens of thousands of records a stage); what orjson refuses (a lone surrogate
    from a corpus's ``\\ud800`` escape, an integer beyond 64 bits) goes through
    :mod:`json`. Either way the same object always gives the same bytes.
    """
    try:
        return orjson.dumps(obj).decode("utf-8")
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """Parse one JSON value (orjson; :mod:`json` for what orjson refuses, e.g. lone surrogates)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumpb(obj: Any) -> bytes:
    """:func:`dumps` as UTF-8 bytes, the form the stage runner writes: orjson makes them
    directly, and a str would cost a decode here and an encode when written.

    The result is copied into a bytes object of its own size: orjson's is allocated with
    room to grow (about 18 KB held for a 1.8 KB record), which a batch of results kept 10
    times over (ingest of CCTV: 30 MB more at its peak). The copy costs less than the decode.
    """
    try:
        return bytes(memoryview(orjson.dumps(obj)))
    except orjson.JSONEncodeError:
        return dumps(obj).encode("utf-8")


def dumps_pretty(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


CSV_ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark: Excel reads the table as UTF-8, not the ANSI code page


def text_encoding(path: Path) -> str:
    """The encoding a text output is written in: every ``.csv`` table UTF-8 with a BOM (Excel
    opens a BOM-less one in the local code page, and Chinese turns to mojibake), the rest UTF-8.
    Readers of the tables use :data:`CSV_ENCODING`, which takes the BOM off."""
    return CSV_ENCODING if Path(path).suffix.lower() == ".csv" else "utf-8"


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", *, durable: bool = True) -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it into place on success.

    A run killed at any moment leaves either the old file or none, never a partial one.
    Text written to a ``.csv`` path starts with a BOM (:func:`text_encoding`): this is the one
    place every CSV table of the pipeline is written through.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are ordinary readable files
        binary = "b" in mode
        with os.fdopen(fd, mode, **({} if binary else {"encoding": text_encoding(path), "newline": "\n"})) as fh:
            if not binary and fh.encoding == CSV_ENCODING:
                fh.write("")  # the BOM, even in a table left with no rows
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    with atomic_open(path, durable=durable) as fh:
        fh.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_json(path: Path, obj: Any) -> None:
    write_text(path, dumps_pretty(obj))


def read_json(path: Path) -> Any:
    return loads(Path(path).read_bytes())


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    return write_lines(path, map(dumpb, records))


def write_lines(path: Path, lines: Iterable[bytes], *, digest: Any = None) -> int:
    """Write ready-made JSON lines, UTF-8 bytes (one record each, no newline inside).
    ``digest`` (a hashlib object) is updated with every byte written."""
    n = 0
    with atomic_open(path, "wb") as fh:
        for line in lines:
            fh.write(line)
            fh.write(b"\n")
            if digest is not None:
                digest.update(line)
                digest.update(b"\n")
            n += 1
    return n


def read_byte_lines(path: Path) -> Iterator[bytes]:
    """The non-empty lines of a JSON Lines file as bytes, unparsed (orjson parses bytes as
    they are; a str line costs a decode, then an encode inside orjson)."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip(b"\n")


def read_lines(path: Path) -> Iterator[str]:
    """The non-empty lines of a JSON Lines file, unparsed."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield line.rstrip("\n")


def read_jsonl(path: Path) -> Iterator[dict]:
    """The records of a JSON Lines file, parsed from bytes (see :func:`read_byte_lines`:
    decoding a 79 MB file to str first took 0.50 s against 0.29 s)."""
    return map(loads, read_byte_lines(path))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_safe(text: object) -> str:
    """A text cell (outlet, title, author, term, id, source) for a CSV table, safe to open in a
    spreadsheet: one starting with =, +, -, @, a tab or a CR (a formula to Excel and LibreOffice)
    is written after a ``'``, and so is one starting with ``'``, so that :func:`csv_text` gives
    back exactly the text. The JSON records keep the text as it is."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(cell: Any) -> Any:
    """The text :func:`csv_safe` wrote ``cell`` for (the loaders' side)."""
    return cell[1:] if isinstance(cell, str) and cell.startswith("'") else cell


def csv_texts(frame: Any, columns: Iterable[str]) -> Any:
    """A DataFrame read from a CSV table with its text columns as :func:`csv_text` gives them."""
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].map(csv_text)
    return frame


_SAFE = re.compile(r"[\w.-]+")  # \w: what str.isalnum() accepts, and "_"


def safe_name(text: str, *, max_len: int = 80) -> str:
    """A file-name-safe slug for untrusted text (outlet names, ids): never a path."""
    if len(text) <= max_len and _SAFE.fullmatch(text) and text.strip("._-") == text:
        return text  # already safe (most ids): what the loop below would return, sooner
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-_.":
            out.append(ch)
        else:
            out.append("_")
    name = "".join(out).strip("._-")[:max_len]
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]  # a lone surrogate too
    return f"{name}-{digest}" if name != text or not name else name


_ID_PREFIX = b'{"id":"'


def read_records_with_ids(path: Path, ids: set) -> Iterator[dict]:
    """The records of a JSON Lines file whose ``id`` is in ``ids``, in file order. A line is
    parsed only when it starts with one of those ids (the stages write the id first, and an
    id with no character that JSON escapes is written as it is); any other line, in full."""
    with open(path, "rb") as fh:
        yield from records_with_ids(fh, ids)


def id_prefix(id_: str) -> bytes:
    """The id as a record's line starts with it (:func:`records_with_ids` takes a set of them)."""
    return dumps(id_).encode("utf-8")[1:-1]


def id_prefixes(ids: Iterable[str]) -> frozenset[bytes]:
    return frozenset(map(id_prefix, ids))


def records_with_ids(lines: Iterable[bytes], ids: Container,
                     prefixes: Container[bytes] | None = None) -> Iterator[dict]:
    """:func:`read_records_with_ids` over some lines of such a file; ``prefixes``:
    :func:`id_prefixes` of ``ids``, if already made."""
    wanted = id_prefixes(ids) if prefixes is None else prefixes
    for line in lines:
        if line.startswith(_ID_PREFIX):
            end = line.find(b'"', len(_ID_PREFIX))
            if line[len(_ID_PREFIX):end] not in wanted and b"\\" not in line[:end]:
                continue
        elif not line.strip():
            continue
        record = loads(line)
        if record.get("id") in ids:
            yield record
