"""Keywords: per-article TF-IDF top terms and distinctive terms per outlet.

Reads 04_segment and uses the content tokens (``is_content == 1``) only: stop words and
punctuation are removed upstream, one-character content words stay.

* TF-IDF: scikit-learn ``TfidfVectorizer`` with a callable analyzer (:func:`identity`)
  fitted on the corpus. ``idf="background"`` (default) replaces the corpus idf by one
  computed from background document frequencies merged with the corpus's,
  ``idf = ln((1 + N_bg + N) / (1 + df_bg + df)) + 1`` (:func:`merged_idf`); ``idf="corpus"``
  keeps scikit-learn's smoothed corpus idf ``ln((1 + N) / (1 + df)) + 1``.
* Distinctive terms: each outlet against all other articles, log-odds ratio with an
  informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), the prior
  being the pooled corpus counts scaled to ``alpha0`` pseudo-counts (:func:`fightin_words`).

The segment records are read once: each article's content tokens are kept as term ids in a
compact array (4 bytes a token, the per-article counts the corpus statistics are computed
from), with term counts per outlet; the TF-IDF is fitted on them and applied in batches.
Records and text are never held in memory.
"""
from __future__ import annotations

import csv
import gzip
import io
import math
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from . import records
from .config import ARTICLES, RESOURCES
from .segment import content_words

BACKGROUND_PATH = RESOURCES / "background_df.tsv.gz"
UNKNOWN_OUTLET = "unknown (no outlet named)"
IDF_MODES = ("corpus", "background")
BATCH = 1000  # articles transformed at a time

DEFAULT_PARAMS = {
    "k": 20,                  # keywords per article
    "idf": "background",      # "corpus" or "background" (see README, "keywords")
    "sublinear_tf": False,
    "alpha0": 1000.0,         # Fightin' Words prior strength (total pseudo-counts)
    "distinctive_top": 50,    # terms per outlet in distinctive.csv
}

# ---------------------------------------------------------------- pure helpers


def identity(doc: list[str]) -> list[str]:
    """The analyzer: documents arrive already tokenised (module-level so that it pickles)."""
    return doc


def outlet_group(outlet: str | None) -> str:
    outlet = (outlet or "").strip()
    return outlet if outlet else UNKNOWN_OUTLET


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


def top_terms_of_rows(X, vocab, k: int) -> Iterator[list[tuple[str, float]]]:
    """:func:`top_terms` of each row of the CSR matrix ``X`` (columns named by ``vocab``), fast.

    Rounding is monotone, so a term can only be among the k best after rounding if its raw
    score is at least the k-th best raw score rounded, less 1e-6: only those candidates
    (k and the ties at the boundary) are rounded and ranked exactly as :func:`top_terms` does.
    """
    import numpy as np

    indptr, indices, data = X.indptr, X.indices, X.data
    for r in range(X.shape[0]):
        lo, hi = indptr[r], indptr[r + 1]
        values = data[lo:hi]
        cols = indices[lo:hi]
        if hi - lo > k > 0:
            order = np.argsort(-values, kind="stable")
            floor = round(float(values[order[k - 1]]), 6) - 1e-6
            order = order[values[order] >= floor]
            values, cols = values[order], cols[order]
        yield top_terms({vocab[j]: v for j, v in zip(cols.tolist(), values.tolist())}, k)


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
        rows = []
        for term, total in pooled.items():
            a = a0 * total / n_pooled
            y_i = yi.get(term, 0)
            y_j = total - y_i
            delta = (math.log((y_i + a) / (n_i + a0 - y_i - a))
                     - math.log((y_j + a) / (n_j + a0 - y_j - a)))
            var = 1.0 / (y_i + a) + 1.0 / (y_j + a)
            rows.append({"term": term, "count": y_i, "count_rest": y_j,
                         "delta": delta, "z": delta / math.sqrt(var)})
        rows.sort(key=lambda r: (-round(r["z"], 6), r["term"]))
        out[group] = rows
    return out


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


# ---------------------------------------------------------------- the stage


def _csv_text(header: list[str], rows: Iterable[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    p = {**DEFAULT_PARAMS, **params}
    if p["idf"] not in IDF_MODES:
        raise ValueError(f"idf must be one of {IDF_MODES}, not {p['idf']!r}")
    source = Path(inputs["04_segment"]) / ARTICLES

    # One pass over 04_segment: per article its content tokens, kept as compact term ids
    # (4 bytes a token, never the records or the text); counts per outlet and document
    # frequencies on the way. The TF-IDF is fitted on these, then applied in batches.
    by_outlet: dict[str, Counter] = {}
    df: Counter = Counter()
    meta: list[tuple[str, str, str]] = []  # (id, source, outlet) per article, in input order
    term_ids: dict[str, int] = {}
    docs: list[array] = []
    for record in records.read_jsonl(source):
        tokens = content_tokens(record)
        group = outlet_group(record.get("outlet"))
        by_outlet.setdefault(group, Counter()).update(tokens)
        distinct = set(tokens)
        df.update(distinct)
        meta.append((record["id"], record["source"], group))
        for term in distinct.difference(term_ids):
            term_ids[term] = len(term_ids)
        docs.append(array("I", map(term_ids.__getitem__, tokens)))
    terms = list(term_ids)
    del term_ids

    def token_lists(part: Iterable[array]) -> Iterator[list[str]]:
        return (list(map(terms.__getitem__, doc)) for doc in part)

    vec = TfidfVectorizer(analyzer=identity, sublinear_tf=p["sublinear_tf"], norm="l2", smooth_idf=True)
    fitted = False
    try:
        vec.fit(token_lists(docs))
        fitted = True
    except ValueError:  # empty vocabulary: no content tokens anywhere
        pass
    n_docs = len(meta)
    vocab: list[str] = vec.get_feature_names_out().tolist() if fitted else []
    n_bg = 0
    if fitted and p["idf"] == "background":
        n_bg, df_bg = load_background()
        vec.idf_ = np.asarray(merged_idf(df, n_docs, df_bg, n_bg, vocab), dtype=np.float64)

    # Transform in batches and keep each article's top k.
    rows = []
    if fitted:
        for start in range(0, n_docs, BATCH):
            X = vec.transform(token_lists(docs[start:start + BATCH])).tocsr()
            for (id_, src, group), top in zip(meta[start:start + BATCH], top_terms_of_rows(X, vocab, p["k"])):
                for rank, (term, score) in enumerate(top, 1):
                    rows.append([id_, src, group, term, f"{score:.6f}", rank])
    del docs
    records.write_text(out_dir / "keywords.csv",
                       _csv_text(["id", "source", "outlet", "term", "score", "rank"], rows))

    # Distinctive terms per outlet (needs at least two groups to compare).
    drows = []
    if len(by_outlet) >= 2:
        for group, terms in fightin_words(by_outlet, alpha0=p["alpha0"]).items():
            for rank, r in enumerate(terms[: p["distinctive_top"]], 1):
                drows.append([group, r["term"], r["count"], r["count_rest"],
                              f"{r['z']:.6f}", f"{r['delta']:.6f}", rank])
    records.write_text(out_dir / "distinctive.csv",
                       _csv_text(["outlet", "term", "count", "count_rest", "z", "delta", "rank"], drows))
    # The counts behind it all, so later stages (plots) never re-read the tokens.
    records.write_text(out_dir / "outlet_terms.csv", _csv_text(
        ["outlet", "term", "count"],
        [[g, t, n] for g in sorted(by_outlet) for t, n in sorted(by_outlet[g].items(), key=lambda kv: (-kv[1], kv[0]))]))
    records.write_text(out_dir / "document_frequencies.csv", _csv_text(
        ["term", "df"], [[t, n] for t, n in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))]))
    return {
        "totals": {"articles": n_docs, "vocabulary": len(vocab), "keyword_rows": len(rows),
                   "outlets": len(by_outlet), "distinctive_rows": len(drows)},
        "outlets": {g: sum(c.values()) for g, c in sorted(by_outlet.items())},
        "background": {"n_docs": n_bg, "file": BACKGROUND_PATH.name} if p["idf"] == "background" else None,
        "notes": [] if len(by_outlet) >= 2 else ["distinctive.csv is empty: fewer than two outlet groups"],
    }


# ---------------------------------------------------------------- tables


def read_term_counts(stage_dir: Path) -> tuple[dict[str, Counter], Counter, int]:
    """(outlet -> content-token counts, article document frequencies, number of articles)."""
    counts: dict[str, Counter] = {}
    with open(Path(stage_dir) / "outlet_terms.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            counts.setdefault(row["outlet"], Counter())[row["term"]] = int(row["count"])
    with open(Path(stage_dir) / "document_frequencies.csv", encoding="utf-8", newline="") as fh:
        df = Counter({row["term"]: int(row["df"]) for row in csv.DictReader(fh)})
    n_docs = records.read_json(Path(stage_dir) / "manifest.json")["totals"]["articles"]
    return counts, df, n_docs


def keywords_frame(stage_dir: Path):
    import pandas as pd

    return pd.read_csv(stage_dir / "keywords.csv", dtype={"id": str, "source": str, "outlet": str, "term": str},
                       keep_default_na=False)


def distinctive_frame(stage_dir: Path):
    import pandas as pd

    return pd.read_csv(stage_dir / "distinctive.csv", dtype={"outlet": str, "term": str}, keep_default_na=False)


from .stage import CorpusStage  # noqa: E402

STAGE = CorpusStage(
    name="keywords",
    folder="05_keywords",
    upstreams=("04_segment",),
    run=run_stage,
    params=dict(DEFAULT_PARAMS),
    resource_files=(BACKGROUND_PATH,),
    code_files=(Path(__file__),),
    libraries=("scikit-learn",),
)
TABLES = {"keywords": keywords_frame, "distinctive": distinctive_frame}
