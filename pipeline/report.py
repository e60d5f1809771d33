"""The report: one self-contained HTML page a researcher can open or send.

It holds the corpus (articles per outlet, what strip removed and normalize repaired), the
figures (PNG embedded as data URIs), a summary per outlet (top frames, distinctive terms,
sentiment with its bootstrap interval) and appendices with the sentences behind every
number: each count links to the matches, terms and scores it was computed from.

Everything that comes from an article (text, titles, outlet names, urls, terms) is
untrusted: it is escaped with ``html.escape(quote=True)`` where it is written, urls are
kept only when they are plain http(s), anchors are built from counters and never from
data, and a Content-Security-Policy forbids scripts altogether. The page carries no
timestamp: the same outputs give the same bytes.

The appendices are capped (parameters below) so that a corpus of 20,000 articles still
gives a page a browser opens; each capped list says how much it leaves out.
"""
from __future__ import annotations

import base64
import functools
import html
import itertools
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Mapping, Sequence
from urllib.parse import urlsplit
import zlib

from . import concordance, records
from .config import ARTICLES, MANIFEST
from .segment import sentence_tokens

INGEST, STRIP, NORMALIZE, SEGMENT = "01_ingest", "02_strip", "03_normalize", "04_segment"
KEYWORDS, SENTIMENT, FRAMING, FIGURES = "05_keywords", "06_sentiment", "07_framing", "figures"
SOURCING = "08_sourcing"
REPORT = "report.html"

DEFAULT_PARAMS = {
    "top_frames": 3,           # frames named in each outlet's summary
    "distinctive_top": 10,     # distinctive terms per outlet in the summary
    "evidence_per_frame": 25,  # sentences listed per outlet and frame
    "examples_per_term": 3,    # sentences listed per distinctive term
    "articles_per_outlet": 60,  # articles listed, with their sentence scores, per outlet
    "removed_listed": 300,     # stripped lines listed
    "repairs_listed": 300,     # normalisation repairs listed
    "max_groups": 50,          # groups with a section of their own (the largest); the rest are summarised
    "max_group_rows": 500,     # rows of the corpus table of groups
    "seed": 20240930,          # bootstrap of the target-sentiment intervals: fixed, so the page repeats exactly
    "target_examples": 3,      # most negative and most positive target sentences shown per group
    "kwic_per_term": 8,        # concordance lines per term (a fixed-seed sample of all its occurrences)
    "kwic_terms_per_frame": 10,  # each frame's most used terms get a concordance entry
    "kwic_distinctive_terms": 200,  # distinctive terms (of the groups with a section) with an entry, at most
}

FIGURE_CAPTIONS = (
    ("frames_heatmap", "Frame emphasis per outlet: hits of each frame's terms per 1,000 content tokens, "
                       "hits in brackets. The terms behind every cell are listed in Appendix A."),
    ("sentiment_by_outlet", "Sentence scores per outlet: dots are sentences, the box their quartiles, red the mean "
                            "with its bootstrap interval (sentences resampled; fixed seed)."),
    ("distinctive_terms", "Distinctive terms per outlet against all other articles: log-odds ratio with an "
                          "informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), as z-scores."),
    ("sentiment_arcs", "Sentiment arcs: sentence score (rolling mean) against relative position in the article; "
                       "thin lines articles, thick lines the outlet's mean."),
    ("target_sentiment", "Sentiment toward the target per group: each article's target score (dots), the "
                         "group mean with its 95% bootstrap interval over articles; over time when articles "
                         "have dates."),
    ("outlet_similarity", "Outlet similarity: cosine of the outlets' TF-IDF vectors (pooled content tokens, "
                          "idf over articles)."),
    ("frames_over_time", "Frames over time: each frame's mean emphasis per period (the story's time bin) for "
                         "the largest groups; empty when the articles carry no publication dates."),
    ("frame_profile", "Frame profile of each article (hits per 1,000 content tokens), articles grouped by "
                      "outlet, largest groups first."),
    ("frame_cooccurrence", "Frames used together: the number of articles with at least one hit of both frames; "
                           "the diagonal counts the articles using each frame."),
    ("keyness", "Keyness of the two largest groups: every term by its frequency in each (log scales); each "
                "side's most distinctive terms labelled. plots.keyness() draws any other pair."),
)

CSP = ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'")
# The glyphs the page uses are embedded (a subset of Noto Sans SC, SIL OFL 1.1): a machine
# without a Chinese font shows Chinese, not boxes. See benchmarks/build_report_font.py.
REPORT_FONT = Path(__file__).resolve().parent / "resources" / "report_font.woff"
FONT_FAMILY = "ZH Framing Report"
CSS = """
body{font-family:"ZH Framing Report","Noto Sans SC","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#222;line-height:1.5;overflow-wrap:anywhere}bdi{unicode-bidi:isolate}
h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;
vertical-align:top;text-align:left}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#555}mark{background:#ffe58a}.note{color:#666;font-size:.9rem}
.warnings{border:1px solid #d9a400;background:#fff8e1;padding:.3rem 1rem;margin:1rem 0}
.outlet{border:1px solid #ddd;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}
ol.sents li,ul.sents li{margin:.2rem 0}.pos{color:#176a17}.neg{color:#a11}
table.kwic td{border:0;padding:.05rem .3rem}table.kwic td.kl{text-align:right}table.kwic td.km{text-align:center}
@media print{body{max-width:none;margin:0;padding:0;font-size:9.5pt;line-height:1.35}nav{display:none}
h2{break-after:avoid}h3,h4{break-after:avoid}figure,tr,li{break-inside:avoid}figure img{max-height:60vh}
.print-omit{display:none}a{color:inherit;text-decoration:none}.warnings{border-width:2px}}
"""


# ---------------------------------------------------------------- escaping (pure)


_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def esc(value: object) -> str:
    """Text for HTML: every <, >, &, " and ' escaped (attribute-safe). Text holding bidi
    controls (U+202E RIGHT-TO-LEFT OVERRIDE …) is isolated in <bdi>, so that it cannot reorder
    the text around it (an outlet read as "…exe.png"); attributes never hold such text
    (:func:`safe_url` refuses it)."""
    text = html.escape("" if value is None else str(value), quote=True)
    return f"<bdi>{text}</bdi>" if _BIDI_CONTROLS.search(text) else text


def safe_url(url: object) -> str | None:
    """The url if it is a plain http(s) url with a host and no whitespace or control characters, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or unicodedata.category(ch) == "Cf"
                      for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def link(href: str, text: object) -> str:
    """An in-page link; ``href`` is always an anchor we built (``#a12``), never data."""
    if not re.fullmatch(r"#[a-z][a-z0-9-]*", href):
        raise ValueError(f"not an internal anchor: {href!r}")
    return f'<a href="{href}">{esc(text)}</a>'


def external_link(url: object, text: object) -> str:
    """A link to an article's url when it is safe, else the text alone."""
    safe = safe_url(url)
    if safe is None:
        return esc(text)
    return f'<a href="{esc(safe)}" rel="noopener noreferrer nofollow">{esc(text)}</a>'


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` escaped, with the character spans ``[start, end)`` wrapped in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out.append(esc(text[pos:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def fmt(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    if value is None:  # no stage's field is trusted to be there
        return "–"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def repair_kind(repair: object) -> str:
    """A normalisation repair's kind, whatever shape the record gives it."""
    if isinstance(repair, Mapping):
        for key in ("kind", "type", "action", "rule", "reason", "name"):
            if repair.get(key):
                return str(repair[key])
        return "repair"
    return str(repair)


def repair_count(repair: object) -> int:
    if isinstance(repair, Mapping) and isinstance(repair.get("count"), int):
        return repair["count"]
    return 1


# ---------------------------------------------------------------- collecting (streams every upstream once)


class _Anchors:
    """Stable anchor ids from counters: outlets o1.., articles a1.., never from data."""

    def __init__(self):
        self.outlets: dict[str, str] = {}
        self.articles: dict[str, str] = {}

    def outlet(self, name: str) -> str:
        return self.outlets.setdefault(name, f"o{len(self.outlets) + 1}")

    def article(self, id_: str) -> str:
        return self.articles.setdefault(id_, f"a{len(self.articles) + 1}")


def _manifest(folder: Path) -> dict:
    try:
        return records.read_json(folder / MANIFEST)
    except (FileNotFoundError, ValueError):
        return {}


def collect(inputs: Mapping[str, Path], params: Mapping, prepared: dict | None = None, *, jobs: int = 1) -> dict:
    """Everything the page shows, read from the stage folders (bounded memory: lists are capped):
    :func:`collect_articles` (or what it ``prepared`` before), then the figures."""
    from . import plots

    data = dict(prepared if prepared is not None else collect_articles(inputs, params, jobs=jobs))
    data["summary"] = plots.sentiment_ci_table(inputs[FIGURES])
    data["summary_by_article"] = plots.sentiment_ci_articles_table(inputs[FIGURES])
    data["sourcing"] = collect_sourcing(inputs, data["params"])
    data["figures"] = figures = {}
    for name, caption in FIGURE_CAPTIONS:
        path = inputs[FIGURES] / f"{name}.png"
        if path.exists():
            figures[name] = (base64.b64encode(path.read_bytes()).decode("ascii"), caption)
    return data


def article_metadata(path: Path, ids: set[str]) -> dict[str, dict]:
    """Title, source, url, author and date of the articles ``ids``, from 01_ingest records
    (only their lines are parsed: :func:`pipeline.records.read_records_with_ids`)."""
    return {r["id"]: {"title": r.get("title") or "", "source": r.get("source") or "", "url": r.get("url"),
                      "author": r.get("author") or "", "published": r.get("published") or ""}
            for r in records.read_records_with_ids(path, ids)}


def collect_articles(inputs: Mapping[str, Path], params: Mapping, *, jobs: int = 1) -> dict:
    """What the page shows from the article stages (every upstream but the figures): the
    stage's ``prepare``, which the runner may call while the figures are still drawn. Each
    upstream is read by ranges (in ``jobs`` processes for a large file: :func:`map_ranges`),
    whose small results are merged here in file order: the same page as one pass over each."""
    from . import framing, grouping, keywords
    from .runner import map_ranges

    p = {**DEFAULT_PARAMS, **params}
    groups = grouping.load(Path(inputs[INGEST]).parent, p.get("_group_by", "outlet"))

    # Frames: the outlet table and, per outlet and frame, the first matches as evidence.
    frames = framing.frames_table(inputs[FRAMING])
    frame_info = records.read_json(inputs[FRAMING] / "frames.json")
    evidence: dict[tuple[str, str], list[dict]] = defaultdict(list)
    seen: Counter = Counter()  # matches per (group, frame): the sample is drawn from all of them
    samplers: dict[tuple[str, str], random.Random] = {}
    wanted: set[tuple[str, int]] = set()
    before = 0  # records in the ranges before this one
    for n_records, found in map_ranges(_frame_matches_range, inputs[FRAMING] / ARTICLES, jobs=jobs, shared=groups,
                                       fine=True):
        for index, id_, outlet, m in found:  # the reservoirs draw in file order, here
            for fid in m["frames"]:
                key = (outlet, fid)
                bucket = evidence[key]
                seen[key] += 1
                item = {"id": id_, "order": before + index, **m}
                if len(bucket) < p["evidence_per_frame"]:
                    bucket.append(item)
                else:  # reservoir sampling, seeded per bucket: the same sample on every run
                    rng = samplers.get(key)
                    if rng is None:
                        rng = samplers[key] = random.Random(p["seed"] ^ zlib.crc32(f"{outlet}\x00{fid}".encode()))
                    j = rng.randrange(seen[key])
                    if j >= len(bucket):
                        continue
                    bucket[j] = item
                wanted.add((id_, m["sentence"]))
        before += n_records
    for bucket in evidence.values():  # in text order again
        bucket.sort(key=lambda e: (e["order"], e["sentence"], e["start"]))

    # One pass over normalize: outlet names as normalize wrote them (the form every later
    # stage groups by), what it repaired, and the text of the evidence sentences (segment
    # copies each sentence's index, text and start from here unchanged).
    norm = _normalize_totals()
    for part in map_ranges(_normalize_range, inputs[NORMALIZE] / ARTICLES, jobs=jobs,
                           shared=(wanted, p["repairs_listed"]), fine=True):
        for key in ("canonical", "scripts", "regions", "repairs_by_kind", "sentence_text"):
            norm[key].update(part[key])  # dicts: the range's entries; Counters: added
        norm["n_repair_items"] += part["n_repair_items"]
        norm["repairs_listed"].extend(part["repairs_listed"][: p["repairs_listed"] - len(norm["repairs_listed"])])
    canonical, repairs_listed = norm["canonical"], norm["repairs_listed"]

    # Articles per outlet (ingest's outlet names for articles strip dropped). The metadata of
    # the articles the page shows is read at the end: memory holds those, not the corpus.
    per_outlet: Counter = Counter()
    n_articles = 0
    first_date = last_date = None
    n_dated = 0
    for counts, n, first, last, dated in map_ranges(_ingest_range, inputs[INGEST] / ARTICLES, jobs=jobs,
                                                    shared=(groups, canonical), fine=True):
        per_outlet.update(counts)
        n_articles += n
        n_dated += dated
        if first is not None:
            first_date = first if first_date is None or first < first_date else first_date
            last_date = last if last_date is None or last > last_date else last_date
    outlets = [o for o, _ in sorted(per_outlet.items(), key=lambda kv: (-kv[1], kv[0]))]
    # With thousands of groups the page gives sections to the largest only (a page of 10,000
    # sections renders in no browser); every group stays in the tables.
    shown_groups = outlets[: p["max_groups"]]
    shown_set = set(shown_groups)
    evidence = defaultdict(list, {key: bucket for key, bucket in evidence.items() if key[0] in shown_set})

    stages = {}
    for folder in (INGEST, STRIP, NORMALIZE, SEGMENT, SENTIMENT):
        m = _manifest(inputs[folder])
        stages[folder] = {"counts": m.get("counts", {}), "skipped": m.get("skipped", [])[:50],
                          "n_skipped": len(m.get("skipped", []))}

    # What strip removed.
    removed_by_reason: Counter = Counter()
    removed_by_outlet: Counter = Counter()
    removed_listed: list[dict] = []
    share_sum, n_shares = 0.0, 0
    for shares, by_reason, by_outlet, listed in map_ranges(_strip_range, inputs[STRIP] / ARTICLES, jobs=jobs,
                                                           shared=(groups, canonical, p["removed_listed"]), fine=True):
        for share in shares:  # summed in file order: the same float as one pass
            share_sum += share
        n_shares += len(shares)
        removed_by_reason.update(by_reason)
        removed_by_outlet.update(by_outlet)
        removed_listed.extend(listed[: p["removed_listed"] - len(removed_listed)])
    n_removed = sum(removed_by_reason.values())

    # Sentiment: every article's score; sentence scores of the listed articles.
    anchors = _Anchors()
    for o in shown_groups:
        anchors.outlet(o)
    sentiment_articles: dict[str, list[dict]] = defaultdict(list)
    sentences_of: dict[str, list[dict]] = {}
    n_sentences: Counter = Counter()
    target_scores: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    target_sentences: dict[str, list[tuple]] = defaultdict(list)  # per group: the most negative / positive
    k_examples = p.get("target_examples", 3)
    for part in map_ranges(_sentiment_range, inputs[SENTIMENT] / ARTICLES, jobs=jobs,
                           shared=(groups, shown_set, p["articles_per_outlet"], k_examples), fine=True):
        for outlet, scores in part["target_scores"].items():
            target_scores[outlet].extend(scores)
        for outlet, kept in part["target_sentences"].items():
            target_sentences[outlet].extend(kept)
            _trim_target_sentences(target_sentences[outlet], k_examples)
        n_sentences.update(part["n_sentences"])
        for outlet in part["shown_seen"]:  # the groups' order of first appearance, as one pass makes it
            sentiment_articles[outlet]
        for outlet, entry, sentences in part["listed"]:
            listed = sentiment_articles[outlet]
            if len(listed) < p["articles_per_outlet"]:
                listed.append(entry)
                sentences_of[entry["id"]] = sentences
                anchors.article(entry["id"])
    listed_total = {o: per_outlet[o] for o in shown_groups}

    # Distinctive terms, and sentences that use them (from the segmented tokens; read only
    # when some outlet has distinctive terms: a corpus of one outlet group has none).
    distinctive = keywords.distinctive_frame(inputs[KEYWORDS])
    top_terms: dict[str, list[dict]] = {}
    wanted_groups = distinctive[distinctive["outlet"].isin(shown_set)]
    by_group = dict(list(wanted_groups.groupby("outlet", sort=False))) if len(wanted_groups) else {}
    for o in shown_groups:
        rows = by_group.get(o)
        if rows is None:
            rows = distinctive.iloc[0:0]
        rows = rows.sort_values(["z", "term"], ascending=[False, True])
        top_terms[o] = rows.head(p["distinctive_top"]).to_dict("records")
    # Sentences that use them, and the concordance of the frames' most used terms and the
    # distinctive terms: one pass over 04_segment.
    term_examples, kwic = _segment_pass(inputs, p, frame_info, top_terms, shown_groups, groups, jobs=jobs)

    shown = {a["id"] for listed in sentiment_articles.values() for a in listed}
    shown.update(item[3] for kept in target_sentences.values() for item in kept)
    shown.update(e["id"] for bucket in evidence.values() for e in bucket)
    shown.update(e["id"] for bucket in term_examples.values() for e in bucket)
    shown.update(item["id"] for item in (*removed_listed, *repairs_listed))
    shown.update(line["id"] for entry in kwic["terms"] for line in entry["lines"])
    articles = article_metadata(inputs[INGEST] / ARTICLES, shown)

    from . import fit

    out_root = Path(inputs[INGEST]).parent
    targets = list(p.get("_targets") or [])
    story = {"title": p.get("_title") or "", "group_by": p.get("_group_by", "outlet"), "targets": targets,
             "warnings": fit.check(out_root, group_by=p.get("_group_by", "outlet"), targets=targets)}
    return {
        "methods": _methods(inputs, (first_date, last_date, n_dated) if n_dated else ()), "story": story,
        "target_by_group": _target_by_group({g: v for g, v in target_scores.items() if isinstance(g, str)},
                                            seed=p["seed"]),
        "target_sentences": _target_examples({g: v for g, v in target_sentences.items() if isinstance(g, str)}),
        # several targets: each one's own table and sentences, in the story's order
        "target_each": [{"name": name,
                         "by_group": _target_by_group({g[1]: v for g, v in target_scores.items() if g[0] == name
                                                       and not isinstance(g, str)}, seed=p["seed"]),
                         "sentences": _target_examples({g[1]: v for g, v in target_sentences.items()
                                                        if g[0] == name and not isinstance(g, str)})}
                        for name in (t["name"] for t in targets)] if len(targets) > 1 else [],
        "topics": _topics(inputs[FRAMING]),
        "params": p, "articles": articles, "n_articles": n_articles, "outlets": outlets, "shown": shown_groups,
        "per_outlet": per_outlet,
        "anchors": anchors, "stages": stages, "n_removed": n_removed, "removed_by_reason": removed_by_reason,
        "removed_by_outlet": removed_by_outlet, "removed_listed": removed_listed,
        "mean_removed_share": share_sum / n_shares if n_shares else 0.0,
        **{key: norm[key] for key in ("repairs_by_kind", "repairs_listed", "n_repair_items", "scripts", "regions",
                                      "sentence_text")},
        "sentiment_articles": sentiment_articles, "sentences_of": sentences_of, "n_sentences": n_sentences,
        "listed_total": listed_total, "frames": frames, "frame_info": frame_info, "evidence": evidence,
        "top_terms": top_terms, "term_examples": term_examples,
        "kwic": kwic,
    }


def _segment_pass(inputs: Mapping[str, Path], p: Mapping, frame_info: Sequence[dict],
                  top_terms: Mapping[str, list[dict]], shown_groups: Sequence[str], groups, *,
                  jobs: int = 1) -> tuple[dict, dict]:
    """(term examples, concordance) from one pass over 04_segment, each record parsed once for both.

    Term examples: the first ``examples_per_term`` sentences in file order that use each
    (shown group, distinctive term), with the terms' spans. The concordance: the frames' most
    used terms (``kwic_terms_per_frame`` each, by hits across the corpus) and the shown groups'
    distinctive terms (``kwic_distinctive_terms``), every occurrence counted and a sample kept
    (:mod:`pipeline.concordance`). Ranges are merged in file order; without a concordance to
    make, no more ranges are read once every bucket of examples is full."""
    from . import framing
    from .runner import map_ranges

    hits = framing.frame_terms_table(inputs[FRAMING]).groupby(["frame", "term"])["hits"].sum()
    by_frame: dict[str, list[str]] = {}
    for f in frame_info:
        if f["id"] in hits.index.get_level_values(0):
            ranked = hits.loc[f["id"]].reset_index().sort_values(["hits", "term"], ascending=[False, True])
            by_frame[f["id"]] = [t for t in ranked["term"] if t][: p["kwic_terms_per_frame"]]
    frame_terms = [t for terms in by_frame.values() for t in terms]
    distinctive = list(dict.fromkeys(t["term"] for o in shown_groups for t in top_terms.get(o, ())))
    lexicons, other_terms = concordance.lexicons(frame_terms, distinctive[: p["kwic_distinctive_terms"]])

    limit = p["examples_per_term"]
    buckets = {(o, t["term"]) for o in shown_groups for t in top_terms.get(o, ())}
    terms_of = {o: {t["term"] for t in top_terms.get(o, ())} for o in shown_groups} if buckets else {}
    term_examples: dict[tuple[str, str], list[dict]] = defaultdict(list)
    kwic: dict = {"terms": [], "anchors": {}}
    if (buckets and limit > 0) or lexicons:
        parts = map_ranges(_segment_range, inputs[SEGMENT] / ARTICLES, jobs=jobs,
                           shared=(groups, terms_of, limit, lexicons), fine=True)

        def occurrences_in_order():
            for examples, found in parts:
                for key, items in examples.items():
                    bucket = term_examples[key]
                    bucket.extend(items[: limit - len(bucket)])
                yield from found
                if not lexicons and limit > 0 and all(len(term_examples.get(key, ())) >= limit for key in buckets):
                    return  # every bucket full and nothing to count: the ranges still running are dropped

        try:
            if lexicons:
                kwic = concordance.summary(occurrences_in_order(), frame_terms, other_terms,
                                           per_term=p["kwic_per_term"], seed=p["seed"])
            else:
                for _ in occurrences_in_order():
                    pass
        finally:
            parts.close()
    return term_examples, {**kwic, "by_frame": by_frame}


def _group_of(groups, record: Mapping) -> str:
    """An article's group, as :func:`collect_articles` gives it (a module-level function: it
    travels to workers)."""
    return groups({"id": record["id"], "outlet": record.get("outlet")})


# The article passes' per-range work (module-level: it travels to workers). Each returns what
# its range adds, small beside the range; collect_articles merges the ranges in file order.

def _frame_matches_range(path: Path, start: int, end: int, groups) -> tuple[int, list[tuple]]:
    """07_framing: (records in the range, (index in the range, id, group, match) for each match
    in file order); the reservoirs of the evidence draw from these in the calling process."""
    from .runner import read_range

    n, found = 0, []
    for r in read_range(path, start, end):
        if r.get("matches"):
            outlet = groups({"id": r["id"], "outlet": r.get("outlet")})
            found.extend((n, r["id"], outlet, m) for m in r["matches"])
        n += 1
    return n, found


def _normalize_range(path: Path, start: int, end: int, shared: tuple) -> dict:
    """03_normalize: outlet names as normalize wrote them (the form every later stage groups by),
    what it repaired (the first ``limit`` repairs listed), the text of the ``wanted`` sentences."""
    from .runner import read_range

    wanted, limit = shared
    totals = _normalize_totals()
    repairs_by_kind, repairs_listed = totals["repairs_by_kind"], totals["repairs_listed"]
    for r in read_range(path, start, end):
        totals["canonical"][r["id"]] = r["outlet"]
        totals["scripts"][str(r.get("script", "?"))] += 1
        totals["regions"][str(r.get("region", "?"))] += 1
        if r.get("pinyin_removed"):
            repairs_by_kind["pinyin annotation removed"] += int(r["pinyin_removed"])
        for item in r.get("repairs", ()):
            totals["n_repair_items"] += 1
            repairs_by_kind[repair_kind(item)] += repair_count(item)
            if len(repairs_listed) < limit:
                repairs_listed.append({"id": r["id"], "kind": repair_kind(item), "detail": item})
        if wanted:
            for s in r.get("sentences", ()):
                key = (r["id"], s["index"])
                if key in wanted:
                    totals["sentence_text"][key] = (s["text"], s["start"])
    return totals


def _normalize_totals() -> dict:
    """What the report keeps of 03_normalize, empty: one range's (:func:`_normalize_range`) or
    every range's joined in file order."""
    return {"canonical": {}, "scripts": Counter(), "regions": Counter(), "repairs_by_kind": Counter(),
            "n_repair_items": 0, "repairs_listed": [], "sentence_text": {}}


def _ingest_range(path: Path, start: int, end: int, shared: tuple) -> tuple[Counter, int, str | None, str | None, int]:
    """01_ingest: (articles per group, articles, first and last day, articles dated)."""
    from .runner import read_range

    groups, canonical = shared
    per_outlet: Counter = Counter()
    n_articles = n_dated = 0
    first_date = last_date = None
    for r in read_range(path, start, end):
        per_outlet[groups({"id": r["id"], "outlet": canonical.get(r["id"], r.get("outlet"))})] += 1
        n_articles += 1
        day = str(r.get("published") or "")[:10]
        if day:
            n_dated += 1
            first_date = day if first_date is None or day < first_date else first_date
            last_date = day if last_date is None or day > last_date else last_date
    return per_outlet, n_articles, first_date, last_date, n_dated


def _strip_range(path: Path, start: int, end: int, shared: tuple) -> tuple[list[float], Counter, Counter, list[dict]]:
    """02_strip: (each article's removed share, removed lines by reason and by group, the first
    ``limit`` removed lines)."""
    from .runner import read_range

    groups, canonical, limit = shared
    shares: list[float] = []
    by_reason: Counter = Counter()
    by_outlet: Counter = Counter()
    listed: list[dict] = []
    for r in read_range(path, start, end):
        shares.append(r.get("removed_share", 0.0))
        for item in r.get("removed", ()):
            by_reason[item.get("reason", "?")] += 1
            by_outlet[groups({"id": r["id"], "outlet": canonical.get(r["id"], r.get("outlet"))})] += 1
            if len(listed) < limit:
                listed.append({"id": r["id"], **item})
    return shares, by_reason, by_outlet, listed


def _sentiment_range(path: Path, start: int, end: int, shared: tuple) -> dict:
    """06_sentiment: target scores and the most negative and positive target sentences per
    group (keyed by the group; with several targets also by (target, group), each target's own),
    sentences per group, and the first ``per_group`` articles of each shown group with their
    sentence scores (``shown_seen``: the shown groups in order of first appearance)."""
    from .runner import read_range

    groups, shown_set, per_group, k = shared
    target_scores: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    target_sentences: dict[str, list[tuple]] = defaultdict(list)
    n_sentences: Counter = Counter()
    shown_seen: dict[str, int] = {}  # group -> articles listed
    listed: list[tuple[str, dict, list[dict]]] = []
    for r in read_range(path, start, end):
        outlet = groups({"id": r["id"], "outlet": r.get("outlet")})
        if r.get("target_n_sentences"):
            negative = sum(1 for s in r.get("sentences", ()) if s.get("mentions_target")
                           and s.get("target_label", s.get("label")) == "neg")
            target_scores[outlet].append((float(r["target_score"]), int(r["target_n_sentences"]), negative))
            _keep_target_sentences(target_sentences[outlet], r, k)
            if r.get("targets"):  # several targets: each one's own, from the sentences' by_target
                negatives = Counter(b["name"] for s in r.get("sentences", ()) for b in s.get("by_target", ())
                                    if b["label"] == "neg")
                for t in r["targets"]:
                    if t.get("n_sentences"):
                        name = t["name"]
                        target_scores[name, outlet].append((float(t["score"]), int(t["n_sentences"]), negatives[name]))
                        _keep_target_sentences(target_sentences[name, outlet], r, k, target=name)
        n_sentences[outlet] += len(r.get("sentences", ()))
        if outlet in shown_set and shown_seen.setdefault(outlet, 0) < per_group:
            shown_seen[outlet] += 1
            listed.append((outlet, {"id": r["id"], "score": float(r.get("score", 0.0)),
                                    "n": len(r.get("sentences", ())), "target_score": r.get("target_score")},
                           [{"index": s["index"], "text": s["text"], "score": float(s["score"])}
                            for s in r.get("sentences", ())]))
    return {"target_scores": target_scores, "target_sentences": target_sentences, "n_sentences": n_sentences,
            "shown_seen": list(shown_seen), "listed": listed}


def _segment_range(path: Path, start: int, end: int, shared: tuple) -> tuple[dict, list]:
    """04_segment, for :func:`_segment_pass`: (the first ``limit`` sentences of the range that use
    each (group, term) of ``terms_of`` (a group's distinctive terms), with the terms' spans; the
    concordance's occurrences of the ``lexicons`` in file order). Without lexicons a record is
    parsed only when its line holds one of the terms as JSON writes it (an Aho-Corasick
    automaton of them: one C pass over the line)."""
    import ahocorasick

    from .runner import ranges

    groups, terms_of, limit, lexicons = shared
    needles = None
    if not lexicons and terms_of:
        needles = ahocorasick.Automaton()
        for term in sorted({records.dumps(t)[1:-1] for terms in terms_of.values() for t in terms}):
            needles.add_word(term, term)
        needles.make_automaton()
    group = functools.partial(_group_of, groups)
    examples: dict[tuple[str, str], list[dict]] = defaultdict(list)
    found: list[tuple[str, dict]] = []
    open_buckets = sum(len(terms) for terms in terms_of.values()) if limit > 0 else 0
    for line in ranges.read_lines(path, start, end):
        if not lexicons and not open_buckets:  # every bucket full: the rest of the range adds nothing
            break
        if needles is not None:
            text = line.decode("utf-8")
            if next(needles.iter(text), None) is None:
                continue
            line = text
        r = records.loads(line)
        if lexicons:
            found.extend(concordance.occurrences((r,), lexicons, group))
        if open_buckets:
            open_buckets -= _add_term_examples(r, groups, terms_of, limit, examples)
    return dict(examples), found


def _add_term_examples(r: Mapping, groups, terms_of: Mapping[str, set], limit: int,
                       examples: dict[tuple[str, str], list[dict]]) -> int:
    """Add the record's sentences that use its group's terms to the ``examples`` buckets not yet
    full (``limit`` each); returns how many buckets it filled."""
    outlet = groups({"id": r["id"], "outlet": r.get("outlet")})
    terms = terms_of.get(outlet)
    if not terms:
        return 0
    filled = 0
    for s in r.get("sentences", ()):
        if terms.isdisjoint(s["tokens"]):  # most sentences: no wanted term at all
            continue
        spans_by_term: dict[str, list] = defaultdict(list)
        for tok in sentence_tokens(s):
            if tok[4] and tok[0] in terms:
                spans_by_term[tok[0]].append((tok[2] - s["start"], tok[3] - s["start"]))
        for term, spans in sorted(spans_by_term.items()):
            bucket = examples[(outlet, term)]
            if len(bucket) < limit:
                bucket.append({"id": r["id"], "index": s["index"], "text": s["text"], "spans": spans})
                if len(bucket) == limit:
                    filled += 1
    return filled


def _methods(inputs: Mapping[str, Path], dates: Sequence[str]) -> dict:
    """What a methods section needs, from the manifests: parameters and library versions per
    stage, the resolved story, the corpus's counts and its date range."""
    params: dict[str, dict] = {}
    versions: dict[str, str] = {}
    story: dict = {}
    for folder in (INGEST, STRIP, NORMALIZE, SEGMENT, KEYWORDS, SENTIMENT, FRAMING):
        m = _manifest(inputs[folder])
        params[folder] = m.get("params", {})
        versions.update(m.get("versions", {}))
        story = m.get("story") or story
    return {"params": params, "versions": dict(sorted(versions.items())), "story": story,
            "first_date": dates[0] if dates else "", "last_date": dates[1] if dates else "",
            "n_dated": dates[2] if dates else 0}


CITATIONS = (
    ("Segmentation", "jieba 0.42.1 dictionary via jieba-rs (rjieba), MIT; the project's user dictionary and the story's."),
    ("Script conversion", "OpenCC (Apache-2.0): t2s, with Hong Kong and Taiwan configurations chosen per article."),
    ("Sentiment lexicon", "HowNet sentiment word sets (董振东 2007); NTUSD (National Taiwan University); Chinese "
                          "Financial Sentiment Dictionary (Jiang, Lee, Martin & Zhou 2019, JFE 132(1)); Tsinghua "
                          "praise/degrade lists (李军); modifiers after HowNet's degree word sets; a domain lexicon "
                          "written for the project (pipeline/resources/README.md)."),
    ("Sentiment model", "Multinomial logistic regressions (neg / neu / pos) over the lexicon's signals, the "
                        "sentence's words and character 2-3-grams (pipeline/sentiment_model.py), fitted on "
                        "CFSC-ABSA (Chinese Financial Sentiment Corpus), CCF BDCI 2019 financial negative entities, "
                        "financial news titles (wwwxmu) and news and commentary sentences labelled for the project: "
                        "one for the sentence tone, one for the score toward a target (without the commentary "
                        "sentences); by default the sentence tone is 0.75 x the tone model's score + 0.25 x the "
                        "lexicon's, and the score toward a target the target model's (the sentiment stage's method "
                        "and target_method below)."),
    ("Keywords", "TF-IDF as scikit-learn's TfidfVectorizer; IDF merged with background document frequencies from "
                 "CCTV Xinwen Lianbo and Citizen News; distinctive terms by log-odds with an informative Dirichlet "
                 "prior (Monroe, Colaresi & Quinn 2008, Political Analysis 16(4))."),
    ("Frames", "Dictionary frames; shipped codebooks after Semetko & Valkenburg (2000, Journal of Communication "
               "50(2)) and the Policy Frames Codebook (Boydstun, Card, Gross, Resnik & Smith 2014); topics by NMF "
               "(scikit-learn) chosen by UMass coherence (Mimno et al. 2011)."),
    ("Intervals", "Percentile bootstrap (2,000 resamples, fixed seed): sentences within a group for the mean "
                  "sentence score; articles within a group for the mean with articles weighed alike (none under three "
                  "articles) and for sentiment toward the target."),
)


def _keep_target_sentences(kept: list[tuple], record: dict, k: int, *, target: str | None = None) -> None:
    """Keep in ``kept`` the ``k`` most negative and ``k`` most positive target sentences seen so far
    (by target score; ties by article id and sentence index, so the choice repeats exactly);
    ``target``: by the sentences' score toward that one of several targets (their ``by_target``)."""
    for s in record.get("sentences", ()):
        if target is not None:
            kept.extend((float(b["score"]), b["label"], s["index"], record["id"], s["text"])
                        for b in s.get("by_target", ()) if b["name"] == target)
        elif s.get("mentions_target") and s.get("target_score") is not None:
            kept.append((float(s["target_score"]), s.get("target_label", s.get("label")), s["index"], record["id"],
                         s["text"]))
    _trim_target_sentences(kept, k)


def _trim_target_sentences(kept: list[tuple], k: int) -> None:
    """Of more than ``2 k`` target sentences keep the ``k`` most negative and the ``k`` most
    positive: the extremes of a range's extremes are the extremes of all (a merge in any order)."""
    if len(kept) > 2 * k:
        kept.sort(key=lambda t: (t[0], t[3], t[2]))
        kept[:] = kept[:k] + kept[-k:]


def _target_examples(kept: Mapping[str, list[tuple]]) -> dict[str, list[dict]]:
    return {g: [{"score": v, "label": lab, "index": i, "id": a, "text": t}
                for v, lab, i, a, t in sorted(items, key=lambda t: (t[0], t[3], t[2]))]
            for g, items in sorted(kept.items())}


def _target_by_group(scores: Mapping[str, list[tuple[float, int, int]]], *, seed: int,
                     n_boot: int = 2000, level: float = 0.95) -> list[dict]:
    """Per group: the mean of its articles' target scores, with a bootstrap interval that
    resamples articles (not sentences); the share of target mentions labelled negative."""
    import numpy as np

    rows = []
    for group in sorted(scores):
        values = np.array([v for v, _, _ in scores[group]], dtype=float)
        mentions = sum(n for _, n, _ in scores[group])
        negative = sum(k for _, _, k in scores[group])
        low = high = None
        if len(values) >= 3:
            rng = np.random.default_rng(seed)
            means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
            low, high = (float(x) for x in np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))
        rows.append({"group": group, "articles": len(values), "mentions": mentions, "mean": float(values.mean()),
                     "low": low, "high": high, "neg_share": negative / mentions if mentions else 0.0})
    return rows


def _topics(framing_dir: Path) -> list[dict]:
    """The discovered topics per group (07_framing/topics_by_group.csv), when discovery ran."""
    from .discover import topics_table

    return topics_table(framing_dir).to_dict("records")


# ---------------------------------------------------------------- rendering (pure: collected data -> HTML)


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()) -> str:
    """``header`` is our text (escaped here); ``rows`` hold cells that are already HTML."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _shown(n_shown: int, n_total: int, what: str) -> str:
    if n_shown >= n_total:
        return ""
    return f'<p class="note">Showing the first {n_shown} of {n_total} {esc(what)}.</p>'


def _article_label(data: dict, id_: str) -> str:
    a = data["articles"].get(id_, {})
    return a.get("title") or a.get("source") or id_


def _score_class(score: float | None) -> str:
    if score is None:
        return ""
    return "pos" if score > 0 else "neg" if score < 0 else ""


def _corpus_section(d: dict) -> str:
    anchors = d["anchors"]
    by = (d.get("story") or {}).get("group_by", "outlet")
    rows = []
    shown = set(d.get("shown", d["outlets"]))
    max_rows = d["params"].get("max_group_rows", len(d["outlets"]))
    for o in d["outlets"][:max_rows]:
        name = link(f"#{anchors.outlet(o)}", o) if o in shown else esc(o)
        count = (link(f"#{anchors.outlet(o)}-articles", d["per_outlet"][o]) if o in shown
                 else esc(d["per_outlet"][o]))
        rows.append([name, count, esc(d["n_sentences"][o]), esc(d["removed_by_outlet"][o])])
    parts = ["<h2 id=\"corpus\">The corpus</h2>",
             f"<p>{esc(d['n_articles'])} articles from {esc(len(d['outlets']))} {esc(by)} groups. Articles whose "
             f"{esc(by)} could not be told form their own group, named as such.</p>",
             _table([by, "articles", "sentences scored", "lines stripped"], rows, numeric=(1, 2, 3)),
             _shown(min(max_rows, len(d["outlets"])), len(d["outlets"]), f"{by} groups (the largest first; "
                    "every group is in the tables: pipeline.load('frames'), ('sentiment_ci') ...)")]
    if len(shown) < len(d["outlets"]):
        parts.append(f'<p class="note">The {esc(len(shown))} largest groups have a section of their own below; '
                     f"the other {esc(len(d['outlets']) - len(shown))} are in the tables only.</p>")

    stage_rows = []
    for folder, info in d["stages"].items():
        c = info["counts"]
        stage_rows.append([esc(folder), esc(c.get("input", "")), esc(c.get("done", "")), esc(c.get("skipped", "")),
                           esc(c.get("warnings", ""))])
    parts += ["<h3>Stages</h3>", _table(["stage", "input", "done", "skipped", "warnings"], stage_rows,
                                         numeric=(1, 2, 3, 4))]
    skipped = [(folder, s) for folder, info in d["stages"].items() for s in info["skipped"]]
    if skipped:
        parts.append(_table(["stage", "source", "reason"],
                            [[esc(f), esc(s.get("source", s.get("id", ""))), esc(s.get("reason", ""))]
                             for f, s in skipped]))

    parts.append("<h3>What strip removed</h3>")
    parts.append(f"<p>{link('#stripped', d['n_removed'])} line{'' if d['n_removed'] == 1 else 's'} removed as boilerplate; on average "
                 f"{esc(fmt(100 * d['mean_removed_share'], 1))}% of an article's characters.</p>")
    parts.append(_table(["reason", "lines"], [[esc(r), esc(n)] for r, n in
                                              sorted(d["removed_by_reason"].items(), key=lambda kv: (-kv[1], kv[0]))],
                        numeric=(1,)))
    parts.append("<h3>What normalize repaired</h3>")
    total = sum(d["repairs_by_kind"].values())
    parts.append(f"<p>{link('#repairs', total)} repair{'' if total == 1 else 's'}. Scripts: "
                 + esc(", ".join(f"{k} {v}" for k, v in sorted(d["scripts"].items())))
                 + "; regions: " + esc(", ".join(f"{k} {v}" for k, v in sorted(d["regions"].items()))) + ".</p>")
    parts.append(_table(["repair", "count"], [[esc(k), esc(n)] for k, n in
                                              sorted(d["repairs_by_kind"].items(), key=lambda kv: (-kv[1], kv[0]))],
                        numeric=(1,)))
    return "\n".join(parts)


def _figures_section(d: dict) -> str:
    parts = ['<h2 id="figures">Figures</h2>']
    for name, (b64, caption) in d["figures"].items():
        parts.append(f'<figure id="fig-{esc(name)}"><img alt="{esc(name)}" src="data:image/png;base64,{b64}">'
                     f"<figcaption>{esc(caption)}</figcaption></figure>")
    if not d["figures"]:
        parts.append('<p class="note">No figures were found.</p>')
    return "\n".join(parts)


def _outlet_sections(d: dict) -> str:
    p, anchors = d["params"], d["anchors"]
    labels = {f["id"]: f["label_en"] for f in d["frame_info"]}
    frame_order = [f["id"] for f in d["frame_info"]]
    summary = d["summary"].set_index("outlet") if len(d["summary"]) else None
    by_article = d.get("summary_by_article")
    by_article = by_article.set_index("outlet") if by_article is not None and len(by_article) else None
    parts = ['<h2 id="outlets">Outlets</h2>']
    for o in d.get("shown", d["outlets"]):
        oid = anchors.outlet(o)
        parts.append(f'<section class="outlet" id="{oid}"><h3>{esc(o)}</h3>')
        parts.append(f"<p>{link(f'#{oid}-articles', d['per_outlet'][o])} articles.</p>")
        # Sentiment with its interval.
        if summary is not None and o in summary.index:
            s = summary.loc[o]
            parts.append(f"<p>Sentiment: mean sentence score {link(f'#{oid}-articles', fmt(s['mean'], 3, signed=True))}"
                         f" ({esc(round(100 * float(s['level'])))}% bootstrap interval {esc(fmt(s['ci_low'], 3, signed=True))} to "
                         f"{esc(fmt(s['ci_high'], 3, signed=True))}; {esc(int(s['sentences']))} sentences in "
                         f"{esc(int(s['articles']))} articles)."
                         + _by_article_note(by_article, o) + small_group_note(int(s["articles"])) + "</p>")
        # Top frames.
        rows = d["frames"][d["frames"]["outlet"] == o]
        rows = rows.assign(order=rows["frame"].map({f: i for i, f in enumerate(frame_order)}))
        rows = rows.sort_values(["per_1k", "order"], ascending=[False, True])
        frame_rows = []
        for r in rows.head(p["top_frames"]).itertuples():
            anchor = f"#{oid}-f{frame_order.index(r.frame) + 1}"
            frame_rows.append([esc(labels.get(r.frame, r.frame)), link(anchor, fmt(r.per_1k, 2)), link(anchor, r.hits),
                               esc(r.top_terms)])
        parts.append("<h4>Top frames</h4>" + _table(["frame", "per 1,000 content tokens", "hits", "terms"],
                                                     frame_rows, numeric=(1, 2)))
        # Distinctive terms.
        terms = d["top_terms"].get(o, [])
        if terms:
            term_rows = [[link(f"#{oid}-t{i}", t["term"]), esc(fmt(float(t["z"]), 2)), esc(t["count"])]
                         for i, t in enumerate(terms, 1)]
            parts.append("<h4>Distinctive terms</h4>" + _table(["term", "z", "count"], term_rows, numeric=(1, 2)))
        else:
            parts.append('<p class="note">No distinctive terms (the corpus needs at least two outlet groups).</p>')
        parts.append("</section>")
    return "\n".join(parts)


def _evidence_appendix(d: dict) -> str:
    anchors = d["anchors"]
    labels = {f["id"]: f["label_en"] for f in d["frame_info"]}
    parts = ['<h2 id="evidence">Appendix A: the sentences behind the frame counts</h2>']
    for o in d.get("shown", d["outlets"]):
        oid = anchors.outlet(o)
        rows = d["frames"][d["frames"]["outlet"] == o].set_index("frame")
        parts.append(f"<h3>{esc(o)}</h3>")
        for j, f in enumerate(d["frame_info"], 1):
            fid = f["id"]
            hits = int(rows.loc[fid, "hits"]) if fid in rows.index else 0
            parts.append(f'<h4 id="{oid}-f{j}">{esc(labels[fid])}: {esc(hits)} hits</h4>')
            kwic = d.get("kwic") or {}
            if hits and kwic.get("by_frame", {}).get(fid):
                parts.append('<p class="note">In context (the whole corpus): '
                             + concordance.links(kwic["by_frame"][fid], kwic["anchors"], esc=esc) + "</p>")
            # One line per sentence, every matched term in it highlighted.
            by_sentence: dict[tuple[str, int], list[dict]] = {}
            for m in d["evidence"].get((o, fid), ()):
                by_sentence.setdefault((m["id"], m["sentence"]), []).append(m)
            items = []
            for (id_, index), found in by_sentence.items():
                text, start = d["sentence_text"].get((id_, index), ("", 0))
                terms = "、".join(dict.fromkeys(m["term"] for m in found))
                spans = sorted({(m["start"] - start, m["end"] - start) for m in found})
                items.append(f"<li>{highlight(text, spans)} "
                             f"<span class=\"note\">[{esc(terms)}; {_article_ref(d, id_, index)}]</span></li>")
            if items:
                n_shown = sum(len(found) for found in by_sentence.values())
                parts.append('<ul class="sents">' + "".join(items) + "</ul>")
                if n_shown < hits:
                    parts.append(f'<p class="note">A random sample of {esc(n_shown)} of the {esc(hits)} matches '
                                 "(fixed seed: the same on every run), one line per sentence.</p>")
    return "\n".join(parts)


def _article_ref(d: dict, id_: str, sentence: int | None = None) -> str:
    label = _article_label(d, id_)
    suffix = f", sentence {sentence}" if sentence is not None else ""
    anchor = d["anchors"].articles.get(id_)
    if anchor:
        return link(f"#{anchor}", label) + esc(suffix)
    return esc(label + suffix)


def _terms_appendix(d: dict) -> str:
    anchors = d["anchors"]
    parts = ['<h2 id="terms">Appendix B: distinctive terms in context</h2>']
    for o in d.get("shown", d["outlets"]):
        oid = anchors.outlet(o)
        terms = d["top_terms"].get(o, [])
        if not terms:
            continue
        parts.append(f"<h3>{esc(o)}</h3>")
        for i, t in enumerate(terms, 1):
            anchor = (d.get("kwic") or {}).get("anchors", {}).get(t["term"])
            parts.append(f'<h4 id="{oid}-t{i}">{esc(t["term"])}: {esc(t["count"])} uses, z = {esc(fmt(float(t["z"]), 2))}'
                         + (f' <span class="note">({link(f"#{anchor}", "in context, every group")})</span>' if anchor else "")
                         + "</h4>")
            items = [f"<li>{highlight(e['text'], e['spans'])} <span class=\"note\">[{_article_ref(d, e['id'], e['index'])}]"
                     f"</span></li>" for e in d["term_examples"].get((o, t["term"]), ())]
            if items:
                parts.append('<ul class="sents">' + "".join(items) + "</ul>")
    return "\n".join(parts)


def _articles_appendix(d: dict) -> str:
    anchors = d["anchors"]
    parts = ['<h2 id="articles">Appendix C: articles and their sentence scores</h2>']
    for o in d.get("shown", d["outlets"]):
        oid = anchors.outlet(o)
        listed = d["sentiment_articles"].get(o, [])
        parts.append(f'<h3 id="{oid}-articles">{esc(o)}: {esc(d["per_outlet"][o])} articles</h3>')
        rows = []
        for a in listed:
            meta = d["articles"].get(a["id"], {})
            rows.append([link(f"#{anchors.article(a['id'])}", _article_label(d, a["id"])),
                         external_link(meta.get("url"), meta.get("url") or ""), esc(meta.get("published", "")),
                         f'<span class="{_score_class(a["score"])}">{esc(fmt(a["score"], 3, signed=True))}</span>',
                         esc(a["n"])])
        parts.append(_table(["article", "url", "published", "mean score", "sentences"], rows, numeric=(3, 4)))
        parts.append(_shown(len(listed), d["per_outlet"][o], "articles"))
        for a in listed:
            meta = d["articles"].get(a["id"], {})
            parts.append(f'<h4 id="{anchors.article(a["id"])}">{esc(_article_label(d, a["id"]))}</h4>')
            parts.append(f'<p class="note">{esc(meta.get("source", ""))} · {esc(meta.get("author", ""))} · '
                         f'{external_link(meta.get("url"), "original")}</p>')
            items = [f'<li value="{esc(s["index"] + 1)}"><span class="{_score_class(s["score"])}">'
                     f'{esc(fmt(s["score"], 2, signed=True))}</span> {esc(s["text"])}</li>'
                     for s in d["sentences_of"].get(a["id"], ())]
            parts.append('<ol class="sents">' + "".join(items) + "</ol>")
    return "\n".join(parts)


def _stripped_appendix(d: dict) -> str:
    parts = ['<h2 id="stripped">Appendix D: lines removed by strip</h2>']
    rows = [[_article_ref(d, r["id"]), esc(r.get("line", "")), esc(r.get("reason", "")), esc(r.get("text", ""))]
            for r in d["removed_listed"]]
    parts.append(_table(["article", "line", "reason", "text"], rows, numeric=(1,)))
    parts.append(_shown(len(rows), d["n_removed"], "removed lines"))
    parts.append('<h2 id="repairs">Appendix E: normalisation repairs</h2>')
    rows = [[_article_ref(d, r["id"]), esc(r["kind"]), esc(records.dumps(r["detail"]))] for r in d["repairs_listed"]]
    parts.append(_table(["article", "repair", "detail"], rows))
    parts.append(_shown(len(rows), d["n_repair_items"], "repairs"))
    return "\n".join(parts)


def _concordance_appendix(d: dict) -> str:
    return concordance.render(d.get("kwic") or {}, esc=esc, article_ref=lambda id_, i: _article_ref(d, id_, i),
                              heading="Appendix F: concordance of the frame and distinctive terms")


def _methods_section(d: dict) -> str:
    m = d.get("methods") or {}
    story = m.get("story") or {}
    parts = ['<h2 id="methods">Methods</h2>',
             "<p>How every number on this page was made, for a methods section or a reviewer. The same "
             "information, machine-readable, is in each stage folder's <code>manifest.json</code> and in "
             "<code>run.json</code>.</p>", "<h3>Corpus</h3>",
             f"<p>{esc(d['n_articles'])} articles in {esc(len(d['outlets']))} groups (grouped by "
             f"{esc(story.get('group_by', 'outlet'))})"
             + (f"; publication dates from {esc(m['first_date'])} to {esc(m['last_date'])} "
                f"({esc(m['n_dated'])} articles dated)" if m.get("n_dated") else "; no publication dates") + ".</p>"]
    if story:
        frames = story.get("frames") or {}
        rows = [["story file", esc(story.get("file") or "none (story-neutral defaults)")],
                ["targets", esc("; ".join(f"{t['name']} ({', '.join(t['aliases'])})"
                                          + (f", other parties: {', '.join(t['others'])}" if t.get("others") else "")
                                          for t in story.get("targets", [])) or "none")],
                ["frames", esc(frames.get("file") or f"shipped codebook {frames.get('codebook')}")
                 + f" <code>{esc((frames.get('sha256') or '')[:12])}</code>"],
                ["frame discovery", esc("on" if frames.get("discover") else "off")],
                ["dictionary words", esc(len((story.get("dictionary") or {}).get("words", [])))],
                ["IDF", esc((story.get("keywords") or {}).get("idf", ""))],
                ["files", esc("; ".join(f"{k}: {Path(v['path']).name} ({v['sha256'][:12]})"
                                        for k, v in (story.get("files") or {}).items()) or "none")]]
        parts += ["<h3>Story settings</h3>", _table(["setting", "value"], rows)]
    labels = d.get("frame_info") or []
    if labels:
        parts += ["<h3>Frames and their terms</h3>",
                  _table(["frame", "definition", "terms"],
                         [[esc(f.get("label_en", f["id"])), esc(f.get("description", "")),
                           esc("、".join(f.get("terms", [])))] for f in labels])]
    parts += ["<h3>Methods and sources</h3>", _table(["step", "method and source"],
                                                        [[esc(a), esc(b)] for a, b in CITATIONS])]
    params = m.get("params") or {}
    if params:
        parts += ["<h3>Parameters</h3>",
                  _table(["stage", "parameters"], [[esc(k), esc(", ".join(f"{p}={v}" for p, v in sorted(v.items())))]
                                                   for k, v in params.items()])]
    if m.get("versions"):
        parts += ["<h3>Software</h3>",
                  "<p>" + esc(", ".join(f"{k} {v}" for k, v in m["versions"].items())) + "</p>"]
    return "\n".join(parts)


def _story_section(d: dict) -> str:
    story = d.get("story") or {}
    parts = []
    grouped = story.get("group_by", "outlet")
    line = f"Articles are compared by <b>{esc(grouped)}</b>"
    if story.get("targets"):
        line += "; sentiment toward " + ", ".join(f"<b>{esc(t['name'])}</b>" for t in story["targets"])
    parts.append(f"<p>{line}.</p>")
    if story.get("warnings"):
        items = "".join(f"<li>{esc(w)}</li>" for w in story["warnings"])
        parts.append(f'<div class="warnings" id="warnings"><p><b>Settings that may not fit this corpus</b></p>'
                     f"<ul>{items}</ul></div>")
    return "\n".join(parts)


def small_group_note(articles: int) -> str:
    """The flag beside a group's sentiment interval when it rests on one or two articles."""
    if articles == 1:
        return (" <b>One article</b>: the interval is that article's spread of sentence scores, "
                "not an outlet's.")
    if articles == 2:
        return (" <b>Two articles</b>: the interval resamples sentences of only two articles; "
                "read it as these articles', not as the group's.")
    return ""


def _by_article_note(by_article, outlet: str) -> str:
    """The outlet's sentiment with articles as the unit (each weighs alike; the interval resamples articles,
    the independent units), after the sentence-level figure; "" when the run has no such table."""
    if by_article is None or outlet not in by_article.index or int(by_article.loc[outlet, "articles"]) < 2:
        return ""
    a = by_article.loc[outlet]
    interval = ("no interval over fewer than three articles" if math.isnan(float(a["ci_low"])) else
                f"{esc(round(100 * float(a['level'])))}% interval resampling articles "
                f"{esc(fmt(a['ci_low'], 3, signed=True))} to {esc(fmt(a['ci_high'], 3, signed=True))}")
    return f" Articles weighed alike: mean {esc(fmt(a['mean'], 3, signed=True))} ({interval})."


def _target_section(d: dict) -> str:
    rows = d.get("target_by_group") or []
    story = d.get("story") or {}
    if not story.get("targets"):
        return ""
    names = ", ".join(t["name"] for t in story["targets"])
    parts = [f'<h2 id="target">Sentiment toward the target ({esc(names)})</h2>',
             "<p>Per group, the mean of its articles' target scores (each the mean, over the article's "
             "sentences that mention the target, of what the sentence says about the target: its clauses "
             "that name it and their comparisons, not its overall tone), with a 95% bootstrap interval that "
             "resamples articles; the share of target mentions labelled negative toward the target. Groups "
             "with fewer than three articles "
             "get no interval.</p>"]
    if not rows:
        parts.append('<p class="note">No sentence mentions the target.</p>')
        return "\n".join(parts)
    each = d.get("target_each") or []
    if each:
        parts.append("<p>With several targets the table below pools them: a sentence that names any of them "
                     "counts, scored toward all of them at once. Each target's own table and sentences follow it, "
                     "where a sentence is scored toward that target with the others as rival parties.</p>")
    parts.extend(_target_table(d, rows, d.get("target_sentences") or {}, heading="h4"))
    for one in each:
        parts.append(f'<h3>Toward {esc(one["name"])}</h3>')
        if one["by_group"]:
            parts.extend(_target_table(d, one["by_group"], one["sentences"], heading="h5"))
        else:
            parts.append('<p class="note">No sentence mentions this target.</p>')
    return "\n".join(parts)


def _target_table(d: dict, rows: list[dict], examples: Mapping[str, list[dict]], *, heading: str) -> list[str]:
    """A target table (per group: articles, mentions, mean with its interval, negative share) and the
    sentences behind it."""
    table = []
    for r in rows:
        interval = (f"[{fmt(r['low'], 3, signed=True)}, {fmt(r['high'], 3, signed=True)}]" if r["low"] is not None
                    else "— (too few articles)")
        table.append([esc(r["group"]), esc(r["articles"]), esc(r["mentions"]),
                      f'<span class="{_score_class(r["mean"])}">{esc(fmt(r["mean"], 3, signed=True))}</span>',
                      esc(interval), esc(fmt(100 * r["neg_share"], 1)) + "%"])
    parts = [_table(["group", "articles", "mentions", "mean", "95% interval", "negative mentions"], table,
                    numeric=(1, 2, 3, 5))]
    if examples:
        parts.append('<p>The sentences behind it: per group, the most negative and the most positive '
                     'toward the target (the score is what the sentence says about the target, not its overall '
                     'tone), each linked to its article where the article is listed in Appendix C.</p>')
        for group, items in examples.items():
            lis = [f'<li><span class="{_score_class(e["score"])}">{esc(fmt(e["score"], 2, signed=True))}</span> '
                   f'{esc(e["text"])} <span class="note">({_article_ref(d, e["id"], e["index"] + 1)})</span></li>'
                   for e in items]
            parts.append(f"<{heading}>{esc(group)}</{heading}>" + '<ul class="sents">' + "".join(lis) + "</ul>")
    return parts


def _topics_section(d: dict) -> str:
    topics = d.get("topics") or []
    if not topics:
        return ""
    groups = sorted({r["group"] for r in topics})
    names = []
    for r in topics:
        if r["topic"] not in names:
            names.append(r["topic"])
    terms = {r["topic"]: r["top_terms"] for r in topics}
    share = {(r["group"], r["topic"]): float(r["share"]) for r in topics}
    rows = [[esc(t), esc(terms[t])] + [esc(fmt(100 * share.get((g, t), 0.0), 1)) + "%" for g in groups]
            for t in names]
    return "\n".join([
        '<h2 id="topics">Discovered topics</h2>',
        "<p>Topics found in this corpus (NMF over TF-IDF; see <code>07_framing/suggested_frames.yaml</code>), "
        "beside the dictionary frames above: each group's mean share of its articles' topic weight. Topics are "
        "word clusters, not frames: read the terms before naming them.</p>",
        _table(["topic", "top terms", *groups], rows, numeric=tuple(range(2, 2 + len(groups))))])


# ---------------------------------------------------------------- sourcing (08_sourcing)


SOURCING_LIMITS = {"speakers_per_group": 8, "quotes_per_group": 12, "conflicts": 60, "passages": 40}


def collect_sourcing(inputs: Mapping[str, Path], params: Mapping) -> dict:
    """The sourcing stage's tables, capped: profile and speakers per group, example
    attributions per group, claim conflicts and shared passages (empty without the stage)."""
    folder = inputs.get(SOURCING)
    if folder is None or not (Path(folder) / "sourcing_profile.csv").exists():
        return {}
    import csv as _csv

    def rows(name: str) -> list[dict]:
        with open(Path(folder) / name, encoding=records.CSV_ENCODING, newline="") as fh:
            return list(_csv.DictReader(fh))

    def first(name: str, limit: int) -> tuple[list[dict], int]:
        """The first ``limit`` rows of a table that grows with the corpus, and how many it has: the rest
        is counted, not kept (reuse.csv of a large corpus runs to hundreds of MB)."""
        with open(Path(folder) / name, encoding=records.CSV_ENCODING, newline="") as fh:
            reader = _csv.DictReader(fh)
            kept = list(itertools.islice(reader, limit))
            return kept, len(kept) + sum(1 for _ in reader)

    limits = SOURCING_LIMITS
    speakers: dict[str, list[dict]] = defaultdict(list)
    for r in rows("top_speakers.csv"):
        if len(speakers[r["group"]]) < limits["speakers_per_group"]:
            speakers[r["group"]].append(r)
    quotes: dict[str, list[dict]] = defaultdict(list)
    n_quotes: Counter = Counter()
    with open(Path(folder) / "attributions.csv", encoding=records.CSV_ENCODING, newline="") as fh:
        for r in _csv.DictReader(fh):
            n_quotes[r["group"]] += 1
            if len(quotes[r["group"]]) < limits["quotes_per_group"]:
                quotes[r["group"]].append(r)
    conflicts, n_conflict_rows = first("claim_conflicts.csv", 2 * limits["conflicts"])
    passages, n_passages = first("reuse.csv", limits["passages"])
    return {"profile": rows("sourcing_profile.csv"), "speakers": dict(speakers), "quotes": dict(quotes),
            "n_quotes": dict(n_quotes), "conflicts": conflicts,
            "n_conflicts": n_conflict_rows // 2, "passages": passages,
            "n_passages": n_passages, "by_group": rows("reuse_by_group.csv")}


def _csv_text(value: str) -> str:
    """A cell as the stage was given it: the apostrophe that disarms a formula taken off for display."""
    return value[1:] if value.startswith("'") else value


def _sourcing_sections(d: dict) -> str:
    src = d.get("sourcing") or {}
    if not src:
        return ""
    parts = ['<h2 id="sourcing">Who speaks</h2>',
             '<p class="note">Attributions found by cue words (表示, 回应称, 据…了解, 网传 …), the speaker typed by '
             'the rules in resources/sourcing.yaml; shares are of all attributions in the group.</p>']
    profile: dict[str, list[dict]] = defaultdict(list)
    for r in src["profile"]:
        profile[r["group"]].append(r)
    # The groups with the most attributions get a table each (as many as the report's max_groups).
    ranked = sorted(profile, key=lambda g: (-src["n_quotes"].get(g, 0), g))
    limit = int((d.get("params") or {}).get("max_groups", 50))
    if len(ranked) > limit:
        parts.append(f'<p class="note">The {esc(limit)} groups with the most attributions are shown; '
                     f'{esc(len(ranked) - limit)} more are in the sourcing_profile table.</p>')
    for group in ranked[:limit]:
        items = sorted(profile[group], key=lambda r: (-int(r["n"]), r["speaker_type"]))
        parts.append(f"<h3>{esc(group)}: {esc(src['n_quotes'].get(group, 0))} attributions</h3>")
        parts.append(_table(["speaker type", "attributions", "share", "direct", "indirect"],
                            [[esc(r["speaker_type"]), esc(r["n"]), esc(fmt(100 * float(r["share"]), 0) + " %"),
                              esc(r["direct"]), esc(r["indirect"])] for r in items], numeric=(1, 2, 3, 4)))
        top = src["speakers"].get(group, [])
        if top:
            parts.append("<p>Most quoted: " + ", ".join(
                f"{esc(_csv_text(r['speaker']))} ({esc(r['speaker_type'])}, {esc(r['n'])})" for r in top) + "</p>")
        quotes = src["quotes"].get(group, [])
        if quotes:
            parts.append('<ul class="sents">' + "".join(
                f"<li><b>{esc(_csv_text(q['speaker']))}</b> <span class=\"note\">[{esc(q['speaker_type'])}; "
                f"{esc(q['cue'])}; {'direct' if q['direct'] == 'True' else 'indirect'}]</span> "
                f"{esc(_csv_text(q['content']))} <span class=\"note\">"
                f"[{_article_ref(d, q['id'], int(q['sentence']))}]</span></li>" for q in quotes) + "</ul>")
            parts.append(_shown(len(quotes), src["n_quotes"].get(group, 0), "attributions"))

    parts.append('<h2 id="claims">Where the outlets\' numbers differ</h2>')
    parts.append('<p class="note">The same subject (and period, where both state one) reported with values that '
                 'cannot both hold, beyond rounding: 将近一半 against 过半, 20亿 against 24.66亿.</p>')
    conflicts = src["conflicts"]
    if not conflicts:
        parts.append("<p>No differing figures found.</p>")
    else:
        rows = []
        for a, b in zip(conflicts[::2], conflicts[1::2]):
            rows.append([esc(a["subject"]), esc(a["group"]), esc(_csv_text(a["original"])) + " " +
                         f'<span class="note">({esc(_csv_text(a["value"]))})</span>',
                         _article_ref(d, a["id"], int(a["sentence"])),
                         esc(b["group"]), esc(_csv_text(b["original"])) + " " +
                         f'<span class="note">({esc(_csv_text(b["value"]))})</span>',
                         _article_ref(d, b["id"], int(b["sentence"]))])
        parts.append(_table(["subject", "group", "figure", "where", "other group", "figure", "where"], rows))
        parts.append(_shown(len(rows), src["n_conflicts"], "differing pairs"))

    parts.append('<h2 id="reuse">Shared passages</h2>')
    parts.append('<p class="note">Sentences of different articles that are near-duplicates (MinHash LSH over '
                 'character shingles, then the exact Jaccard similarity); the origin is the earlier article '
                 'when both dates are known.</p>')
    if src["by_group"]:
        parts.append(_table(["group", "group", "shared passages", "characters"],
                            [[esc(r["group_a"]), esc(r["group_b"]), esc(r["pairs"]), esc(r["chars"])]
                             for r in src["by_group"]], numeric=(2, 3)))
    if not src["passages"]:
        parts.append("<p>No shared passages found.</p>")
    for r in src["passages"]:
        origin = _article_label(d, r["origin"]) if r["origin"] else "unknown"
        parts.append(f'<p><b>{esc(r["group_a"])}</b> ↔ <b>{esc(r["group_b"])}</b> '
                     f'<span class="note">similarity {esc(r["similarity"])}; origin: {esc(origin)}</span></p>'
                     f'<ul class="sents"><li>{esc(_csv_text(r["text_a"]))} <span class="note">'
                     f'[{_article_ref(d, r["id_a"], int(r["sentences_a"].split()[0]))}]</span></li>'
                     f'<li>{esc(_csv_text(r["text_b"]))} <span class="note">'
                     f'[{_article_ref(d, r["id_b"], int(r["sentences_b"].split()[0]))}]</span></li></ul>')
    if src["passages"]:
        parts.append(_shown(len(src["passages"]), src["n_passages"], "shared passages"))
    return "\n".join(parts)


def render_report(d: dict) -> str:
    nav = " · ".join(link(a, t) for a, t in (("#corpus", "Corpus"), ("#figures", "Figures"), ("#outlets", "Outlets"),
                                               ("#evidence", "Frame evidence"), ("#terms", "Terms in context"),
                                               ("#articles", "Articles"), ("#stripped", "Stripped lines"),
                                               ("#repairs", "Repairs"), ("#concordance", "Concordance"),
                                               ("#methods", "Methods")))
    body = "\n".join([
        "<h1>How the outlets frame the story" + (f": {esc(d['story']['title'])}" if d.get("story", {}).get("title")
                                                  else "") + "</h1>",
        f"<nav>{nav}</nav>",
        _story_section(d),
        _corpus_section(d), _target_section(d), _figures_section(d), _outlet_sections(d), _topics_section(d),
        _sourcing_sections(d),
        _evidence_appendix(d),
        _terms_appendix(d), _methods_section(d),
        # The long lists (every article's sentence scores, stripped lines, repairs) are for the
        # screen: printed, the page would run to dozens of pages, so print leaves them out.
        '<section class="print-omit">', _articles_appendix(d), _stripped_appendix(d), _concordance_appendix(d),
        "</section>",
        '<p class="note">Printed copies leave out Appendices C to F (sentence scores, stripped lines, '
        "repairs, concordance); they are in the HTML page and the stage tables.</p>",
    ])
    return ("<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Framing report</title>\n"
            f"<style>{font_face(body)}{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


def font_face(text: str, font: Path = REPORT_FONT) -> str:
    """An ``@font-face`` rule embedding the glyphs of ``text`` (those the shipped base font has)
    as a WOFF data URL; the same text gives the same bytes.

    The base's outlines are TrueType (``glyf``, benchmarks/build_report_font.py), which the subset copies
    as stored: no glyph is decoded, since the base has no hinting instructions to strip
    (``hinting = True`` keeps what is not there) and the font-wide bounding boxes are kept from the
    base (``recalcBBoxes = False``: they enclose every glyph of the subset too). About a tenth of the
    time of subsetting CFF outlines, whose charstrings fontTools interprets in Python."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    if not font.exists():
        return ""
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []
    options.hinting = True
    options.notdef_outline = True
    face = TTFont(font, lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) - set("\n\r\t"))))
    subsetter.subset(face)
    buf = io.BytesIO()
    face.flavor = "woff"
    face.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'@font-face{{font-family:"{FONT_FAMILY}";src:url(data:font/woff;base64,{data}) format("woff");'
            "font-display:block}\n")


# ---------------------------------------------------------------- the stage


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping, prepared: dict | None = None, *,
              jobs: int = 1) -> dict:
    data = collect(inputs, params, prepared, jobs=jobs)
    page = render_report(data)
    records.write_text(out_dir / REPORT, page)
    return {"counts": {"articles": data["n_articles"], "outlets": len(data["outlets"]),
                       "figures": len(data["figures"]), "bytes": len(page.encode("utf-8"))}}


from .runner import CorpusStage  # noqa: E402

STAGE = CorpusStage(
    name="report", folder="09_report",
    upstreams=(INGEST, STRIP, NORMALIZE, SEGMENT, KEYWORDS, SENTIMENT, FRAMING, FIGURES, SOURCING),
    run=run_stage,
    prepare=collect_articles,
    uses_jobs=True,
    prepare_upstreams=(INGEST, STRIP, NORMALIZE, SEGMENT, KEYWORDS, SENTIMENT, FRAMING),
    params=dict(DEFAULT_PARAMS),
    resource_files=(REPORT_FONT,),
    code_files=(Path(__file__),),
    libraries=("pandas", "fonttools", "pyahocorasick"),
)
