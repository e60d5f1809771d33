"""Which group an article belongs to, for every comparison (keywords, framing, figures, report).

The story's ``group_by`` names the grouping: ``outlet`` (the default), any ingest field
(author, platform, site, editor, title, url ...), a column of a corpus file, or a period of
the publication date (day, week, month, quarter, year). Labels are in one script (OpenCC
t2s, as the normalize stage writes outlets), so one group written in both scripts is one
group. Articles without a value form one group with a label of its own (:func:`missing_label`);
a real value that reads like that label is told apart from it (:func:`label`).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable, Mapping

from . import records
from .config import ARTICLES

UNKNOWN_OUTLET = "unknown (no outlet named)"
TIME_BINS = ("day", "week", "month", "quarter", "year")
INGEST = "01_ingest"
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def missing_label(group_by: str = "outlet") -> str:
    """The label of the articles that have no value for ``group_by``."""
    if group_by == "outlet":
        return UNKNOWN_OUTLET
    if group_by in TIME_BINS:
        return "unknown (no date)"
    return f"unknown (no {group_by})"


def label(value: object, group_by: str = "outlet") -> str:
    """A group's label: the value trimmed, or :func:`missing_label`. A real value equal to
    the missing label gets " (named)" added, so it never merges with the articles without one."""
    text = "" if value is None else str(value).strip()
    missing = missing_label(group_by)
    if not text:
        return missing
    return f"{text} (named)" if text == missing else text


def period(published: str, bin_: str) -> str:
    """``"2025-07-03 10:00"`` -> ``"2025-07"`` for month, ``"2025-W27"`` for week, ``"2025-Q3"`` ...;
    "" when no date can be read."""
    m = _DATE.search(published or "")
    if not m:
        return ""
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return ""
    if bin_ == "day":
        return day.isoformat()
    if bin_ == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if bin_ == "month":
        return f"{day.year}-{day.month:02d}"
    if bin_ == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def value_of(record: Mapping, group_by: str) -> str:
    """The raw value of ``group_by`` in one ingest record."""
    if group_by in TIME_BINS:
        return period(str(record.get("published") or ""), group_by)
    value = record.get(group_by)
    if value is None:
        value = (record.get("extra") or {}).get(group_by)
    return "" if value is None else str(value)


class Groups:
    """``groups(record) -> label`` for records of any stage (they all carry ``id`` and ``outlet``).

    By outlet the record's own (normalised) outlet is used; otherwise the value comes from the
    ingest record of the same id, converted to simplified script."""

    def __init__(self, group_by: str = "outlet", by_id: Mapping[str, str] | None = None):
        self.group_by = group_by
        self.by_id = by_id
        self.missing = missing_label(group_by)

    def __call__(self, record: Mapping) -> str:
        if self.by_id is None:
            return label(record.get("outlet"), self.group_by)
        return self.by_id.get(record["id"], self.missing)

    def __getstate__(self):  # pickled into forked or Dask workers as it is
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)


def load(out_root: Path, group_by: str = "outlet", *, convert: Callable[[str], str] | None = None) -> Groups:
    """The groups of a run's articles (reads 01_ingest's records for any grouping but outlet)."""
    if group_by == "outlet":
        return Groups()
    convert = convert or _t2s()
    by_id: dict[str, str] = {}
    path = Path(out_root) / INGEST / ARTICLES
    if path.exists():
        for record in records.read_jsonl(path):
            raw = value_of(record, group_by)
            by_id[record["id"]] = label(convert(" ".join(raw.split())) if raw else "", group_by)
    return Groups(group_by, by_id)


def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert
