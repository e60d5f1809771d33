"""Keywords: per-article TF-IDF top terms and distinctive terms per outlet.

Reads 04_segment and uses the content tokens (``is_content == 1``) only: stop words and
punctuation are removed upstream, one-character content words stay.

* TF-IDF: what scikit-learn's ``TfidfVectorizer(norm="l2", smooth_idf=True)`` computes
  (:func:`article_keywords`; a test checks the two agree on the seeds), done on the
  per-article counts: importing scikit-learn alone takes longer (2.5 s) than the whole
  computation on 20,000 articles. ``idf="background"`` (default) replaces the corpus idf by
  one computed from background document frequencies merged with the corpus's,
  ``idf = ln((1 + N_bg + N) / (1 + df_bg + df)) + 1`` (:func:`merged_idf`); ``idf="corpus"``
  keeps scikit-learn's smoothed corpus idf ``ln((1 + N) / (1 + df)) + 1``.
* Distinctive terms: each outlet against all other articles, log-odds ratio with an
  informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), the prior
  being the pooled corpus counts scaled to ``alpha0`` pseudo-counts (:func:`fightin_words`).

Map-reduce: the map (:func:`count_terms`, per article, cached and parallel) turns each
04_segment record into its content-term counts, ``05_keywords/articles.jsonl``; the reduce
(:func:`finish`) computes everything corpus-wide from those counts in two streaming passes.
Records and text are never held in memory; adding one article maps that article alone.
"""
from __future__ import annotations

import csv
import gzip
import heapq
import io
import math
import operator
from collections import Counter
from itertools import chain, repeat
from pathlib import Path
from typing import Iterable, Mapping

from . import grouping, records
from .config import ARTICLES, RESOURCES
from .grouping import UNKNOWN_OUTLET
from .segment import content_words
from .runner import ArticleStage, map_ranges, read_range

BACKGROUND_PATH = RESOURCES / "background_df.tsv.gz"
IDF_MODES = ("corpus", "background")

DEFAULT_PARAMS = {
    "k": 20,                  # keywords per article
    "idf": "background",      # "corpus" or "background" (see README, "keywords")
    "sublinear_tf": False,
    "alpha0": 1000.0,         # Fightin' Words prior strength (total pseudo-counts)
    "distinctive_top": 50,    # terms per outlet in distinctive.csv
}

# ---------------------------------------------------------------- pure helpers


def outlet_group(outlet: str | None) -> str:
    """The group of an outlet name (see :mod:`pipeline.grouping`)."""
    return grouping.label(outlet)


def content_tokens(record: Mapping) -> list[str]:
    """The content tokens of one 04_segment record, in text order."""
    return [word for sentence in record.get("sentences", ()) for word in content_words(sentence)]


def merged_idf(df: Mapping[str, int], n_docs: int, df_bg: Mapping[str, int], n_bg: int,
               vocabulary: Iterable[str]) -> list[float]:
    """idf = ln((1 + N_bg + N) / (1 + df_bg + df)) + 1 for each term of ``vocabulary`` in order."""
    return [math.log((1 + n_bg + n_docs) / (1 + df_bg.get(t, 0) + df.get(t, 0))) + 1.0 for t in vocabulary]


def top_terms(scores: Mapping[str, float], k: int) -> list[tuple[str, float]]:
    """The k best (term, score): score descending (rounded to 6 decimals), then term ascending."""
    ranked = sorted(((t, round(float(s), 6)) for t, s in scores.items() if s > 0), key=lambda ts: (-ts[1], ts[0]))
    return ranked[:k]


def article_keywords(terms: Mapping[str, int], idf: Mapping[str, float], k: int, *,
                     sublinear_tf: bool = False) -> list[tuple[str, float]]:
    """One article's k best TF-IDF terms from its term counts: :func:`top_terms` of

        score_t = w_t / ||w||,  w_t = tf_t * idf_t,  tf_t = count_t (or 1 + ln count_t, sublinear)

    which is what scikit-learn's ``TfidfVectorizer(norm="l2")`` computes for the row
    (``tests/test_keywords.py`` checks the two agree). Rounding is monotone, so only the
    terms scoring at least the k-th best score rounded, less 1e-6, can be among the k best
    after rounding: only those (k and the ties at the boundary) are rounded and ranked.
    """
    words = [t for t, c in terms.items() if c > 0]
    counts = [terms[t] for t in words]
    if sublinear_tf:
        counts = [1.0 + math.log(c) for c in counts]
    weights = list(map(operator.mul, counts, map(idf.__getitem__, words)))
    norm = math.sqrt(math.fsum(map(operator.mul, weights, weights)))
    if norm == 0:
        return []
    scores = [w / norm for w in weights]
    if len(scores) > k > 0:
        floor = round(heapq.nlargest(k, scores)[-1], 6) - 1e-6
        return top_terms({t: v for t, v in zip(words, scores) if v >= floor}, k)
    return top_terms(dict(zip(words, scores)), k)


def fightin_words(counts: Mapping[str, Counter], *, alpha0: float) -> dict[str, list[dict]]:
    """Monroe, Colaresi & Quinn (2008) log-odds with informative Dirichlet prior, each group vs the rest.

    ``counts``: group -> term counts. The prior is the pooled counts scaled to ``alpha0``
    pseudo-counts: ``a_w = alpha0 * pooled_w / n_pooled``. For group i against the rest j:

        delta_w = ln((y_iw + a_w) / (n_i + a0 - y_iw - a_w)) - ln((y_jw + a_w) / (n_j + a0 - y_jw - a_w))
        var_w   = 1 / (y_iw + a_w) + 1 / (y_jw + a_w)
        z_w     = delta_w / sqrt(var_w)

    Returns group -> rows {term, count, count_rest, delta, z} for every term in the corpus,
    sorted by z descending then term.
    """
    pooled: Counter = Counter()
    for c in counts.values():
        pooled.update(c)
    n_pooled = sum(pooled.values())
    out: dict[str, list[dict]] = {}
    if n_pooled == 0:
        return {g: [] for g in counts}
    a0 = float(alpha0)
    for group in sorted(counts):
        yi = counts[group]
        n_i = sum(yi.values())
        n_j = n_pooled - n_i
        rows = [_fw_row(term, yi.get(term, 0), total, n_i, n_j, n_pooled, a0) for term, total in pooled.items()]
        rows.sort(key=lambda r: (-round(r["z"], 6), r["term"]))
        out[group] = rows
    return out


def _fw_row(term: str, y_i: int, total: int, n_i: int, n_j: int, n_pooled: int, a0: float) -> dict:
    """One row of :func:`fightin_words`, computed exactly as there."""
    a = a0 * total / n_pooled
    y_j = total - y_i
    delta = (math.log((y_i + a) / (n_i + a0 - y_i - a))
             - math.log((y_j + a) / (n_j + a0 - y_j - a)))
    var = 1.0 / (y_i + a) + 1.0 / (y_j + a)
    return {"term": term, "count": y_i, "count_rest": y_j, "delta": delta, "z": delta / math.sqrt(var)}


def fightin_words_top(counts: Mapping[str, Counter], *, alpha0: float, top: int) -> dict[str, list[dict]]:
    """The first ``top`` rows of :func:`fightin_words` for each group: the same rows, in time
    that grows with the group's own terms, not with the vocabulary (10,000 groups take
    seconds; the row-by-row loop over the whole vocabulary took most of an hour).

    A group's rows are those of its own terms and of terms it never uses. The first are
    computed as in :func:`fightin_words`, for the terms that can reach the top alone
    (:func:`_contenders`). For the others z depends only on the term's pooled
    count, so they form one level per distinct pooled count, each ordered by term: levels are
    taken best first (by numpy) until ``top`` terms are in hand, plus the next level, whose
    rows are then computed exactly too. Everything is ranked by :func:`fightin_words`'s key.
    """
    import numpy as np

    pooled: Counter = Counter()
    for c in counts.values():
        pooled.update(c)
    n_pooled = sum(pooled.values())
    if n_pooled == 0:
        return {g: [] for g in counts}
    a0 = float(alpha0)
    by_total: dict[int, list[str]] = {}
    for term in sorted(pooled):
        by_total.setdefault(pooled[term], []).append(term)
    totals = np.array(sorted(by_total), dtype=float)
    a = a0 * totals / n_pooled
    out: dict[str, list[dict]] = {}
    for group in sorted(counts):
        yi = counts[group]
        n_i = sum(yi.values())
        n_j = n_pooled - n_i
        rows = [_fw_row(t, n, pooled[t], n_i, n_j, n_pooled, a0) for t, n in _contenders(yi, pooled, n_i, n_j,
                                                                                          n_pooled, a0, top)]
        with np.errstate(divide="ignore", invalid="ignore"):  # z of an unused term, per pooled count
            z0 = ((np.log(a / (n_i + a0 - a)) - np.log((totals + a) / (n_j + a0 - totals - a)))
                  / np.sqrt(1.0 / a + 1.0 / (totals + a)))
        z0 = np.nan_to_num(z0, nan=-np.inf)
        taken = 0
        for level in np.argsort(-z0, kind="stable"):
            found = 0
            for term in by_total[int(totals[level])]:
                if term in yi:
                    continue
                rows.append(_fw_row(term, 0, pooled[term], n_i, n_j, n_pooled, a0))
                found += 1
                if found == top:
                    break
            if taken >= top:  # the level after the one that filled: ties at the boundary
                break
            taken += found
        rows.sort(key=lambda r: (-round(r["z"], 6), r["term"]))
        out[group] = rows[:top]
    return out


# How far below the ``top``-th approximate z a group's own term may be and still be computed
# exactly: far above the difference between numpy's and math's logarithms (about 1e-12 here),
# and above the 1e-6 of the ranking's rounding.
_Z_MARGIN = 1e-5


def _contenders(yi: Mapping[str, int], pooled: Mapping[str, int], n_i: int, n_j: int, n_pooled: int, a0: float,
                top: int) -> list[tuple[str, int]]:
    """The group's own (term, count) that can be among its ``top`` rows: z computed by numpy for
    every term, and kept those within :data:`_Z_MARGIN` of the ``top``-th best (every one when z
    is not finite somewhere). A term left out has an exact z more than 1e-6 below that of ``top``
    kept terms, so it ranks after them whatever the rounding: the rows computed exactly from the
    rest are the same."""
    import numpy as np

    own = [(t, n) for t, n in yi.items() if n]
    if len(own) <= top:
        return own
    y = np.fromiter((n for _, n in own), dtype=float, count=len(own))
    total = np.fromiter((pooled[t] for t, _ in own), dtype=float, count=len(own))
    a = a0 * total / n_pooled
    y_j = total - y
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((np.log((y + a) / (n_i + a0 - y - a)) - np.log((y_j + a) / (n_j + a0 - y_j - a)))
             / np.sqrt(1.0 / (y + a) + 1.0 / (y_j + a)))
    if not np.isfinite(z).all():
        return own
    floor = np.partition(z, len(z) - top)[len(z) - top] - _Z_MARGIN
    return [own[i] for i in np.flatnonzero(z >= floor)]


def load_background(path: Path = BACKGROUND_PATH) -> tuple[int, dict[str, int]]:
    """(n_docs, term -> df) from the shipped background file (see its header)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        header = fh.readline()
        meta = dict(part.split("=", 1) for part in header.lstrip("# ").strip().split("\t"))
        fh.readline()  # column names
        fields = fh.read().replace("\n", "\t").split("\t")
    if fields and fields[-1] == "":
        fields.pop()  # the last line's end
    if len(fields) % 2:
        raise ValueError(f"{Path(path).name}: expected term<TAB>df on every line")
    return int(meta["n_docs"]), dict(zip(fields[::2], map(int, fields[1::2])))


# ---------------------------------------------------------------- the stage: map, then reduce


def by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """(term, count) by count descending, then term: sorted by term, then stably by count (the
    terms alone are sorted, and by a key looked up in C: a vocabulary of 76,000 in 0.05 s)."""
    terms = sorted(counts)
    terms.sort(key=counts.__getitem__, reverse=True)  # stable, reverse included
    return list(zip(terms, map(counts.__getitem__, terms)))


def count_terms(record: Mapping, resources: object = None) -> dict:
    """The map: one 04_segment record -> its content-term counts (a 05_keywords record).

    ``terms`` is ordered by count, then term. Everything corpus-wide (document
    frequencies, TF-IDF, distinctive terms) is reduced from these records alone.
    """
    counts = Counter(content_tokens(record))  # counted in C; only Latin tokens are keyed apart
    forms: dict[str, Counter] = {}
    latin = [(token, n) for token, n in counts.items() if token.isascii() and token.casefold() != token]
    for token, n in latin:  # AI, Ai -> ai (a term_key that differs from the token)
        key = term_key(token)
        del counts[token]
        counts[key] += n
        forms.setdefault(key, Counter())[token] += n
    out = {"id": record["id"], "source": record["source"], "outlet": record.get("outlet"),
           "content_tokens": sum(counts.values()),
           "terms": dict(by_count(counts))}
    if forms:  # how the case-folded Latin terms were written, for the corpus-wide display form
        out["forms"] = {key: dict(sorted(forms[key].items())) for key in sorted(forms)}
    return out


def term_key(token: str) -> str:
    """What terms are counted by: Latin words case-folded (AI, Ai and ai are one term), the rest as is."""
    return token.casefold() if token.isascii() else token


def display_forms(forms: Mapping[str, Counter]) -> dict[str, str]:
    """Counted key -> the form it is shown in: its most frequent written form (ties: the first
    in code-point order). Keys without a recorded form are shown as they are."""
    return {key: min(written.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, written in forms.items()}


def fold_counts(counts: Mapping[str, int], *, cap: int | None = None) -> dict[str, int]:
    """Counts under :func:`term_key` (summed; at most ``cap``, e.g. a document count)."""
    out: dict[str, int] = {}
    for term, n in counts.items():
        key = term_key(term)
        out[key] = out.get(key, 0) + n
    if cap is not None:
        out = {k: min(v, cap) for k, v in out.items()}
    return out


def _csv_text(header: list[str], rows: Iterable[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def folded_background(n_bg: int, df_bg: Mapping[str, int]) -> dict[str, int]:
    """``fold_counts(df_bg, cap=n_bg)``'s values (its key order aside: the table is only looked
    up), touching only the terms that fold (Latin with capitals: 2,159 of the 67,463)."""
    out = dict(df_bg)
    for term in [t for t in filter(str.isascii, df_bg) if t.casefold() != t]:  # the rest are their own key
        n = out.pop(term)
        key = term_key(term)  # never a term that folds itself
        out[key] = out.get(key, 0) + n
    if out and max(out.values()) > n_bg:
        out = {k: min(v, n_bg) for k, v in out.items()}
    return out


class Idf(dict):
    """term -> idf, each term's computed when it is first asked for, in the process that asks
    (a forked worker fills its own copy): :func:`merged_idf`'s formula with a background
    ``(n_bg, df_bg)``, else :func:`corpus_idf`'s. The same floats as those tables, without
    a pass over the whole vocabulary in the process that merges."""

    def __init__(self, df: Mapping[str, int], n_docs: int, background: tuple[int, Mapping[str, int]] | None = None):
        super().__init__()
        self.df, self.n_docs, self.background = df, n_docs, background

    def __missing__(self, term: str) -> float:
        if self.background is None:
            value = math.log((1 + self.n_docs) / (1 + self.df[term])) + 1.0
        else:
            n_bg, df_bg = self.background
            value = math.log((1 + n_bg + self.n_docs) / (1 + df_bg.get(term, 0) + self.df.get(term, 0))) + 1.0
        self[term] = value
        return value


def corpus_idf(df: Mapping[str, int], n_docs: int) -> dict[str, float]:
    """scikit-learn's smoothed idf: ln((1 + N) / (1 + df)) + 1."""
    return {t: math.log((1 + n_docs) / (1 + n)) + 1.0 for t, n in df.items()}


def _count_range(path: Path, start: int, end: int,
                 groups: grouping.Groups) -> tuple[int, Counter, dict[str, Counter], dict[str, Counter]]:
    """Pass 1 over one range of per-article counts: (articles, document frequencies, counts per
    group, written forms of the case-folded terms)."""
    by_outlet: dict[str, Counter] = {}
    df: Counter = Counter()
    forms: dict[str, Counter] = {}
    n_docs = 0
    for record in read_range(path, start, end):
        terms = record["terms"]
        for key, written in (record.get("forms") or {}).items():
            forms.setdefault(key, Counter()).update(written)
        # Counter.update(mapping) loops in Python; counting each term count times runs in C
        by_outlet.setdefault(groups(record), Counter()).update(
            chain.from_iterable(map(repeat, terms, terms.values())))
        df.update(terms.keys())
        n_docs += 1
    return n_docs, df, by_outlet, forms


def _score_range(path: Path, start: int, end: int, shared: tuple) -> tuple[int, str]:
    """Pass 2 over one range: (keyword rows, their CSV lines) for its articles, in order."""
    idf, k, sublinear_tf, groups, shown = shared
    rows = []
    for record in read_range(path, start, end):
        top = article_keywords(record["terms"], idf, k, sublinear_tf=sublinear_tf)
        id_, src, group = record["id"], record["source"], groups(record)
        id_, src, group = records.csv_safe(id_), records.csv_safe(src), records.csv_safe(group)
        rows.extend([id_, src, group, records.csv_safe(shown.get(term, term)), f"{score:.6f}", rank]
                    for rank, (term, score) in enumerate(top, 1))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return len(rows), buf.getvalue()


def finish(out_dir: Path, params: Mapping, *, jobs: int = 1) -> dict:
    """The reduce: two streaming passes over the per-article counts in ``articles.jsonl``.

    Pass 1 sums document frequencies and counts per outlet; pass 2 scores each article's
    terms with the idf. Each pass reads the file in ranges, in ``jobs`` processes when it
    is large (:func:`pipeline.runner.map_ranges`); results are merged in file order, so
    the output is the same whatever ``jobs``. Memory holds the vocabulary, never the articles.
    """
    p = {**DEFAULT_PARAMS, **params}
    if p["idf"] not in IDF_MODES:
        raise ValueError(f"idf must be one of {IDF_MODES}, not {p['idf']!r}")
    source = Path(out_dir) / ARTICLES
    groups = grouping.load(Path(out_dir).parent, p.get("_group_by", "outlet"))

    by_outlet: dict[str, Counter] = {}
    df: Counter = Counter()
    forms: dict[str, Counter] = {}
    n_docs = 0
    for n, range_df, range_by_outlet, range_forms in map_ranges(_count_range, source, jobs=jobs, shared=groups):
        n_docs += n
        df.update(range_df)
        for group, counts in range_by_outlet.items():
            by_outlet.setdefault(group, Counter()).update(counts)
        for key, written in range_forms.items():
            forms.setdefault(key, Counter()).update(written)
    shown = display_forms(forms)  # counted key -> the form tables show
    n_bg = 0
    if p["idf"] == "background":
        n_bg, df_bg = load_background()
        idf = Idf(df, n_docs, (n_bg, folded_background(n_bg, df_bg)))
    else:
        idf = Idf(df, n_docs)  # each term's idf computed where pass 2 first meets it

    n_rows = 0
    with records.atomic_open(out_dir / "keywords.csv") as fh:
        fh.write("id,source,outlet,term,score,rank\n")
        for n, text in map_ranges(_score_range, source, jobs=jobs, shared=(idf, p["k"], p["sublinear_tf"], groups, shown),
                                  fine=True):
            n_rows += n
            fh.write(text)

    # Distinctive terms per outlet (needs at least two groups to compare).
    drows = []
    if len(by_outlet) >= 2:
        for group, terms in fightin_words_top(by_outlet, alpha0=p["alpha0"], top=p["distinctive_top"]).items():
            for rank, r in enumerate(terms, 1):
                drows.append([records.csv_safe(group), records.csv_safe(shown.get(r["term"], r["term"])),
                              r["count"], r["count_rest"],
                              f"{r['z']:.6f}", f"{r['delta']:.6f}", rank])
    records.write_text(out_dir / "distinctive.csv",
                       _csv_text(["outlet", "term", "count", "count_rest", "z", "delta", "rank"], drows))
    # The counts behind it all, so later stages (plots) never re-read the tokens.
    cell = {t: records.csv_safe(shown.get(t, t)) for t in df}  # each term's CSV cell, made once
    rows = []
    for g in sorted(by_outlet):
        group = records.csv_safe(g)
        rows.extend([group, cell[t], n] for t, n in by_count(by_outlet[g]))
    records.write_text(out_dir / "outlet_terms.csv", _csv_text(["outlet", "term", "count"], rows))
    records.write_text(out_dir / "document_frequencies.csv", _csv_text(
        ["term", "df"], [[cell[t], n] for t, n in by_count(df)]))
    records.write_text(out_dir / FORMS, _csv_text(["key", "term"], [[records.csv_safe(k), records.csv_safe(v)]
                                                                    for k, v in sorted(shown.items())]))
    return {
        "totals": {"articles": n_docs, "vocabulary": len(df), "keyword_rows": n_rows,
                   "outlets": len(by_outlet), "distinctive_rows": len(drows)},
        "outlets": {g: sum(c.values()) for g, c in sorted(by_outlet.items())},
        "background": {"n_docs": n_bg, "file": BACKGROUND_PATH.name} if p["idf"] == "background" else None,
        "group_by": groups.group_by,
        "notes": [] if len(by_outlet) >= 2 else ["distinctive.csv is empty: fewer than two groups"],
    }


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping) -> dict:
    """Map and reduce in this process, without the runner (its cache, workers and manifest)."""
    records.write_jsonl(Path(out_dir) / ARTICLES,
                        map(count_terms, records.read_jsonl(Path(inputs["04_segment"]) / ARTICLES)))
    return finish(Path(out_dir), params)


# ---------------------------------------------------------------- tables


FORMS = "term_forms.csv"  # counted key -> the form the tables show (case-folded Latin terms only)


def read_display_forms(stage_dir: Path) -> dict[str, str]:
    path = Path(stage_dir) / FORMS
    if not path.exists():
        return {}
    with open(path, encoding=records.CSV_ENCODING, newline="") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        return {records.csv_text(key): records.csv_text(term) for key, term in rows}


def read_term_counts(stage_dir: Path) -> tuple[dict[str, Counter], Counter, int]:
    """(outlet -> content-token counts, article document frequencies, number of articles)."""
    counts: dict[str, Counter] = {}
    with open(Path(stage_dir) / "outlet_terms.csv", encoding=records.CSV_ENCODING, newline="") as fh:
        rows = csv.reader(fh)
        if next(rows, None) != ["outlet", "term", "count"]:
            raise ValueError(f"{stage_dir}/outlet_terms.csv: expected the header outlet,term,count")
        for outlet, term, count in rows:
            counts.setdefault(records.csv_text(outlet), Counter())[records.csv_text(term)] = int(count)
    with open(Path(stage_dir) / "document_frequencies.csv", encoding=records.CSV_ENCODING, newline="") as fh:
        rows = csv.reader(fh)
        if next(rows, None) != ["term", "df"]:
            raise ValueError(f"{stage_dir}/document_frequencies.csv: expected the header term,df")
        df = Counter({records.csv_text(term): int(n) for term, n in rows})
    n_docs = records.read_json(Path(stage_dir) / "manifest.json")["totals"]["articles"]
    return counts, df, n_docs


def keywords_frame(stage_dir: Path):
    import pandas as pd

    return records.csv_texts(pd.read_csv(stage_dir / "keywords.csv", dtype={"id": str, "source": str, "outlet": str,
                                                                            "term": str}, keep_default_na=False,
                                                     encoding=records.CSV_ENCODING),
                             ("id", "source", "outlet", "term"))


def term_counts_frame(stage_dir: Path):
    """id, source, outlet, term, count: each article's content-term counts (the map's output)."""
    import pandas as pd

    cols: dict[str, list] = {"id": [], "source": [], "outlet": [], "term": [], "count": []}
    shown = read_display_forms(stage_dir)
    for record in records.read_jsonl(Path(stage_dir) / ARTICLES):
        n = len(record["terms"])
        cols["id"] += [record["id"]] * n
        cols["source"] += [record["source"]] * n
        cols["outlet"] += [outlet_group(record.get("outlet"))] * n
        cols["term"] += [shown.get(t, t) for t in record["terms"]]
        cols["count"] += record["terms"].values()
    frame = pd.DataFrame(cols).astype({"count": "int64"})
    frame["outlet"] = frame["outlet"].astype("category")
    return frame


def distinctive_frame(stage_dir: Path):
    import pandas as pd

    return records.csv_texts(pd.read_csv(stage_dir / "distinctive.csv", dtype={"outlet": str, "term": str},
                                         keep_default_na=False, encoding=records.CSV_ENCODING), ("outlet", "term"))


STAGE = ArticleStage(
    name="keywords",
    folder="05_keywords",
    upstream="04_segment",
    process=count_terms,
    finish=finish,
    params=dict(DEFAULT_PARAMS),
    resource_files=(BACKGROUND_PATH,),
    code_files=(Path(__file__), Path(__file__).with_name("segment.py")),
)
TABLES = {"keywords": keywords_frame, "distinctive": distinctive_frame, "term_counts": term_counts_frame}
