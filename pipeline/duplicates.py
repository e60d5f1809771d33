"""Articles that repeat an earlier article of the same outlet word for word.

A scraper that reaches one page twice (two addresses, a re-crawl, a feed and its archive) gives
the same article twice. Counted twice, it weighs double in every figure of its outlet and
narrows every interval that resamples articles. Ingest's reduce finds such copies
(:func:`find`) and writes :data:`FILE` beside its records: each copy's id and the id of the
first article it repeats, in input order. Strip then leaves the copies out, each with the reason
``duplicate of ...`` (listed like every skip, in the report and the manifest), unless the story
says ``[strip] duplicates = "keep"``.

- Same outlet: the record's ``outlet``, else its site (:func:`pipeline.recurring.site_key`, a
  host without its ``www.``, ``m.``, ``wap.`` or ``mobile.``: one page is often collected at both),
  else none named (such articles are compared with each other). The same text under two
  outlets is syndication, a finding that sourcing's reuse reports, not a duplicate.
- Same text: identical once runs of whitespace are collapsed; an empty text repeats nothing.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable, Mapping

from . import records
from .recurring import site_key

FILE = "duplicates.json"
_HOST_PREFIX = re.compile(r"^(?:www|m|wap|mobile)\.(?=[^.]+\.)", re.IGNORECASE)

Print = tuple[str, str, bytes]  # (id, outlet key, digest of the text)


def outlet_key(record: Mapping) -> str:
    return str(record.get("outlet") or "").strip() or _HOST_PREFIX.sub("", site_key(record).casefold())


def fingerprint(record: Mapping) -> Print | None:
    """What :func:`find` compares of one record; None for an empty text."""
    text = " ".join(str(record.get("text") or "").split())  # runs of whitespace as one space (as re's \s+, faster)
    if not text:
        return None
    return str(record["id"]), outlet_key(record), hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def fingerprints(articles: Iterable[Mapping]) -> list[Print]:
    return [p for p in map(fingerprint, articles) if p is not None]


def find(prints: Iterable[Print]) -> dict[str, str]:
    """Each copy's id -> the first article's id with its outlet and text, ``prints`` in input order."""
    first: dict[tuple[str, bytes], str] = {}
    copies: dict[str, str] = {}
    for id_, key, digest in prints:
        earlier = first.setdefault((key, digest), id_)
        if earlier != id_:
            copies[id_] = earlier
    return copies


def write(out_dir: Path, copies: Mapping[str, str]) -> None:
    records.write_json(Path(out_dir) / FILE, dict(copies))


def load(path: Path | None) -> dict[str, str]:
    if path is None or not Path(path).is_file():
        return {}
    return {str(k): str(v) for k, v in records.read_json(path).items()}
