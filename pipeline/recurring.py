"""Lines that recur across many articles of one site: boilerplate, whatever the site.

Per-portal rules cannot know every site's footer, slogan or standing notice, but a corpus
shows them: a line printed in a third of a site's articles is not news. Ingest's reduce
(:func:`write`) counts, for each site with at least :data:`MIN_ARTICLES` articles, in how
many of its articles each short line occurs, and keeps those in at least
:data:`MIN_SHARE` of them (and :data:`MIN_COUNT` at least). Strip then removes those lines
from that site's articles with the reason ``recurring`` (listed like every removed line),
except a paragraph of prose, which is never removed for recurring.

Boilerplate sits at an article's edges (mastheads, bylines, standing notices, footers, share
prompts), while a story's own recurring sentence, a statement that several articles of one
site quote in a corpus about one story, sits in the body. So a line counts as recurring only
where at least :data:`EDGE_SHARE` of its occurrences are in the first :data:`HEAD_LINES` or the
last :data:`TAIL_LINES` non-blank lines of the article.

A site is the record's ``site`` (the publishing site's brand), else the host of its ``url``;
an article with neither (a plain-text file) is not compared with others.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urlsplit

from . import records

FILE = "recurring_lines.json"
MIN_ARTICLES = 5
MIN_SHARE = 0.3
MIN_COUNT = 3
MAX_CHARS = 200
HEAD_LINES = 3
TAIL_LINES = 8
EDGE_SHARE = 0.5
_SPACE = re.compile(r"\s+")


def site_key(record: Mapping) -> str:
    site = str(record.get("site") or "").strip()
    if site:
        return site
    url = str(record.get("url") or "")
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""


def line_key(line: str) -> str:
    """A line as compared across articles: trimmed, whitespace collapsed."""
    return _SPACE.sub(" ", line).strip()


def recurring(articles: Iterable[Mapping]) -> dict[str, dict[str, int]]:
    """site -> {line: articles it occurs in}, for the lines that recur (see the module docstring)."""
    return select(*merge([occurrences(articles)]))


Part = tuple[Counter, dict[str, list[str]], dict[str, list[str]]]


def occurrences(articles: Iterable[Mapping]) -> Part:
    """(articles per site, per site each article's distinct short lines one after the other, of
    them those at the article's edges): what :func:`merge` counts. Lists, not counts: most lines
    occur once, and a list travels from a worker and is counted (in C) faster than a dict."""
    per_site: dict[str, list[str]] = {}
    at_edges: dict[str, list[str]] = {}
    sizes: Counter = Counter()
    for record in articles:
        site = site_key(record)
        if not site:
            continue
        sizes[site] += 1
        lines = [k for k in (line_key(ln) for ln in str(record.get("text") or "").split("\n")) if k]
        per_site.setdefault(site, []).extend({k for k in lines if 1 < len(k) <= MAX_CHARS})
        at_edges.setdefault(site, []).extend({k for k in lines[:HEAD_LINES] + lines[-TAIL_LINES:]
                                              if 1 < len(k) <= MAX_CHARS})
    return sizes, per_site, at_edges


def merge(parts: Iterable[Part]) -> tuple[Counter, dict[str, Counter], dict[str, Counter]]:
    """The parts' articles per site, and per site in how many articles each line occurs, of them
    at the edges (the order of the parts changes nothing: :func:`select` sorts)."""
    sizes: Counter = Counter()
    per_site: dict[str, Counter] = {}
    at_edges: dict[str, Counter] = {}
    for part_sizes, part_lines, part_edges in parts:
        sizes.update(part_sizes)
        for into, part in ((per_site, part_lines), (at_edges, part_edges)):
            for site, lines in part.items():
                into.setdefault(site, Counter()).update(lines)
    return sizes, per_site, at_edges


def select(sizes: Counter, per_site: Mapping[str, Counter], at_edges: Mapping[str, Counter]) -> dict[str, dict[str, int]]:
    """The recurring lines of each site with enough articles, from :func:`merge`'s counts."""
    out = {}
    for site in sorted(per_site):
        n = sizes[site]
        if n < MIN_ARTICLES:
            continue
        floor = max(MIN_COUNT, MIN_SHARE * n)
        edges = at_edges[site]
        found = dict(sorted((line, count) for line, count in per_site[site].items()
                            if count >= floor and edges[line] >= EDGE_SHARE * count))
        if found:
            out[site] = found
    return out


def write(out_dir: Path, found: Mapping[str, Mapping[str, int]]) -> dict:
    """``recurring_lines.json`` beside ingest's records (ingest's reduce counts the lines by ranges,
    :func:`occurrences` each, and selects them); a summary for the manifest."""
    records.write_json(Path(out_dir) / FILE, found)
    return {"recurring_lines": {site: len(lines) for site, lines in found.items()}}


def load(path: Path | None) -> dict[str, frozenset[str]]:
    if path is None or not Path(path).is_file():
        return {}
    return {site: frozenset(lines) for site, lines in records.read_json(path).items()}
