"""Figures: how the outlets differ, drawn with matplotlib into ``figures/`` as PNG and SVG.

1. ``frames_heatmap``: frame x outlet, hits per 1,000 content tokens, annotated with the hits;
2. ``sentiment_by_outlet``: sentence scores per outlet with the mean and its bootstrap interval;
3. ``distinctive_terms``: each outlet's most distinctive terms (log-odds z), small multiples;
4. ``sentiment_arcs``: sentence score against relative position in the article, one line per article;
5. ``outlet_similarity``: cosine similarity of the outlets' TF-IDF vectors.

Each figure is a pure function of pandas DataFrames (the tables of :func:`pipeline.load`)
returning a :class:`matplotlib.figure.Figure`, so the notebooks build the same figures step
by step. No pyplot: figures are plain objects, nothing global changes but the registration
of the CJK font. Rendering is deterministic (fixed metadata, fixed SVG hash salt): the same
input gives byte-identical files.

Text from articles is untrusted: labels are drawn with mathtext off (``$`` stays a dollar
sign), control characters removed and long names shortened; file names are fixed.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import math
import re
import unicodedata
import warnings
from collections import Counter
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from . import records
from .config import ARTICLES

KEYWORDS, SENTIMENT, FRAMING = "05_keywords", "06_sentiment", "07_framing"
FONT_FAMILY = "Noto Sans SC"         # from the pylopdf-fonts-zh-cn package (SIL OFL 1.1)
FALLBACK_FAMILIES = ("DejaVu Sans",)  # matplotlib's own font, for symbols the CJK font lacks
FIGURES = ("frames_heatmap", "sentiment_by_outlet", "distinctive_terms", "sentiment_arcs", "outlet_similarity",
           "frames_over_time", "frame_profile", "frame_cooccurrence", "keyness", "target_sentiment")
FORMATS = ("png", "svg", "pdf")  # PNG at 300 dpi for print; SVG and PDF are vector
MISSING_GLYPH = re.compile(r"Glyph .* missing from (current )?font")

DEFAULT_PARAMS = {
    "max_outlets": 12,       # outlets shown (most articles first); tables keep all of them
    "distinctive_top": 10,   # terms per outlet panel
    "n_boot": 2000,          # bootstrap resamples for the interval of the mean sentence score
    "ci_level": 0.95,
    "seed": 20240930,        # bootstrap and jitter: fixed, so figures and intervals repeat exactly
    "arc_window": 5,         # sentences in the rolling mean of the sentiment arcs
    "arc_max_articles": 60,  # article lines drawn in the arcs figure (the outlet means use every article)
    "arc_bins": 10,          # bins of relative position for the outlet mean arcs
    "points_per_outlet": 1500,  # sentence dots drawn per outlet in the distribution (all are in the statistics)
    "similarity_max": 200,   # groups in the square similarity table (the largest); beyond, also the nearest 10 of each
    "dpi": 300,
}


# ---------------------------------------------------------------- fonts and style


def cjk_font_path() -> Path:
    """The bundled Noto Sans SC (simplified and traditional Chinese; Latin too)."""
    from pylopdf_fonts_zh_cn import sans_path

    return Path(sans_path())


def register_fonts() -> str:
    """Make the CJK font known to matplotlib (idempotent); returns its family name."""
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return FONT_FAMILY


def style() -> dict:
    """rcParams for every figure: the CJK font, no mathtext, deterministic SVG."""
    return {
        "font.family": [register_fonts(), *FALLBACK_FAMILIES],
        "text.usetex": False,
        "text.parse_math": False,   # untrusted labels: "$x$" is text, never math
        "svg.hashsalt": "zh-framing-pipeline",
        "svg.fonttype": "path",     # glyphs as paths: the SVG needs no font on the reader's machine
        "figure.dpi": 100,
        "axes.titlesize": 11,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 8,
    }


@contextlib.contextmanager
def plotting() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context(style()):
        yield


def new_figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def finish(fig):
    """Lay the figure out once and freeze it: every later render draws the same positions.

    (Constrained layout otherwise runs again at each save and moves things by fractions of
    a point, so a PNG and then an SVG of one figure, or two saves, would differ.)
    Missing-glyph warnings are left to :func:`render_checked`, which sees them again.
    """
    import matplotlib

    engine = fig.get_layout_engine()
    if engine is not None and fig.axes:
        # The layout alone, as Figure.draw runs it first: the drawing that draw_without_rendering
        # adds after it changes no position (each render draws again) and cost a render's time.
        with plotting(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=MISSING_GLYPH.pattern)
            try:
                engine.execute(fig)
            except ValueError:  # as Figure.draw: a layout that cannot be made leaves the positions
                pass
    # No layout engine at all, rather than "none" (a placeholder engine): with any engine set,
    # every savefig first draws the whole figure once more, in vain, to lay it out.
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    return fig


def render(fig, fmt: str, *, dpi: int = DEFAULT_PARAMS["dpi"]) -> bytes:
    """The figure as PNG, SVG or PDF bytes, identical for identical figures (no dates, no versions)."""
    buf = io.BytesIO()
    metadata = ({"Software": None} if fmt == "png" else
                {"CreationDate": None, "Creator": None, "Producer": None} if fmt == "pdf" else
                {"Date": None, "Creator": None})
    with plotting():
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def render_checked(fig, fmt: str, *, dpi: int = DEFAULT_PARAMS["dpi"]) -> tuple[bytes, list[str]]:
    """``render`` plus the missing-glyph warnings matplotlib raised while drawing."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = render(fig, fmt, dpi=dpi)
    missing = sorted({str(w.message) for w in caught if MISSING_GLYPH.search(str(w.message))})
    return data, missing


_CONTROL = re.compile(r"\s+")


def label(text: object, *, max_len: int = 20) -> str:
    """A short, single-line, printable label for untrusted text (outlet names, terms)."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in str(text))
    text = _CONTROL.sub(" ", text).strip() or "?"
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


# ---------------------------------------------------------------- statistics (pure)


def bootstrap_mean_ci(values: Sequence[float], *, n_boot: int, level: float, seed: int,
                      key: str = "", max_n: int = 20_000) -> tuple[float, float, float]:
    """(mean, low, high): percentile bootstrap of the mean, resampling sentences.

    The generator is seeded by ``seed`` and ``key`` (the outlet), so an outlet's interval
    does not change when other outlets are added. Sentences of one article are not
    independent: the interval describes these sentences, it is narrower than an
    article-level interval would be. Above ``max_n`` sentences the bootstrap distribution
    of the mean is normal for all practical purposes (central limit theorem) and costs
    ``n_boot`` times the data to draw, so the interval is the normal one with the
    bootstrap's standard error, ``mean ± z · sd / √n``.
    """
    import numpy as np

    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if x.size == 1:
        return (mean, mean, mean)
    if x.size > max_n:
        from statistics import NormalDist

        half = NormalDist().inv_cdf(0.5 + level / 2) * float(x.std()) / math.sqrt(x.size)
        return (mean, mean - half, mean + half)
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    rng = np.random.default_rng([seed, digest])
    means = np.empty(n_boot)
    chunk = max(1, min(n_boot, 5_000_000 // x.size))  # bounded memory for big outlets
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        means[start:stop] = x[idx].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return (mean, float(low), float(high))


UNITS = ("sentence", "article")
MIN_ARTICLES_FOR_INTERVAL = 3  # by articles: fewer get no interval (as the report's target table)


def article_scores(sentences):
    """One row per article: outlet, id, score (the mean of its sentence scores), sentences; sorted by
    outlet and id. ``sentences``: outlet, id, score per sentence (:func:`sentence_scores`)."""
    import pandas as pd

    if not len(sentences):
        return pd.DataFrame({"outlet": pd.Series(dtype=object), "id": pd.Series(dtype=object),
                             "score": pd.Series(dtype=float), "sentences": pd.Series(dtype="int64")})
    frame = pd.DataFrame({"outlet": sentences["outlet"].astype(str), "id": sentences["id"].astype(str),
                          "score": sentences["score"].astype(float)})
    grouped = frame.groupby(["outlet", "id"], sort=True)["score"]
    return grouped.agg(score="mean", sentences="size").reset_index()


def sentiment_summary(sentences, *, n_boot: int = DEFAULT_PARAMS["n_boot"],
                      level: float = DEFAULT_PARAMS["ci_level"], seed: int = DEFAULT_PARAMS["seed"],
                      unit: str = "sentence"):
    """Per outlet: articles, sentences, mean score and its bootstrap interval.

    ``sentences``: a DataFrame with columns outlet, id, score (one row per sentence). ``unit``:
    ``"sentence"`` (the default): the mean sentence score, the interval resampling sentences;
    ``"article"``: each article weighs alike, the mean of its articles' mean sentence scores (see
    :func:`article_scores`), the interval resampling articles, the independent units (wider, and the
    one to cite when articles differ more than their sentences do).
    """
    import numpy as np
    import pandas as pd

    if unit not in UNITS:
        raise ValueError(f"unit {unit!r}: expected one of {', '.join(UNITS)}")
    rows = []
    data = sentences if unit == "sentence" else article_scores(sentences)
    # Split by outlet with numpy (a stable sort keeps each outlet's sentences in table order, as
    # groupby does): iterating a groupby costs milliseconds a group, minutes for 10,000 groups.
    outlets = np.asarray(data["outlet"].astype(str).to_numpy(), dtype=object)
    scores = data["score"].to_numpy(dtype=float)
    ids = np.asarray(data["id"].astype(str).to_numpy(), dtype=object)
    counts = data["sentences"].to_numpy() if unit == "article" else None
    names, codes = np.unique(outlets, return_inverse=True) if len(outlets) else (np.array([], dtype=object), [])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(np.asarray(codes)[order], np.arange(len(names) + 1))
    for k, outlet in enumerate(names):
        members = order[bounds[k]:bounds[k + 1]]
        mean, low, high = bootstrap_mean_ci(scores[members], n_boot=n_boot, level=level, seed=seed, key=str(outlet))
        if counts is not None and len(members) < MIN_ARTICLES_FOR_INTERVAL:  # two articles give three means
            low = high = math.nan
        n_sentences = len(members) if counts is None else int(counts[members].sum())
        rows.append({"outlet": outlet, "articles": len(set(ids[members])), "sentences": n_sentences,
                     "mean": round(mean, 6), "ci_low": round(low, 6), "ci_high": round(high, 6), "level": level})
    return pd.DataFrame(rows, columns=["outlet", "articles", "sentences", "mean", "ci_low", "ci_high", "level"])


def relative_positions(n: int) -> list[float]:
    """Sentence i of n at (i + 0.5) / n: the middle of its share of the article."""
    return [(i + 0.5) / n for i in range(n)]


def rolling_mean(values: Sequence[float], *, window: int) -> list[float]:
    """Centred rolling mean; the window shrinks at the edges instead of padding."""
    half = max(0, window // 2)
    out = []
    for i in range(len(values)):
        part = values[max(0, i - half): i + half + 1]
        out.append(math.fsum(part) / len(part))
    return out


def tfidf_vectors(counts: Mapping[str, Mapping[str, int]], df: Mapping[str, int], n_docs: int,
                  groups: Sequence[str] | None = None):
    """(group names sorted, their L2-normalised TF-IDF rows as a sparse matrix).

    A group's vector is its pooled term counts weighted by the corpus idf over articles,
    ``ln((1 + N) / (1 + df)) + 1`` (scikit-learn's smoothed idf). ``groups``: only these."""
    import numpy as np
    from scipy import sparse

    outlets = sorted(groups if groups is not None else counts)
    vocab = {t: j for j, t in enumerate(sorted({t for o in outlets for t in counts[o]}))}
    rows, cols, vals = [], [], []
    for i, outlet in enumerate(outlets):
        for term, n in counts[outlet].items():
            rows.append(i)
            cols.append(vocab[term])
            vals.append(n * (math.log((1 + n_docs) / (1 + df.get(term, 0))) + 1))
    X = sparse.csr_matrix((vals, (rows, cols)), shape=(len(outlets), len(vocab)), dtype=float)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return outlets, sparse.diags(1 / norms) @ X


def tfidf_similarity(counts: Mapping[str, Mapping[str, int]], df: Mapping[str, int], n_docs: int,
                     groups: Sequence[str] | None = None):
    """Cosine similarity of group TF-IDF vectors (:func:`tfidf_vectors`), as a square DataFrame
    (groups sorted); ``groups``: only these (the largest, when there are too many to square)."""
    import numpy as np
    import pandas as pd

    outlets, X = tfidf_vectors(counts, df, n_docs, groups)
    sim = np.round((X @ X.T).toarray(), 6)
    return pd.DataFrame(sim, index=pd.Index(outlets, name="outlet"), columns=outlets)


def similarity_neighbours(counts: Mapping[str, Mapping[str, int]], df: Mapping[str, int], n_docs: int, *,
                          k: int = 10, chunk: int = 512):
    """Each group's ``k`` most similar other groups: outlet, other, similarity, rank (ties by
    name). Memory grows with ``chunk`` x groups, never groups x groups."""
    import numpy as np
    import pandas as pd

    outlets, X = tfidf_vectors(counts, df, n_docs)
    XT = X.T.tocsr()
    rows = []
    for start in range(0, len(outlets), chunk):
        block = np.round((X[start:start + chunk] @ XT).toarray(), 6)
        for r in range(block.shape[0]):
            i = start + r
            sims = block[r]
            sims[i] = 0.0
            found = np.flatnonzero(sims > 0)  # groups sharing no term are no neighbours
            if len(found) > k:
                kth = -np.partition(-sims[found], k - 1)[k - 1]
                found = found[sims[found] >= kth]  # the k best and any tied with the last
            # by similarity descending, then name (outlets are sorted: index order is name order)
            best = found[np.lexsort((found, -sims[found]))][:k]
            rows.extend((outlets[i], outlets[j], float(sims[j]), rank) for rank, j in enumerate(best, 1))
    return pd.DataFrame(rows, columns=["outlet", "other", "similarity", "rank"])


def top_outlets(frames, *, limit: int) -> list[str]:
    """Outlets with the most articles first (ties by name), at most ``limit``."""
    per = frames.groupby("outlet")["articles"].max() if "articles" in frames else frames.groupby("outlet").size()
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
    return [outlet for outlet, _ in ranked[:limit]]


# ---------------------------------------------------------------- figures (pure: DataFrames -> Figure)


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="0.4")
    ax.set_axis_off()


def _first_seen(column) -> list:
    """The distinct values of a column in order of first appearance (``dict.fromkeys`` in C: a
    frames_by_article column has a row per article and frame)."""
    import pandas as pd

    return list(pd.unique(column)) if len(column) else []


def _shown(outlets: Sequence[str], total: int) -> str:
    return "" if len(outlets) == total else f" ({len(outlets)} of {total} outlets, most articles first)"


def frames_heatmap(frames, *, labels: Mapping[str, str] | None = None,
                   max_outlets: int = DEFAULT_PARAMS["max_outlets"]):
    """Frame x outlet heatmap of hits per 1,000 content tokens; each cell annotated "per_1k (hits)".

    ``frames``: the ``frames`` table (outlet, frame, per_1k, hits[, articles]).
    """
    import numpy as np

    labels = labels or {}
    frame_ids = list(dict.fromkeys(frames["frame"]))
    total = frames["outlet"].nunique()
    outlets = top_outlets(frames, limit=max_outlets)
    with plotting():
        # at least 6 inches wide: frame labels and the colour bar need room even for one outlet
        fig = new_figure(max(6.0, 1.6 + 1.1 * len(outlets)), 1.2 + 0.45 * max(1, len(frame_ids)))
        ax = fig.add_subplot()
        if not outlets or not frame_ids:
            _empty(ax, "no frames counted")
            return finish(fig)
        per = frames.pivot_table(index="frame", columns="outlet", values="per_1k", aggfunc="sum")
        hits = frames.pivot_table(index="frame", columns="outlet", values="hits", aggfunc="sum")
        per = per.reindex(index=frame_ids, columns=outlets).fillna(0.0)
        hits = hits.reindex(index=frame_ids, columns=outlets).fillna(0).astype(int)
        data = per.to_numpy()
        image = ax.imshow(data, cmap="YlOrRd", aspect="auto", vmin=0, vmax=max(float(data.max()), 1e-9))
        peak = float(data.max()) or 1.0
        for (r, c), value in np.ndenumerate(data):
            ax.text(c, r, f"{value:.1f}\n({hits.iat[r, c]})", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 * peak else "black")
        ax.set_xticks(range(len(outlets)), [label(o) for o in outlets], rotation=30, ha="right")
        ax.set_yticks(range(len(frame_ids)), [label(labels.get(f, f), max_len=34) for f in frame_ids])
        ax.set_title("Frame emphasis: hits per 1,000 content tokens (hits)" + _shown(outlets, total))
        fig.colorbar(image, ax=ax, label="per 1,000 content tokens", shrink=0.8)
    return finish(fig)


def sentiment_by_outlet(sentences, summary=None, *, max_outlets: int = DEFAULT_PARAMS["max_outlets"],
                        points_per_outlet: int = DEFAULT_PARAMS["points_per_outlet"],
                        seed: int = DEFAULT_PARAMS["seed"], unit: str = "sentence", **summary_options):
    """Sentence scores per outlet (box and dots) with the mean and its bootstrap interval.

    ``sentences``: outlet, id, score per sentence. ``summary``: :func:`sentiment_summary` of it
    (computed when omitted, by ``unit``). ``unit="article"``: the article-level view, each article's
    mean sentence score as a dot and the interval resampling articles (the stage draws sentences).
    """
    import numpy as np

    if summary is None:
        summary = sentiment_summary(sentences, seed=seed, unit=unit, **summary_options)
    by_article = unit == "article"
    if by_article:
        sentences = article_scores(sentences)
    per_outlet = summary.set_index("outlet")
    outlets = [o for o, _ in sorted(per_outlet["articles"].items(), key=lambda kv: (-kv[1], kv[0]))][:max_outlets]
    with plotting():
        fig = new_figure(7.5, 1.2 + 0.7 * max(1, len(outlets)))
        ax = fig.add_subplot()
        if not outlets:
            _empty(ax, "no scored sentences")
            return finish(fig)
        grouped = {o: g["score"].to_numpy() for o, g in sentences.groupby("outlet", sort=True)}
        positions = list(range(len(outlets)))[::-1]  # first outlet on top
        ax.boxplot([grouped[o] for o in outlets], positions=positions, orientation="horizontal", widths=0.5,
                   showfliers=False, medianprops={"color": "0.3"}, boxprops={"color": "0.55"},
                   whiskerprops={"color": "0.55"}, capprops={"color": "0.55"})
        rng = np.random.default_rng(seed)
        notes = []
        for pos, outlet in zip(positions, outlets):
            scores = grouped[outlet]
            if scores.size > points_per_outlet:
                scores = rng.choice(scores, size=points_per_outlet, replace=False)
            jitter = rng.uniform(-0.18, 0.18, size=scores.size)
            ax.scatter(scores, pos + jitter, s=6, alpha=0.35, color="tab:blue", linewidths=0)
            row = per_outlet.loc[outlet]
            single = int(row["articles"]) == 1  # the spread of one article, not of an outlet: drawn grey
            if math.isnan(row["ci_low"]):  # too few articles for an interval over them
                ax.plot([row["mean"]], [pos], "D", color="0.55", ms=5)
                interval = "no interval: too few articles"
            else:
                ax.errorbar([row["mean"]], [pos], xerr=[[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]],
                            fmt="D", color="0.55" if single else "tab:red", ms=5, capsize=4, lw=1.5)
                interval = f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"
            notes.append(f"{label(outlet)}\nmean {row['mean']:+.3f} {interval}"
                         f"\nn = {int(row['sentences'])} sentences"
                         + (", 1 article only" if single else f", {int(row['articles'])} articles"))
        ax.axvline(0, color="0.75", lw=0.8, zorder=0)
        ax.set_yticks(positions, notes)
        ax.set_xlim(-1.05, 1.05)
        if by_article:
            ax.set_xlabel("article score: the mean of its sentence scores (−1 … +1)\n"
                          "red: mean over articles and its bootstrap interval resampling articles")
            ax.set_title("Sentiment of articles per outlet" + _shown(outlets, len(per_outlet)))
        else:
            ax.set_xlabel("sentence score (−1 negative … +1 positive)\n"
                          "red: mean and bootstrap interval (grey: a group of one article)")
            ax.set_title("Sentiment of sentences per outlet" + _shown(outlets, len(per_outlet)))
    return finish(fig)


def distinctive_terms(distinctive, *, top: int = DEFAULT_PARAMS["distinctive_top"],
                      max_outlets: int = DEFAULT_PARAMS["max_outlets"], outlets: Sequence[str] | None = None):
    """One panel per outlet: its ``top`` most distinctive terms by log-odds z (Monroe et al. 2008).

    ``distinctive``: the ``distinctive`` table (outlet, term, count, z, rank). ``outlets``: the
    order of panels (default: sorted names).
    """
    present = sorted(distinctive["outlet"].unique()) if len(distinctive) else []
    order = [o for o in (outlets if outlets is not None else present) if o in set(present)][:max_outlets]
    ncols = min(3, max(1, len(order)))
    nrows = max(1, math.ceil(len(order) / ncols))
    with plotting():
        fig = new_figure(3.4 * ncols, 0.6 + (0.28 * top + 0.5) * nrows)
        if not order:
            _empty(fig.add_subplot(), "no distinctive terms: the corpus has fewer than two outlet groups")
            return finish(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax in axes.flat[len(order):]:
            ax.set_axis_off()
        panels = {o: distinctive[distinctive["outlet"] == o].sort_values(["z", "term"], ascending=[False, True])
                  .head(top).iloc[::-1] for o in order}
        shown_z = [z for rows in panels.values() for z in rows["z"]]
        low, high = min(0.0, *shown_z), max(1.96, *shown_z)  # one scale for every panel
        pad = 0.05 * (high - low)
        for ax, outlet in zip(axes.flat, order):
            rows = panels[outlet]
            ax.set_xlim(low - pad, high + pad)
            colors = ["tab:green" if z > 0 else "tab:gray" for z in rows["z"]]
            ax.barh(range(len(rows)), rows["z"], color=colors)
            ax.set_yticks(range(len(rows)), [f"{label(t, max_len=12)} ({c})" for t, c in zip(rows["term"], rows["count"])])
            ax.axvline(1.96, color="0.6", lw=0.7, ls="--")
            ax.set_title(label(outlet, max_len=28), fontsize=9)
            ax.set_xlabel("log-odds z", fontsize=7)
        fig.suptitle("Distinctive terms per outlet vs the rest (count in the outlet); dashed: z = 1.96"
                     + _shown(order, len(present)), fontsize=10)
    return finish(fig)


# ---------------------------------------------------------------- frames across articles and time


def frames_over_time(by_article, dates: Mapping[str, str], *, bin_: str = "month",
                     labels: Mapping[str, str] | None = None, max_outlets: int = 6):
    """One panel per frame: its mean emphasis (hits per 1,000 content tokens, the mean over the
    group's articles of that period) per period, one line per group (the largest groups).

    ``by_article``: the ``frames_by_article`` table (id, outlet, frame, per_1k); ``dates``: id ->
    publication date as ingested; ``bin_``: day, week, month, quarter or year."""
    from . import grouping

    labels = labels or {}
    frame_ids = _first_seen(by_article["frame"])
    periods = {id_: grouping.period(str(d), bin_) for id_, d in dates.items()}
    dated = by_article[by_article["id"].map(lambda i: bool(periods.get(i)))] if len(by_article) else by_article
    ncols = min(3, max(1, len(frame_ids)))
    nrows = max(1, math.ceil(len(frame_ids) / ncols))
    with plotting():
        fig = new_figure(3.6 * ncols, 0.8 + 2.4 * nrows)
        if not len(dated) or not frame_ids:
            _empty(fig.add_subplot(), "no dated articles: the corpus gives no publication dates"
                   if frame_ids else "no frames counted")
            return finish(fig)
        dated = dated.assign(period=dated["id"].map(periods))
        sizes = dated.drop_duplicates("id").groupby("outlet")["id"].size()
        outlets = [o for o, _ in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))][:max_outlets]
        order = sorted(dated["period"].unique())
        position = {p: i for i, p in enumerate(order)}
        means = dated[dated["outlet"].isin(outlets)].groupby(["frame", "outlet", "period"])["per_1k"].mean()
        colors = _colors(len(outlets))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax in axes.flat[len(frame_ids):]:
            ax.set_axis_off()
        for ax, fid in zip(axes.flat, frame_ids):
            for color, outlet in zip(colors, outlets):
                try:
                    series = means.loc[(fid, outlet)]
                except KeyError:
                    continue
                xs = [position[p] for p in series.index]
                ax.plot(xs, series.to_numpy(), marker="o", ms=3, lw=1.2, color=color, label=label(outlet))
            ax.set_title(label(labels.get(fid, fid), max_len=32), fontsize=9)
            step = max(1, len(order) // 6)
            ax.set_xticks(range(0, len(order), step), [order[i] for i in range(0, len(order), step)],
                          fontsize=6, rotation=30)
            ax.tick_params(axis="y", labelsize=7)
        handles, names = axes.flat[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, names, loc="outside lower center", ncols=min(6, len(names)), fontsize=7)
        fig.suptitle(f"Frame emphasis per {bin_} (mean per 1,000 content tokens over the group's articles)"
                     + _shown(outlets, int(sizes.size)), fontsize=10)
    return finish(fig)


def frame_profile(by_article, *, labels: Mapping[str, str] | None = None, max_articles: int = 60):
    """Articles x frames: each article's emphasis of each frame (hits per 1,000 content tokens),
    articles grouped by outlet (the largest first), at most ``max_articles``."""
    labels = labels or {}
    with plotting():
        frame_ids = _first_seen(by_article["frame"])
        ids = _first_seen(by_article["id"])
        height = 1.4 + 0.22 * min(len(ids), max_articles)
        fig = new_figure(max(6.0, 2.6 + 0.7 * len(frame_ids)), height)
        ax = fig.add_subplot()
        if not ids or not frame_ids:
            _empty(ax, "no frames counted")
            return finish(fig)
        last = by_article.drop_duplicates("id", keep="last")  # an article's outlet, as a dict of every row keeps it
        outlet_of = dict(zip(last["id"], last["outlet"]))
        sizes: Counter = Counter(outlet_of.values())
        rank = {o: i for i, (o, _) in enumerate(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))}
        ids = sorted(ids, key=lambda i: (rank[outlet_of[i]], i))[:max_articles]
        table = by_article.pivot_table(index="id", columns="frame", values="per_1k", aggfunc="sum")
        table = table.reindex(index=ids, columns=frame_ids).fillna(0.0)
        data = table.to_numpy()
        image = ax.imshow(data, cmap="YlOrRd", aspect="auto", vmin=0, vmax=max(float(data.max()), 1e-9))
        ax.set_xticks(range(len(frame_ids)), [label(labels.get(f, f), max_len=18) for f in frame_ids],
                      rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(ids)), [f"{label(outlet_of[i], max_len=10)} · {label(i, max_len=14)}" for i in ids],
                      fontsize=6)
        fig.colorbar(image, ax=ax, label="per 1,000 content tokens", shrink=0.8)
        total = by_article["id"].nunique()
        ax.set_title("Frame profile of each article" + ("" if total <= max_articles else
                                                         f" ({max_articles} of {total} articles)"), fontsize=10)
    return finish(fig)


def frame_cooccurrence(by_article, *, labels: Mapping[str, str] | None = None):
    """Frames x frames: in how many articles both frames are used (at least one hit each);
    the diagonal counts the articles using the frame at all."""
    import numpy as np

    labels = labels or {}
    with plotting():
        frame_ids = _first_seen(by_article["frame"])
        fig = new_figure(max(5.0, 1.8 + 0.75 * len(frame_ids)), max(4.0, 1.4 + 0.6 * len(frame_ids)))
        ax = fig.add_subplot()
        if not frame_ids:
            _empty(ax, "no frames counted")
            return finish(fig)
        used = (by_article.pivot_table(index="id", columns="frame", values="hits", aggfunc="sum")
                .reindex(columns=frame_ids).fillna(0) > 0).astype(int).to_numpy()
        both = used.T @ used
        image = ax.imshow(both, cmap="Blues", vmin=0, vmax=max(int(both.max()), 1))
        peak = int(both.max()) or 1
        for i in range(len(frame_ids)):
            for j in range(len(frame_ids)):
                ax.text(j, i, str(int(both[i, j])), ha="center", va="center", fontsize=7,
                        color="white" if both[i, j] > 0.6 * peak else "black")
        names = [label(labels.get(f, f), max_len=18) for f in frame_ids]
        ax.set_xticks(range(len(frame_ids)), names, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(frame_ids)), names, fontsize=7)
        fig.colorbar(image, ax=ax, label="articles", shrink=0.8)
        ax.set_title(f"Frames used together (articles; {int(np.asarray(used).shape[0])} articles in all)",
                     fontsize=10)
    return finish(fig)


def keyness(counts: Mapping[str, Mapping[str, int]], distinctive, *, pair: Sequence[str] | None = None,
            top: int = 10, min_count: int = 2):
    """Two-sided keyness for two groups (default: the two largest): every term placed by its
    frequency per 10,000 content tokens in each group (log scales), the most distinctive terms
    of each side labelled (log-odds z, the ``distinctive`` table). The static counterpart of
    scattertext, for any pair: ``pair=("group a", "group b")``."""
    import numpy as np

    with plotting():
        fig = new_figure(7.0, 6.4)
        ax = fig.add_subplot()
        groups = sorted(counts, key=lambda g: (-sum(counts[g].values()), g))
        if pair is None:
            pair = groups[:2]
        if len(pair) < 2 or any(g not in counts for g in pair):
            _empty(ax, "keyness needs two groups")
            return finish(fig)
        a, b = pair
        na, nb = max(1, sum(counts[a].values())), max(1, sum(counts[b].values()))
        terms = sorted(t for t in set(counts[a]) | set(counts[b])
                       if counts[a].get(t, 0) + counts[b].get(t, 0) >= min_count)
        floor = 0.5  # per 10,000: where a term a group never uses is placed
        x = np.array([max(counts[a].get(t, 0) * 1e4 / na, floor) for t in terms])
        y = np.array([max(counts[b].get(t, 0) * 1e4 / nb, floor) for t in terms])
        ax.scatter(x, y, s=6, alpha=0.3, color="0.5", linewidths=0, rasterized=True)
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Plain numbers on the log axes: the default formatter writes math ("$\mathdefault{10^{3}}$"),
        # which text.parse_math = False (untrusted labels) would print as it is.
        from matplotlib.ticker import FuncFormatter, NullFormatter

        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,g}"))
            axis.set_minor_formatter(NullFormatter())
        lim = (floor * 0.8, max(float(x.max()), float(y.max()), 1.0) * 1.5) if terms else (0.4, 10)
        ax.set_xlim(*lim)
        ax.set_ylim(*lim)
        ax.plot(lim, lim, color="0.7", lw=0.8, ls="--")
        index = {t: i for i, t in enumerate(terms)}
        for group, color in ((a, "tab:red"), (b, "tab:blue")):
            rows = distinctive[distinctive["outlet"] == group].sort_values(["z", "term"], ascending=[False, True])
            for term in [t for t in rows["term"] if t in index][:top]:
                i = index[term]
                ax.scatter([x[i]], [y[i]], s=14, color=color)
                ax.annotate(label(term, max_len=10), (x[i], y[i]), fontsize=7, color=color,
                            xytext=(3, 2), textcoords="offset points", annotation_clip=True)
        ax.set_xlabel(f"{label(a, max_len=24)}: per 10,000 content tokens")
        ax.set_ylabel(f"{label(b, max_len=24)}: per 10,000 content tokens")
        ax.set_title(f"Keyness: {label(a, max_len=20)} (red) vs {label(b, max_len=20)} (blue)\n"
                     "labelled: each side's most distinctive terms", fontsize=9)
    return finish(fig)


def sentiment_arcs(sentences, *, window: int = DEFAULT_PARAMS["arc_window"],
                   max_articles: int = DEFAULT_PARAMS["arc_max_articles"], bins: int = DEFAULT_PARAMS["arc_bins"],
                   max_outlets: int = DEFAULT_PARAMS["max_outlets"]):
    """Sentence score (rolling mean) against relative position, one thin line per article and a
    thick line per outlet (mean score of all its sentences in each of ``bins`` position bins).

    ``sentences``: id, outlet, index, score per sentence.
    """
    import numpy as np
    import pandas as pd

    with plotting():
        fig = new_figure(8, 4.5)
        ax = fig.add_subplot()
        if len(sentences) == 0:
            _empty(ax, "no scored sentences")
            return finish(fig)
        # Rows ordered by outlet, article id, sentence index, as integer codes (sorted like the
        # strings): views of three arrays per outlet, not copies of the table.
        outlet_codes, outlet_names = pd.factorize(sentences["outlet"], sort=True)
        id_codes = pd.factorize(sentences["id"], sort=True)[0].astype(np.int32)
        order = np.lexsort((sentences["index"].to_numpy(), id_codes, outlet_codes))
        outlet_codes, id_codes = outlet_codes[order], id_codes[order]
        ordered_scores = sentences["score"].to_numpy(dtype=float)[order]
        del order
        bounds = np.searchsorted(outlet_codes, np.arange(len(outlet_names) + 1))
        new_article = np.r_[True, id_codes[1:] != id_codes[:-1]]
        rows = {str(o): (bounds[k], bounds[k + 1]) for k, o in enumerate(outlet_names)}
        sizes = sorted(((o, int(new_article[lo:hi].sum())) for o, (lo, hi) in rows.items()),
                       key=lambda kv: (-kv[1], kv[0]))
        outlets = [o for o, _ in sizes[:max_outlets]]
        cmap = _colors(len(outlets))
        per_outlet_quota = max(1, max_articles // max(1, len(outlets)))
        for color, outlet in zip(cmap, outlets):
            lo, hi = rows[outlet]
            # The outlet's rows are sorted by id then index: each article is one run of equal ids.
            ids, values = id_codes[lo:hi], ordered_scores[lo:hi]
            firsts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, dtype=int)
            lengths = np.diff(np.r_[firsts, len(ids)])
            # Sentence i of n at (i + 0.5) / n (relative_positions), every article at once; the
            # bins are summed sentence by sentence in the same order as article by article.
            x_all = (np.arange(len(ids)) - np.repeat(firsts, lengths) + 0.5) / np.repeat(lengths, lengths)
            b = np.minimum((x_all * bins).astype(int), bins - 1)
            sums, counts = np.zeros(bins), np.zeros(bins)
            np.add.at(sums, b, values)
            np.add.at(counts, b, 1)
            for first, length in list(zip(firsts.tolist(), lengths.tolist()))[:per_outlet_quota]:
                scores = values[first:first + length].tolist()
                ax.plot(relative_positions(length), rolling_mean(scores, window=window), color=color, lw=0.8,
                        alpha=0.45)
            centres = (np.arange(bins) + 0.5) / bins
            mask = counts > 0
            ax.plot(centres[mask], sums[mask] / counts[mask], color=color, lw=2.4,
                    label=f"{label(outlet)} ({dict(sizes)[outlet]})")
        ax.axhline(0, color="0.75", lw=0.8, zorder=0)
        ax.set_xlim(0, 1)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("relative position in the article (0 = first sentence, 1 = last)")
        ax.set_ylabel(f"sentence score (rolling mean of {window})")
        ax.set_title("Sentiment arcs: thin lines articles, thick lines outlet means"
                     + _shown(outlets, len(sizes)))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="outlet (articles)", frameon=False)
    return finish(fig)


def outlet_similarity(similarity, *, max_outlets: int = DEFAULT_PARAMS["max_outlets"],
                      outlets: Sequence[str] | None = None):
    """Annotated matrix of cosine similarities between outlet TF-IDF vectors (:func:`tfidf_similarity`)."""
    import numpy as np

    names = [o for o in (outlets if outlets is not None else list(similarity.index)) if o in similarity.index]
    names = names[:max_outlets]
    with plotting():
        n = max(1, len(names))
        fig = new_figure(2.2 + 0.8 * n, 1.6 + 0.7 * n)
        ax = fig.add_subplot()
        if not names:
            _empty(ax, "no outlets")
            return finish(fig)
        data = similarity.loc[names, names].to_numpy()
        image = ax.imshow(data, cmap="Blues", vmin=0, vmax=1)
        for (r, c), value in np.ndenumerate(data):
            ax.text(c, r, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 else "black")
        ticks = [label(o) for o in names]
        ax.set_xticks(range(n), ticks, rotation=30, ha="right")
        ax.set_yticks(range(n), ticks)
        ax.set_title("Outlet similarity: cosine of TF-IDF vectors" + _shown(names, len(similarity.index)))
        fig.colorbar(image, ax=ax, shrink=0.8)
    return finish(fig)


def _mean_interval(values, *, n_boot: int, level: float, seed: int) -> tuple[float, float | None, float | None]:
    """Mean and bootstrap interval (articles resampled; none under three articles)."""
    import numpy as np

    values = np.asarray(values, dtype=float)
    if len(values) < 3:
        return float(values.mean()), None, None
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(values.mean()), float(low), float(high)


def target_sentiment(targets, *, max_outlets: int = DEFAULT_PARAMS["max_outlets"],
                     n_boot: int = DEFAULT_PARAMS["n_boot"], level: float = DEFAULT_PARAMS["ci_level"],
                     seed: int = DEFAULT_PARAMS["seed"], order: Sequence[str] = ()):
    """Sentiment toward the target: per group each article's target score (dots) and the mean with
    its bootstrap interval over articles; beside it, the mean per period when articles have dates.
    With several targets (rows with a ``target`` name), each target in its own colour, side by side.

    ``targets``: id, group, period ("" without a date), target_score per article that mentions a target,
    and optionally target (:func:`target_scores`); ``order``: the targets' order (the story's), others after.
    """
    import numpy as np

    names = [n for n in dict.fromkeys(targets["target"]) if n] if "target" in targets.columns else []
    rank = {name: i for i, name in enumerate(order)}
    names.sort(key=lambda n: rank.get(n, len(rank)))  # stable: names the order does not know keep theirs
    if "target" in targets.columns:
        targets = targets[targets["target"] != ""] if names else targets[targets["target"] == ""]
    series = [(n, targets[targets["target"] == n]) for n in names] or [("", targets)]
    colours = _colors(len(names)) if names else ["tab:blue"]
    dated = targets[targets["period"] != ""] if len(targets) else targets
    with plotting():
        fig = new_figure(11 if len(dated) else 7.5, 1.4 + 0.6 * max(1, min(max_outlets, targets["group"].nunique())))
        ax = fig.add_subplot(1, 2, 1) if len(dated) else fig.add_subplot()
        if not len(targets):
            _empty(ax, "no sentence mentions a target")
            return finish(fig)
        counts = targets.groupby("group")["id"].nunique() if names else targets.groupby("group")["id"].count()
        groups = [g for g, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:max_outlets]
        positions = list(range(len(groups)))[::-1]
        rng = np.random.default_rng(seed)
        notes = []
        width = 0.36 / len(series)  # each target's band within a group's row
        for pos, g in zip(positions, groups):
            for j, ((name, rows), colour) in enumerate(zip(series, colours)):
                at = pos - (j - (len(series) - 1) / 2) * 2 * width  # the first target on top, as in the legend
                values = rows.loc[rows["group"] == g, "target_score"].to_numpy()
                if not values.size:
                    continue
                ax.scatter(values, at + rng.uniform(-width / 2 if names else -0.18, width / 2 if names else 0.18,
                                                    size=values.size), s=10, alpha=0.45, color=colour, linewidths=0)
                mean, low, high = _mean_interval(values, n_boot=n_boot, level=level, seed=seed)
                marker = {"color": colour, "markeredgecolor": "black"} if names else {"color": "tab:red"}
                if low is not None:
                    ax.errorbar([mean], [at], xerr=[[mean - low], [high - mean]], fmt="D", ms=5, capsize=4, lw=1.5,
                                **marker)
                else:
                    ax.plot([mean], [at], "D", ms=5, **marker)
                if not names:
                    notes.append(f"{label(g)}\nmean {mean:+.3f}, n = {values.size}")
            if names:
                notes.append(f"{label(g)}\nn = {counts[g]}")
        ax.axvline(0, color="0.75", lw=0.8, zorder=0)
        ax.set_yticks(positions, notes)
        ax.set_xlim(-1.05, 1.05)
        if names:
            from matplotlib.lines import Line2D

            ax.legend([Line2D([], [], ls="", marker="D", color=c, markeredgecolor="black") for c in colours],
                      [label(n) for n in names], loc="best", fontsize="small", title="target")
            ax.set_xlabel("target score per article (−1 … +1); diamonds: mean, 95% interval over articles")
            ax.set_title("Sentiment toward each target by group" + _shown(groups, counts.size))
        else:
            ax.set_xlabel("target score per article (−1 … +1); red: mean, 95% interval over articles")
            ax.set_title("Sentiment toward the target by group" + _shown(groups, counts.size))
        if len(dated):
            ax2 = fig.add_subplot(1, 2, 2)
            periods = sorted(dated["period"].unique())
            x = np.arange(len(periods))
            for (name, rows), colour in zip(series, colours):
                rows = rows[rows["period"] != ""]
                stats = [_mean_interval(rows.loc[rows["period"] == t, "target_score"].to_numpy(), n_boot=n_boot,
                                        level=level, seed=seed) if (rows["period"] == t).any() else (np.nan, None, None)
                         for t in periods]
                line = colour if names else "tab:red"
                ax2.plot(x, [m for m, _, _ in stats], "-o", color=line, ms=4, **({"label": label(name)} if names else {}))
                for xi, (m, low, high) in zip(x, stats):
                    if low is not None:
                        ax2.vlines(xi, low, high, color=line, alpha=0.5)
            ax2.axhline(0, color="0.75", lw=0.8, zorder=0)
            ax2.set_xticks(x, [label(t) for t in periods], rotation=30, ha="right")
            ax2.set_ylim(-1.05, 1.05)
            ax2.set_ylabel("mean target score (95% interval)")
            ax2.set_title("Over time (all groups)")
    return finish(fig)


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


# ---------------------------------------------------------------- reading the upstream stages


def sentence_scores(sentiment_dir: Path, group_by: str = "outlet", *, jobs: int = 1):
    """id, outlet, index, score per sentence, streamed from 06_sentiment (outlets grouped as in keywords).

    Built column by column in typed arrays, with ``id`` and ``outlet`` categorical (their
    categories sorted, so sorting and grouping by them orders as the strings do): about 22
    bytes a sentence, where Python lists of objects took about 150 (measured on CCTV: the
    figures' peak memory grew by 96 MB for 58,000 more articles). The records are read by
    ranges (:func:`pipeline.runner.map_ranges`, in ``jobs`` processes for a large file); here
    the ranges' columns are only joined.
    """
    return _sentiment_tables(sentiment_dir, group_by, None, jobs=jobs)[0]


def _sentiment_tables(sentiment_dir: Path, group_by: str, time_bin: str | None, *, jobs: int = 1) -> tuple:
    """(:func:`sentence_scores`, and with a ``time_bin`` :func:`target_scores`, else None): one
    pass over 06_sentiment for both."""
    from array import array

    import numpy as np
    import pandas as pd

    from . import grouping
    from .runner import map_ranges

    root = Path(sentiment_dir).parent
    groups = grouping.load(root, group_by)
    periods = grouping.load(root, time_bin) if time_bin in grouping.TIME_BINS else None
    ids: list[str] = []       # per article
    outlets: list[str] = []   # per article
    lengths = array("q")      # sentences per article
    index, score = array("q"), array("d")  # per sentence
    targets: list[list] = []  # per article with a target score
    path = Path(sentiment_dir) / ARTICLES
    shared = (groups, periods, time_bin is not None)
    for part in map_ranges(_sentence_range, path, jobs=jobs, shared=shared, fine=True) if path.exists() else ():
        ids.extend(part[0])
        outlets.extend(part[1])
        for column, values in zip((lengths, index, score), part[2:5]):
            column.frombytes(values)
        targets.extend(part[5])
    per_sentence = np.repeat(np.arange(len(ids)), np.frombuffer(lengths, dtype=np.int64)) if ids else np.zeros(0, int)

    def categorical(values: list[str]):
        categories = sorted(set(values))
        code = {v: i for i, v in enumerate(categories)}
        codes = np.fromiter(map(code.__getitem__, values), dtype=np.int32, count=len(values))
        return pd.Categorical.from_codes(codes[per_sentence], categories=categories)

    sentences = pd.DataFrame({"id": categorical(ids), "outlet": categorical(outlets),
                              "index": np.frombuffer(index, dtype=np.int64),
                              "score": np.frombuffer(score, dtype=np.float64)})
    if time_bin is None:
        return sentences, None
    return sentences, pd.DataFrame(targets, columns=TARGET_COLUMNS)


def _sentence_range(path: Path, start: int, end: int, shared: tuple) -> tuple:
    """One range of 06_sentiment: ids and groups per article; sentences per article, and each
    sentence's index and score, as the bytes of typed arrays; with ``targets``, the rows of
    :func:`target_scores` of the range."""
    from array import array

    from .runner import read_range

    groups, periods, with_targets = shared
    ids, outlets, lengths, index, score = [], [], array("q"), array("q"), array("d")
    targets = []
    for record in read_range(path, start, end):
        sentences = record.get("sentences", ())
        ids.append(str(record["id"]))
        outlets.append(groups(record))
        lengths.append(len(sentences))
        index.extend(int(s["index"]) for s in sentences)
        score.extend(float(s["score"]) for s in sentences)
        if with_targets and record.get("target_score") is not None:
            targets.extend(_target_rows(record, groups, periods))
    return ids, outlets, lengths.tobytes(), index.tobytes(), score.tobytes(), targets


TARGET_COLUMNS = ["id", "group", "period", "target_score", "target"]


def _target_rows(record: Mapping, groups, periods) -> list[list]:
    """Rows of :func:`target_scores` for an article with a target score: id, group, period ("" without a
    date or a time bin), target_score, target: "" for its score toward any target; with several targets
    also one row per target it names, with its score toward that one."""
    period = periods(record) if periods is not None else ""
    head = [str(record["id"]), groups(record), "" if periods is None or period == periods.missing else period]
    rows = [[*head, float(record["target_score"]), ""]]
    rows.extend([*head, float(t["score"]), str(t["name"])] for t in record.get("targets") or ()
                if t.get("n_sentences") and t.get("score") is not None)
    return rows


def target_scores(sentiment_dir: Path, group_by: str = "outlet", time_bin: str = "month"):
    """id, group, period, target_score, target per article with a target score (period "" without a date;
    target "" for the score toward any target, and with several targets a row per target named)."""
    import pandas as pd

    from . import grouping

    root = Path(sentiment_dir).parent
    groups = grouping.load(root, group_by)
    periods = grouping.load(root, time_bin) if time_bin in grouping.TIME_BINS else None
    rows = [row for record in records.read_jsonl(Path(sentiment_dir) / ARTICLES)
            if record.get("target_score") is not None for row in _target_rows(record, groups, periods)]
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


# ---------------------------------------------------------------- the stage


class _Tables:
    """The DataFrames the figures are drawn from, each read from its stage folder on first use."""

    def __init__(self, inputs: Mapping[str, Path], params: Mapping, *, sentences=None, targets=None):
        self.inputs, self.p = inputs, params
        if sentences is not None:  # read beforehand, once for every task that draws from it
            self.__dict__["sentences"] = sentences
        if targets is not None:  # read in the same pass over 06_sentiment
            self.__dict__["targets"] = targets

    @functools.cached_property
    def by_article(self):
        from . import framing

        return framing.frames_by_article_table(self.inputs[FRAMING])

    @functools.cached_property
    def dates(self) -> dict[str, str]:
        """id -> publication date as ingested (01_ingest, beside the stage's upstreams)."""
        path = Path(self.inputs[FRAMING]).parent / "01_ingest" / ARTICLES
        out = {}
        if path.exists():
            for line in records.read_byte_lines(path):
                if b'"published":""' in line:
                    continue
                record = records.loads(line)
                if record.get("published"):
                    out[record["id"]] = str(record["published"])
        return out

    @functools.cached_property
    def frames(self):
        from . import framing

        return framing.frames_table(self.inputs[FRAMING])

    @functools.cached_property
    def outlets(self) -> list[str]:
        return top_outlets(self.frames, limit=self.p["max_outlets"])

    @functools.cached_property
    def sentences(self):
        return sentence_scores(self.inputs[SENTIMENT], self.p.get("_group_by", "outlet"))

    @functools.cached_property
    def summary(self):
        p = self.p
        return sentiment_summary(self.sentences, n_boot=p["n_boot"], level=p["ci_level"], seed=p["seed"])

    @functools.cached_property
    def summary_by_article(self):
        p = self.p
        return sentiment_summary(self.sentences, n_boot=p["n_boot"], level=p["ci_level"], seed=p["seed"], unit="article")

    @functools.cached_property
    def targets(self):
        return target_scores(self.inputs[SENTIMENT], self.p.get("_group_by", "outlet"),
                             self.p.get("_time_bin", "month"))

    @functools.cached_property
    def term_counts(self):
        from . import keywords

        return keywords.read_term_counts(self.inputs[KEYWORDS])

    @functools.cached_property
    def similarity(self):
        counts = self.term_counts[0]
        limit = self.p["similarity_max"]
        largest = top_outlets(self.frames, limit=limit) if len(counts) > limit else None
        return tfidf_similarity(*self.term_counts, groups=[g for g in largest if g in counts] if largest else None)

    @functools.cached_property
    def neighbours(self):
        """Every group's nearest groups, when there are more groups than the square table holds."""
        if len(self.term_counts[0]) <= self.p["similarity_max"]:
            return None
        return similarity_neighbours(*self.term_counts)


def _figure(name: str, t: _Tables):
    from . import framing, keywords

    p = t.p
    if name == "frames_heatmap":
        return frames_heatmap(t.frames, labels=framing.frame_labels(t.inputs[FRAMING]), max_outlets=p["max_outlets"])
    if name == "sentiment_by_outlet":
        return sentiment_by_outlet(t.sentences, t.summary, max_outlets=p["max_outlets"],
                                   points_per_outlet=p["points_per_outlet"], seed=p["seed"])
    if name == "distinctive_terms":
        return distinctive_terms(keywords.distinctive_frame(t.inputs[KEYWORDS]), top=p["distinctive_top"],
                                 max_outlets=p["max_outlets"], outlets=t.outlets)
    if name == "sentiment_arcs":
        return sentiment_arcs(t.sentences, window=p["arc_window"], max_articles=p["arc_max_articles"],
                              bins=p["arc_bins"], max_outlets=p["max_outlets"])
    if name == "outlet_similarity":
        return outlet_similarity(t.similarity, max_outlets=p["max_outlets"], outlets=t.outlets)
    labels = framing.frame_labels(t.inputs[FRAMING]) if name.startswith("frame") else {}
    if name == "frames_over_time":
        return frames_over_time(t.by_article, t.dates, bin_=p.get("_time_bin", "month"), labels=labels)
    if name == "frame_profile":
        return frame_profile(t.by_article, labels=labels)
    if name == "frame_cooccurrence":
        return frame_cooccurrence(t.by_article, labels=labels)
    if name == "keyness":
        return keyness(t.term_counts[0], keywords.distinctive_frame(t.inputs[KEYWORDS]))
    if name == "target_sentiment":
        return target_sentiment(t.targets, max_outlets=p["max_outlets"], n_boot=p["n_boot"], level=p["ci_level"],
                                seed=p["seed"], order=[target["name"] for target in p.get("_targets") or ()])
    raise ValueError(f"unknown figure {name!r}")


def build_figures(inputs: Mapping[str, Path], params: Mapping, names: Sequence[str] = FIGURES) -> dict:
    """Figures ``names`` and the tables behind them, from the upstream stage folders."""
    t = _Tables(inputs, {**DEFAULT_PARAMS, **params})
    return {"figures": {name: _figure(name, t) for name in names}, "summary": t.summary, "similarity": t.similarity}


def _csv(df, *, index: bool = False) -> str:
    """A table as CSV, its outlet names (the ``outlet`` column; with ``index``, the row and column
    labels of the similarity table) written with records.csv_safe."""
    df = df.copy()
    for column in ("outlet", "other"):  # "other": the neighbour in outlet_similarity_top.csv
        if column in df.columns:
            df[column] = df[column].map(records.csv_safe)
    if index:
        df.index = df.index.map(records.csv_safe).rename(df.index.name)
        df.columns = df.columns.map(records.csv_safe).rename(df.columns.name)
    return df.to_csv(index=index, lineterminator="\n", float_format="%.6f")


# One task per figure (drawn once, then rendered as PNG, SVG and PDF), a table with the figure
# drawn from the same numbers; the longest first, so that the last to start are short. The
# sentence scores (read by two of them) are read once, beforehand, by ranges through the
# executors, and reach forked workers as they are; the other tables are read where first used.
ARTICLE_CI_CSV = "sentiment_by_outlet_articles.csv"  # the same table with articles as the unit
TASKS = (("frame_profile",), ("keyness",), ("distinctive_terms",), ("frames_heatmap",), ("frame_cooccurrence",),
         ("sentiment_by_outlet", "sentiment_by_outlet.csv", ARTICLE_CI_CSV), ("outlet_similarity", "outlet_similarity.csv"),
         ("sentiment_arcs",), ("frames_over_time",), ("target_sentiment",))
PARALLEL_MIN_BYTES = 8 << 20  # of 06_sentiment records (about 1,000 articles): smaller runs stay in one process


def _write_task(t: _Tables, out_dir: Path, task: Sequence[str]) -> list[str]:
    """Draw, render and write the figures and tables of ``task``; returns the missing-glyph warnings."""
    missing: set[str] = set()
    for name in task:
        if name == "sentiment_by_outlet.csv":
            records.write_text(out_dir / name, _csv(t.summary))
        elif name == ARTICLE_CI_CSV:
            records.write_text(out_dir / name, _csv(t.summary_by_article))
        elif name == "outlet_similarity.csv":
            records.write_text(out_dir / name, _csv(t.similarity, index=True))
            if t.neighbours is not None:
                records.write_text(out_dir / "outlet_similarity_top.csv", _csv(t.neighbours))
        else:
            fig = _figure(name, t)
            for fmt in t.p.get("formats", FORMATS):
                data, glyphs = render_checked(fig, fmt, dpi=t.p["dpi"])
                missing.update(glyphs)
                records.write_bytes(out_dir / f"{name}.{fmt}", data)
    return sorted(missing)


def _draw_task(shared: tuple, task: Sequence[str]) -> list[str]:
    tables, out_dir = shared
    return _write_task(tables, out_dir, task)


def run_stage(inputs: Mapping[str, Path], out_dir: Path, params: Mapping, *, jobs: int = 1) -> dict:
    """Every figure and table, each task of :data:`TASKS` on the executors: with ``jobs`` > 1 and
    a large corpus in up to ``jobs`` worker processes (:mod:`pipeline.runner.executors`), this
    process reading the sentence scores (by ranges, in as many) and collecting the warnings.
    The files are the same bytes either way (a test checks it)."""
    import sys

    p = {**DEFAULT_PARAMS, **params}
    missing: set[str] = set()
    scores = Path(inputs[SENTIMENT]) / ARTICLES
    size = scores.stat().st_size if scores.exists() else 0
    workers = min(jobs, len(TASKS)) if size >= PARALLEL_MIN_BYTES else 1
    sentences, targets = _sentiment_tables(inputs[SENTIMENT], p.get("_group_by", "outlet"),
                                           p.get("_time_bin", "month"), jobs=workers)
    if workers > 1:
        import importlib

        importlib.import_module("matplotlib.figure")  # imported once, before the workers fork
    # One set of tables for every task: each is read on first use and then kept, so tasks drawn in
    # one process (all of them, serially) read a table once, not once per figure that uses it.
    tables = _Tables(inputs, p, sentences=sentences, targets=targets)
    for found in executors.local(workers).map(_draw_task, (tables, out_dir), TASKS):
        missing.update(found)
    for message in sorted(missing):
        print(f"warning: figures: {message}", file=sys.stderr)
    return {"figures": [f"{name}.{fmt}" for name in FIGURES for fmt in p.get("formats", FORMATS)],
            "font": {"family": FONT_FAMILY, "file": cjk_font_path().name},
            "missing_glyphs": sorted(missing)}


# ---------------------------------------------------------------- tables


def sentiment_ci_table(stage_dir: Path):
    """outlet, articles, sentences, mean, ci_low, ci_high, level: the intervals drawn in sentiment_by_outlet."""
    import pandas as pd

    return records.csv_texts(pd.read_csv(Path(stage_dir) / "sentiment_by_outlet.csv", dtype={"outlet": str},
                                         keep_default_na=False, na_values=[], encoding=records.CSV_ENCODING), ("outlet",))


def sentiment_ci_articles_table(stage_dir: Path):
    """outlet, articles, sentences, mean, ci_low, ci_high, level with articles as the unit: the mean of the
    articles' mean sentence scores, the interval resampling articles (none, NaN, under three articles)."""
    import pandas as pd

    path = Path(stage_dir) / ARTICLE_CI_CSV
    if not path.exists():  # a figures folder from before session 15
        return pd.DataFrame(columns=["outlet", "articles", "sentences", "mean", "ci_low", "ci_high", "level"])
    return records.csv_texts(pd.read_csv(path, dtype={"outlet": str}, keep_default_na=False,
                                         na_values={"ci_low": [""], "ci_high": [""]}, encoding=records.CSV_ENCODING),
                             ("outlet",))


def outlet_similarity_table(stage_dir: Path):
    """Square table of cosine similarities, indexed by outlet."""
    import pandas as pd

    table = pd.read_csv(Path(stage_dir) / "outlet_similarity.csv", dtype={"outlet": str},
                        keep_default_na=False, na_values=[], encoding=records.CSV_ENCODING)
    table = records.csv_texts(table, ("outlet",)).set_index("outlet")
    table.columns = table.index  # the header row holds the same outlet names, read as strings
    return table


from .runner import CorpusStage, executors  # noqa: E402

STAGE = CorpusStage(
    name="plots", folder="figures", upstreams=(KEYWORDS, SENTIMENT, FRAMING),
    run=run_stage,
    uses_jobs=True,
    params=dict(DEFAULT_PARAMS),
    code_files=(Path(__file__),),
    libraries=("matplotlib", "numpy", "pandas", "scipy", "pylopdf-fonts-zh-cn"),
)
def outlet_neighbours_table(stage_dir: Path):
    """outlet, other, similarity, rank: each group's 10 most similar groups (written only when
    there are more groups than the square ``outlet_similarity`` table holds)."""
    import pandas as pd

    path = Path(stage_dir) / "outlet_similarity_top.csv"
    if not path.exists():
        return pd.DataFrame(columns=["outlet", "other", "similarity", "rank"])
    return records.csv_texts(pd.read_csv(path, dtype={"outlet": str, "other": str}, keep_default_na=False,
                                         na_values=[], encoding=records.CSV_ENCODING), ("outlet", "other"))


TABLES = {"sentiment_ci": sentiment_ci_table, "sentiment_ci_articles": sentiment_ci_articles_table,
          "outlet_similarity": outlet_similarity_table,
          "outlet_neighbours": outlet_neighbours_table}
