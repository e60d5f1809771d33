"""Frame discovery: topics found in the corpus itself, as a starting point for a frames file.

For a corpus without a frames file written for its story, the framing stage suggests frames
from the data: non-negative matrix factorisation (scikit-learn ``NMF``, NNDSVD start, fixed
seed) of the articles' TF-IDF over their content words (04_segment). The number of topics
is the story's ``frames.topics``, or else chosen by a stated criterion: of the candidates
:data:`CANDIDATES` that the corpus can support (at most one topic per 3 articles), the one
whose topics are most coherent, by the mean UMass coherence of each topic's ten top terms
(Mimno et al. 2011: ``sum log((D(wi, wj) + 1) / D(wj))`` over ordered pairs, D = document
counts). Ties go to fewer topics.

Outputs in ``07_framing/``:
- ``suggested_frames.yaml``: the topics in the frames-file format (id, label, label_en,
  description, terms), plus each topic's emphasis per group: ready to edit, rename and pass
  back with ``[frames] file = ...`` in the story file;
- ``topics_by_group.csv``: group, topic, share (mean share of the group's articles' topic
  weight), articles, top_terms.
"""
from __future__ import annotations

import csv
import io
import math
import warnings
from itertools import chain, count
from pathlib import Path
from typing import Mapping, Sequence

from . import records
from .config import ARTICLES
from .segment import content_words

CANDIDATES = (3, 4, 5, 6, 8, 10, 12)
TOP_TERMS = 15
SEED = 0
MAX_FEATURES = 5000
SELECT_SAMPLE = 3000     # articles used to choose the number of topics (all of them for the final fit)
SUGGESTED = "suggested_frames.yaml"
# What discovery imports (scikit-learn's alone takes about 1.2 s): the framing stage has the
# runner import them while its maps run (pipeline.runner.preload), off the reduce's path.
MODULES = ("numpy", "scipy.sparse", "sklearn.feature_extraction.text", "sklearn.decomposition",
           "sklearn.exceptions", "threadpoolctl", "yaml")
BY_GROUP = "topics_by_group.csv"


def _documents_range(path: Path, start: int, end: int, shared: None) -> tuple[list[str], list[list[str]]]:
    from .runner import read_range

    ids, docs = [], []
    for record in read_range(path, start, end):
        words = [w.casefold() if w.isascii() else w
                 for sentence in record.get("sentences") or () for w in content_words(sentence)]
        ids.append(record["id"])
        docs.append([w for w in words if len(w) > 1 and not w.isdigit()])
    return ids, docs


def _counted_documents(segment_dir: Path, *, jobs: int = 1) -> tuple[list[str], list[tuple]]:
    """The articles' ids and, per range of 04_segment, their documents' term counts
    (:func:`count_terms`): counted where the range is read, so the calling process only joins them."""
    from .runner import map_ranges

    ids: list[str] = []
    parts: list[tuple] = []
    for range_ids, counts in map_ranges(_counts_range, Path(segment_dir) / ARTICLES, jobs=jobs, fine=True):
        ids.extend(range_ids)
        parts.append(counts)
    return ids, parts


def _counts_range(path: Path, start: int, end: int, shared: None) -> tuple[list[str], tuple]:
    """The range's ids and :func:`count_terms` of its documents, the numbers as numpy arrays (made
    here rather than in the process that joins them)."""
    import numpy as np

    ids, docs = _documents_range(path, start, end, shared)
    terms, indptr, indices, values = count_terms(docs)
    return ids, (terms, np.asarray(indptr, dtype=np.int64), np.asarray(indices, dtype=np.int64),
                 np.asarray(values, dtype=np.intc))


def count_terms(docs: Sequence[Sequence[str]]) -> tuple[list[str], list[int], list[int], list[int]]:
    """The documents' term counts as scikit-learn's ``CountVectorizer`` counts them: (the terms
    in order of first appearance, row pointers, each count's term as an index into those terms,
    the counts), each document's terms in their order of first appearance."""
    from collections import Counter

    vocabulary: dict[str, int] = {}
    indptr, indices, values = [0], [], []
    for doc in docs:
        counts = Counter(doc)  # counted in C, keys in order of first appearance
        indices.extend(vocabulary.setdefault(term, len(vocabulary)) for term in counts)
        values.extend(counts.values())
        indptr.append(len(indices))
    return list(vocabulary), indptr, indices, values


def tfidf(parts: Sequence[tuple], *, min_df: int = 2, max_df: float = 0.6, max_features: int = MAX_FEATURES):
    """(TF-IDF matrix, its terms) of the documents whose counts ``parts`` hold in document order
    (:func:`count_terms` of consecutive runs of documents): what ``TfidfVectorizer(analyzer=
    identity, min_df, max_df, max_features, sublinear_tf=True, norm="l2").fit_transform`` makes of
    the documents, the same numbers in the same order, without its loop over every token (a test
    checks it). Raises ValueError where scikit-learn would (no terms left)."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    # The vocabulary in order of first appearance over all the documents, as one count makes it
    # (each part's terms are in their order of first appearance in it; dict.fromkeys keeps the first).
    vocabulary = dict(zip(dict.fromkeys(chain.from_iterable(part[0] for part in parts)), count()))
    j_indices, values, indptr, nnz = [], [], [np.zeros(1, dtype=np.int64)], 0
    for terms, part_indptr, part_indices, part_values in parts:
        to_global = np.fromiter(map(vocabulary.__getitem__, terms), dtype=np.int64, count=len(terms))
        j_indices.append(to_global[np.asarray(part_indices, dtype=np.int64)])
        values.append(np.asarray(part_values, dtype=np.intc))
        indptr.append(np.asarray(part_indptr[1:], dtype=np.int64) + nnz)
        nnz += len(part_indices)
    if not vocabulary:
        raise ValueError("empty vocabulary")
    index_type = np.int32 if nnz <= np.iinfo(np.int32).max else np.int64
    pointers = np.concatenate(indptr).astype(index_type)
    matrix = sp.csr_array((np.concatenate(values), np.concatenate(j_indices).astype(index_type), pointers),
                          shape=(len(pointers) - 1, len(vocabulary)), dtype=np.float64)
    matrix.sort_indices()
    matrix = sp.csr_matrix(matrix)
    # Terms sorted by name (the indices renumbered in place, as scikit-learn does) ...
    by_name = sorted(vocabulary)
    renumber = np.empty(len(by_name), dtype=matrix.indices.dtype)
    renumber[np.fromiter(map(vocabulary.__getitem__, by_name), dtype=np.int64, count=len(by_name))] = \
        np.arange(len(by_name), dtype=renumber.dtype)
    matrix.indices = renumber.take(matrix.indices, mode="clip")
    # ... then the too rare and too common dropped, and of the rest the most frequent kept.
    n_docs = matrix.shape[0]
    dfs = np.bincount(matrix.indices, minlength=matrix.shape[1])
    mask = (dfs <= max_df * n_docs) & (dfs >= min_df)
    if mask.sum() > max_features:
        tfs = np.asarray(matrix.sum(axis=0)).ravel()
        kept = (-tfs[mask]).argsort()[:max_features]
        most = np.zeros(len(dfs), dtype=bool)
        most[np.where(mask)[0][kept]] = True
        mask = most
    columns = np.where(mask)[0]
    if len(columns) == 0:
        raise ValueError("no terms left after min_df and max_df")
    matrix = matrix[:, columns]
    terms = np.asarray(by_name, dtype=object)[columns]
    transformer = TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)
    return transformer.fit(matrix).transform(matrix, copy=False), terms


def _identity(doc):
    return doc


def umass(binary, top: Sequence[int]) -> float:
    """Mean UMass coherence of one topic's top terms (columns of the binary doc-term matrix)."""
    sub = binary[:, list(top)]
    co = (sub.T @ sub).toarray()
    total, pairs = 0.0, 0
    for i in range(1, len(top)):
        for j in range(i):
            total += math.log((co[i, j] + 1) / max(co[j, j], 1))
            pairs += 1
    return total / pairs if pairs else 0.0


def _nmf(k: int, max_iter: int):
    from sklearn.decomposition import NMF

    return NMF(n_components=k, init="nndsvd", random_state=SEED, max_iter=max_iter)


def _fit(model, matrix):
    """fit_transform, without scikit-learn's warning when the iterations run out (the topics
    are a suggestion to read, and the same bytes come out either way), on one BLAS thread: the
    runner spreads work over processes, and BLAS threads on top of them fight for the same cores
    (on a busy 2-core machine a candidate's fit took ten times the CPU with OpenBLAS's two
    threads). The numbers are the same: OpenBLAS shares a product's output among its threads,
    never the terms of one sum (a test compares)."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit_transform(matrix)


def choose_topics(matrix, binary, n_docs: int, *, jobs: int = 1) -> tuple[int, dict[int, float]]:
    """(number of topics, coherence per candidate) by the criterion in the module docstring. The
    candidates are fitted side by side in up to ``jobs`` processes (each fit is seeded: the same
    scores wherever it runs)."""
    from .runner import executors

    candidates = [k for k in CANDIDATES if k <= max(2, n_docs // 3)] or [2]
    fitted = executors.local(min(jobs, len(candidates))).map(_coherence, (matrix, binary), candidates)
    scores = dict(zip(candidates, fitted))
    best = max(candidates, key=lambda k: (scores[k], -k))
    return best, scores


def _coherence(data: tuple, k: int) -> float:
    """The mean UMass coherence of the top terms of ``k`` topics fitted to ``data``'s matrix."""
    matrix, binary = data
    model = _nmf(k, 300)
    _fit(model, matrix)
    tops = [list(comp.argsort()[::-1][:10]) for comp in model.components_]
    return round(sum(umass(binary, t) for t in tops) / k, 6)


def discover(ids: Sequence[str], docs: Sequence[Sequence[str]], groups: Mapping[str, str], *,
             topics: int = 0, jobs: int = 1) -> dict | None:
    """Topics of the documents: {"topics": [...], "by_group": rows, "k": k, "coherence": {...}};
    None when there is too little text to factorise."""
    return discover_counted(ids, [count_terms(docs)], groups, topics=topics, jobs=jobs)


def discover_counted(ids: Sequence[str], parts: Sequence[tuple], groups: Mapping[str, str], *,
                     topics: int = 0, jobs: int = 1) -> dict | None:
    """:func:`discover` of the documents whose term counts ``parts`` hold (:func:`count_terms`
    of consecutive runs of them, in order)."""
    import numpy as np

    n = len(ids)
    if n < 4:
        return None
    try:
        matrix, terms = tfidf(parts)
    except ValueError:  # an empty vocabulary after min_df/max_df
        return None
    if matrix.shape[1] < 10:
        return None
    coherence: dict[int, float] = {}
    if topics:
        k = min(topics, max(2, n // 2))
    else:
        rows = np.arange(n) if n <= SELECT_SAMPLE else np.random.default_rng(SEED).choice(n, SELECT_SAMPLE,
                                                                                           replace=False)
        rows.sort()
        sample = matrix[rows]
        # the sample's binary matrix alone (co-occurrence counts: whole numbers, the same in any order)
        k, coherence = choose_topics(sample, (sample > 0).astype(np.float64).tocsc(), len(rows), jobs=jobs)
    model = _nmf(k, 400)
    weights = _fit(model, matrix)
    sums = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, sums, out=np.zeros_like(weights), where=sums > 0)
    found = []
    for t, comp in enumerate(model.components_):
        order = comp.argsort()[::-1][:TOP_TERMS]
        found.append({"id": f"topic_{t + 1:02d}", "terms": [str(terms[i]) for i in order if comp[i] > 0]})
    by_group: dict[str, list[int]] = {}
    for row, id_ in enumerate(ids):
        by_group.setdefault(groups.get(id_, ""), []).append(row)
    rows_out = []
    for group in sorted(by_group):
        members = by_group[group]
        mean = shares[members].mean(axis=0)
        for t, topic in enumerate(found):
            rows_out.append({"group": group, "topic": topic["id"], "share": round(float(mean[t]), 6),
                             "articles": len(members), "top_terms": "、".join(topic["terms"][:5])})
    return {"topics": found, "by_group": rows_out, "k": k, "coherence": coherence}


def suggested_yaml(result: Mapping) -> str:
    """The topics as a frames file, with a header saying what they are and how to use them."""
    import yaml

    emphasis: dict[str, dict[str, float]] = {}
    for row in result["by_group"]:
        emphasis.setdefault(row["topic"], {})[row["group"]] = row["share"]
    frames = []
    for topic in result["topics"]:
        head = "/".join(topic["terms"][:3])
        frames.append({"id": topic["id"], "label": f"话题：{head}", "label_en": f"Topic: {head}",
                       "description": "Discovered from this corpus (NMF over TF-IDF); rename and edit the terms.",
                       "terms": topic["terms"], "emphasis": emphasis.get(topic["id"], {})})
    criterion = ("set by the story file" if not result["coherence"] else
                 "chosen by UMass coherence among " + ", ".join(f"{k}: {v}" for k, v in result["coherence"].items()))
    header = (
        "# Frames suggested from this corpus: NMF topics of the articles' TF-IDF (pipeline/discover.py).\n"
        f"# {result['k']} topics, {criterion}.\n"
        "# Each topic lists its top terms and its emphasis per group (mean share of the group's topic weight).\n"
        "# Topics are word clusters, not frames: read them, give each a name and a definition, drop terms that\n"
        "# do not belong, and pass the file back with  [frames] file = \"suggested_frames.yaml\"  in story.toml.\n")
    body = yaml.safe_dump({"version": 1, "frames": frames}, allow_unicode=True, sort_keys=False, width=120)
    return header + body


def write_suggested(out_root: Path, out_dir: Path, groups, *, topics: int = 0, jobs: int = 1) -> dict:
    """Discover topics from 04_segment and write them beside the framing tables."""
    ids, parts = _counted_documents(Path(out_root) / "04_segment", jobs=jobs)
    by_id = ({id_: groups({"id": id_}) for id_ in ids} if groups.by_id is not None
             else _outlets(out_root, groups, jobs=jobs))
    result = discover_counted(ids, parts, by_id, topics=topics, jobs=jobs)
    if result is None:
        return {"topics": 0, "note": "too little text to discover topics"}
    records.write_text(Path(out_dir) / SUGGESTED, suggested_yaml(result))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["group", "topic", "share", "articles", "top_terms"], lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "group": records.csv_safe(row["group"]), "top_terms": records.csv_safe(row["top_terms"])}
                     for row in result["by_group"])
    records.write_text(Path(out_dir) / BY_GROUP, buf.getvalue())
    return {"topics": result["k"], "coherence": {str(k): v for k, v in result["coherence"].items()},
            "files": [SUGGESTED, BY_GROUP]}


def _outlets(out_root: Path, groups, *, jobs: int = 1) -> dict[str, str]:
    """id -> group when grouping by outlet (the framing records carry the normalised outlet),
    read by ranges."""
    from .runner import map_ranges

    out: dict[str, str] = {}
    for part in map_ranges(_outlets_range, Path(out_root) / "07_framing" / ARTICLES, jobs=jobs, shared=groups,
                           fine=True):
        out.update(part)
    return out


def _outlets_range(path: Path, start: int, end: int, groups) -> dict[str, str]:
    from .runner import read_range

    return {record["id"]: groups(record) for record in read_range(path, start, end)}


def topics_table(stage_dir: Path):
    import pandas as pd

    path = Path(stage_dir) / BY_GROUP
    if not path.exists():
        return pd.DataFrame(columns=["group", "topic", "share", "articles", "top_terms"])
    return records.csv_texts(pd.read_csv(path, dtype={"group": str, "topic": str, "top_terms": str},
                                         keep_default_na=False, encoding=records.CSV_ENCODING), ("group", "top_terms"))

