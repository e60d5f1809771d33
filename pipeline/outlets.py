"""Outlet names: one canonical name per newsroom, from ``resources/outlets.tsv``.

A page names its outlet in many ways: a brand in either script (新華網 / 新华网), with a
channel (网易财经), as a host (money.163.com) or buried in a copyright line (网易版权所有).
:func:`canonical` maps a name to the table's outlet, :func:`by_host` a host; names are
compared after OpenCC t2s, lower-cased, without spaces, so one row serves both scripts.
:func:`clean_brand` turns what a page says into a name when the table does not know the
site: copyright words, years, host names and slogans are never part of an outlet name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .config import RESOURCES

TABLE_PATH = RESOURCES / "outlets.tsv"


@dataclass(frozen=True)
class Outlet:
    name: str
    kind: str
    region: str


@dataclass(frozen=True)
class Table:
    by_key: dict            # compared form of a name or variant -> Outlet
    by_domain: dict         # domain (optionally with a path prefix) -> Outlet


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def key(name: str) -> str:
    """The form names are compared in: simplified script, lower case, no spaces or middle dots."""
    text = _converter().convert(name or "")
    return re.sub(r"[\s·・•]+", "", text).lower()


@lru_cache(maxsize=1)
def table() -> Table:
    by_key: dict[str, Outlet] = {}
    by_domain: dict[str, Outlet] = {}
    for line in TABLE_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("outlet\t"):
            continue
        name, kind, region, variants, domains, _ref = line.split("\t")
        outlet = Outlet(name, kind, region)
        for variant in (name, *variants.split("|")):
            by_key.setdefault(key(variant), outlet)
        for domain in domains.split("|"):
            by_domain.setdefault(domain.lower(), outlet)
    return Table(by_key, by_domain)


def lookup(name: str) -> Outlet | None:
    """The table's outlet for a name as a page writes it, or None."""
    name = (name or "").strip()
    if not name:
        return None
    found = table().by_key.get(key(name))
    if found is None and (host := _HOST_IN.search(name)):
        found = by_host(host.group(1))
    return found or table().by_key.get(key(clean_brand(name)))


def canonical(name: str) -> str:
    """The table's name for ``name``; '' when the table does not know it."""
    found = lookup(name)
    return found.name if found else ""


def is_platform(name: str) -> bool:
    found = lookup(name)
    return bool(found and found.kind == "platform")


def by_host(host: str, path: str = "") -> Outlet | None:
    """The outlet of a host (and path): the longest matching domain, a path-prefixed one first."""
    host = (host or "").lower().split(":")[0].strip(".")
    path = path or "/"
    best, best_len = None, -1
    for domain, outlet in table().by_domain.items():
        dom, _, prefix = domain.partition("/")
        if host != dom and not host.endswith("." + dom):
            continue
        if prefix and not path.lstrip("/").startswith(prefix):
            continue
        score = len(domain)
        if score > best_len:
            best, best_len = outlet, score
    return best


_COPYRIGHT = re.compile(r"(?i)copyright|all rights reserved|版[权權]所有|[版][权權]|©|\(c\)|有限公司|公司|inc\.?|ltd\.?|limited|co\.,?")
_HOSTLIKE = re.compile(r"(?i)^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?$")
_HOST_IN = re.compile(r"(?i)(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})")
_YEARS = re.compile(r"\d{4}(?:\s*[-–—~]\s*\d{4})?")


def clean_brand(value: str) -> str:
    """A site's brand as a page states it, without copyright words, years, slogans or a bare host name."""
    text = " ".join((value or "").split())
    if not text:
        return ""
    text = _YEARS.sub(" ", _COPYRIGHT.sub(" ", text))
    parts = [p.strip() for p in re.split(r"[,，。！!？?、；;|｜]", text)]
    parts = [p for p in parts if p and not _HOSTLIKE.match(p)]
    if not parts:
        return ""
    text = parts[0]
    if len(parts) > 1 and len(text.split()) > 1:
        # a slogan after the name: "風傳媒 一個有國際觀、專注揭弊…的新媒體！"
        text = text.split()[0]
    text = " ".join(text.split()).strip(" -|_·:：")
    return text if 1 < len(text) <= 30 else ""
