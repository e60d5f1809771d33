"""Figures: statistics, every figure in PNG and SVG, CJK glyphs, hostile labels, byte-identical renders."""
from __future__ import annotations

from pathlib import Path

import math
import xml.etree.ElementTree as ET
from collections import Counter

import pandas as pd
import pytest

from pipeline import plots, records

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert(1)</script>"
OUTLETS = ["连线Insight", "光錐智能", HOSTILE, "价格$100 $\\frac{", "unknown (no outlet named)"]


# ---------------------------------------------------------------- pure statistics


@pytest.mark.parametrize("n, expected", [(1, [0.5]), (2, [0.25, 0.75]), (4, [0.125, 0.375, 0.625, 0.875]), (0, [])])
def test_relative_positions(n, expected):
    assert plots.relative_positions(n) == expected


@pytest.mark.parametrize("values, window, expected", [
    ([1, 2, 3, 4, 5], 3, [1.5, 2.0, 3.0, 4.0, 4.5]),
    ([1, 2, 3], 1, [1.0, 2.0, 3.0]),
    ([0, 0, 6], 5, [2.0, 2.0, 2.0]),
    ([], 3, []),
])
def test_rolling_mean(values, window, expected):
    assert plots.rolling_mean(values, window=window) == pytest.approx(expected)


def test_rolling_mean_is_exactly_rounded():
    """math.fsum: the same on every Python (3.12's sum() differs from 3.11's on floats)."""
    assert plots.rolling_mean([1e16, 1.0, -1e16], window=3)[1] == 1 / 3


def test_bootstrap_interval_is_deterministic_and_brackets_the_mean():
    values = [-1, -0.5, 0, 0, 0.2, 0.5, 1, 0.3, -0.2, 0.1] * 5
    first = plots.bootstrap_mean_ci(values, n_boot=500, level=0.95, seed=7, key="甲")
    assert first == plots.bootstrap_mean_ci(values, n_boot=500, level=0.95, seed=7, key="甲")
    mean, low, high = first
    assert mean == pytest.approx(sum(values) / len(values))
    assert low < mean < high
    narrower = plots.bootstrap_mean_ci(values, n_boot=500, level=0.5, seed=7, key="甲")
    assert narrower[2] - narrower[1] < high - low


@pytest.mark.parametrize("values, expected", [([0.4], (0.4, 0.4, 0.4)), ([0.2, 0.2, 0.2], (0.2, 0.2, 0.2))])
def test_bootstrap_degenerate_samples(values, expected):
    assert plots.bootstrap_mean_ci(values, n_boot=100, level=0.95, seed=1) == pytest.approx(expected)


def test_bootstrap_of_nothing_is_nan():
    assert all(math.isnan(v) for v in plots.bootstrap_mean_ci([], n_boot=100, level=0.95, seed=1))


def test_tfidf_similarity():
    counts = {"甲": Counter({"裁员": 3, "上市": 1}), "乙": Counter({"裁员": 6, "上市": 2}), "丙": Counter({"开源": 4})}
    df = {"裁员": 2, "上市": 2, "开源": 1}
    sim = plots.tfidf_similarity(counts, df, 3)
    assert list(sim.index) == ["丙", "乙", "甲"] and list(sim.columns) == ["丙", "乙", "甲"]
    assert sim.loc["甲", "乙"] == pytest.approx(1.0)   # proportional vectors
    assert sim.loc["甲", "丙"] == 0.0                  # no shared term
    assert (sim.to_numpy() == sim.to_numpy().T).all()


@pytest.mark.parametrize("text, expected", [
    ("光锥智能", "光锥智能"),
    ("a\nb\tc\u202ed", "a b c d"),           # control and bidi characters never reach a figure
    ("x" * 30, "x" * 19 + "…"),
    ("   ", "?"),
    ("$x^2$", "$x^2$"),
])
def test_label(text, expected):
    assert plots.label(text) == expected


# ---------------------------------------------------------------- figures from DataFrames


def _frames():
    rows = []
    for i, outlet in enumerate(OUTLETS):
        for j, frame in enumerate(("personnel", "capital", "technology")):
            hits = (i + 1) * (j + 2)
            rows.append({"outlet": outlet, "frame": frame, "per_1k": hits * 1.5, "hits": hits,
                         "top_terms": f"裁员×{hits}", "articles": 5 - i, "content_tokens": 1000})
    return pd.DataFrame(rows)


def _sentences():
    rows = []
    for i, outlet in enumerate(OUTLETS):
        for a in range(3):
            for k in range(12):
                rows.append({"id": f"{i}-{a}", "outlet": outlet, "index": k,
                             "score": round(math.sin(i + a + k) * 0.8, 3)})
    return pd.DataFrame(rows)


def _distinctive():
    terms = ["裁员", "離職", "大模型", "GLM", "$1", HOSTILE, "六小龙"]
    return pd.DataFrame([{"outlet": o, "term": t, "count": 10 - k, "z": 4.0 - k, "rank": k + 1}
                         for o in OUTLETS for k, t in enumerate(terms)])


def _similarity():
    counts = {o: Counter({"裁员": i + 1, "上市": 3, "开源": (i * 2) % 5}) for i, o in enumerate(OUTLETS)}
    return plots.tfidf_similarity(counts, {"裁员": 5, "上市": 5, "开源": 3}, 5)


def _build():
    sentences = _sentences()
    return {
        "frames_heatmap": plots.frames_heatmap(_frames(), labels={"personnel": "Personnel and layoffs"}),
        "sentiment_by_outlet": plots.sentiment_by_outlet(sentences, n_boot=200),
        "distinctive_terms": plots.distinctive_terms(_distinctive(), top=5),
        "sentiment_arcs": plots.sentiment_arcs(sentences, window=3),
        "outlet_similarity": plots.outlet_similarity(_similarity()),
        "frames_over_time": plots.frames_over_time(_by_article(), _dates(), bin_="month",
                                                   labels={"personnel": "Personnel and layoffs"}),
        "frame_profile": plots.frame_profile(_by_article()),
        "frame_cooccurrence": plots.frame_cooccurrence(_by_article()),
        "keyness": plots.keyness(_term_counts(), _distinctive(), top=5, min_count=1),
        "target_sentiment": plots.target_sentiment(_targets(), n_boot=200),
    }


def _by_article():
    rows = []
    for i, outlet in enumerate(OUTLETS):
        for a in range(3):
            for j, frame in enumerate(("personnel", "capital", HOSTILE)):
                hits = (i + a + j) % 4
                rows.append({"id": f"{i}-{a}", "outlet": outlet, "frame": frame, "per_1k": hits * 2.5, "hits": hits})
    return pd.DataFrame(rows)


def _dates():
    return {f"{i}-{a}": f"2025-0{1 + (i + a) % 3}-1{a}" for i in range(len(OUTLETS)) for a in range(3)}


def _term_counts():
    terms = ["裁员", "離職", "大模型", "GLM", "$1", HOSTILE, "六小龙", "上市", "开源"]
    return {o: Counter({t: (i * 3 + k) % 7 + 1 for k, t in enumerate(terms)}) for i, o in enumerate(OUTLETS)}


def _targets():
    import pandas as pd

    rows = [(f"a{i}", ["新华社", "澎湃新闻", "36氪"][i % 3], ["2025-07", "2025-08", ""][i % 3 if i < 6 else 0],
             ((i * 37) % 19 - 9) / 10) for i in range(18)]
    return pd.DataFrame(rows, columns=["id", "group", "period", "target_score"])


def test_target_sentiment_without_dates_or_targets():
    import pandas as pd

    undated = _targets().assign(period="")
    assert len(plots.target_sentiment(undated, n_boot=50).axes) == 1
    assert len(plots.target_sentiment(_targets(), n_boot=50).axes) == 2
    empty = pd.DataFrame(columns=["id", "group", "period", "target_score"])
    assert len(plots.target_sentiment(empty).axes) == 1


def test_target_sentiment_with_several_targets_draws_each_in_its_colour():
    """Several targets: each target's articles and mean in its own colour, side by side in a group's row, with
    a legend (the pooled rows, target "", are left out); one target: the figure as before, no legend."""
    import pandas as pd

    pooled = _targets().assign(target="")
    each = pd.concat([pooled.assign(target="甲公司"),
                      pooled.assign(target="乙公司", target_score=-pooled["target_score"]).iloc[:12]])
    fig = plots.target_sentiment(pd.concat([pooled, each]), n_boot=50)
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["甲公司", "乙公司"]
    assert "each target" in fig.axes[0].get_title()
    assert [line.get_label() for line in fig.axes[1].get_lines() if not line.get_label().startswith("_")] == \
        ["甲公司", "乙公司"]
    story_order = plots.target_sentiment(pd.concat([pooled, each]), n_boot=50, order=["乙公司", "甲公司"])
    assert [t.get_text() for t in story_order.axes[0].get_legend().get_texts()] == ["乙公司", "甲公司"]
    one = plots.target_sentiment(pooled, n_boot=50)
    assert one.axes[0].get_legend() is None and "toward the target" in one.axes[0].get_title()


def test_target_rows_give_each_targets_own_score():
    record = {"id": 7, "target_score": -0.2, "targets": [{"name": "甲", "score": -0.5, "n_sentences": 1},
                                                         {"name": "乙", "score": None, "n_sentences": 0}]}
    rows = plots._target_rows(record, lambda r: "新华社", None)
    assert rows == [["7", "新华社", "", -0.2, ""], ["7", "新华社", "", -0.5, "甲"]]


@pytest.fixture(scope="module")
def built():
    return _build()


@pytest.mark.parametrize("name", plots.FIGURES)
@pytest.mark.parametrize("fmt", plots.FORMATS)
def test_figure_renders_with_every_glyph(built, name, fmt):
    data, missing = plots.render_checked(built[name], fmt)
    assert missing == []
    assert len(data) > 5000
    if fmt == "png":
        assert data.startswith(PNG_MAGIC)
    elif fmt == "pdf":
        assert data.startswith(b"%PDF") and b"CreationDate" not in data
    else:
        root = ET.fromstring(data)  # well-formed XML: every label was escaped
        assert root.tag.endswith("svg")
        assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("script", "foreignObject")]
        assert b"<script" not in data and b"Date" not in data


def test_missing_glyphs_are_reported():
    """The check the figures pass must be able to fail: a private-use character has no glyph."""
    with plots.plotting():
        fig = plots.new_figure(2, 1)
        fig.text(0.1, 0.5, "智谱 \ue2c5")
    _, missing = plots.render_checked(plots.finish(fig), "png")
    assert missing and "missing from font" in missing[0]


def test_the_cjk_font_is_the_bundled_one():
    from matplotlib import font_manager

    with plots.plotting():
        path = font_manager.findfont(font_manager.FontProperties(family=plots.FONT_FAMILY), fallback_to_default=False)
    assert Path(path).resolve() == Path(plots.cjk_font_path()).resolve()


def test_renders_are_byte_identical(built):
    again = _build()
    for name in plots.FIGURES:
        for fmt in plots.FORMATS:
            first = plots.render(built[name], fmt)
            assert first == plots.render(built[name], fmt), f"{name}.{fmt}: a second save differs"
            assert first == plots.render(again[name], fmt), f"{name}.{fmt}: a rebuilt figure differs"


def test_empty_inputs_give_a_figure_that_says_so():
    empty = pd.DataFrame(columns=["outlet", "term", "count", "z", "rank"])
    fig = plots.distinctive_terms(empty)
    assert "fewer than two outlet groups" in fig.axes[0].texts[0].get_text()
    data, missing = plots.render_checked(fig, "png")
    assert data.startswith(PNG_MAGIC) and missing == []


def test_sentiment_summary_columns():
    summary = plots.sentiment_summary(_sentences(), n_boot=100)
    assert list(summary.columns) == ["outlet", "articles", "sentences", "mean", "ci_low", "ci_high", "level"]
    assert (summary["ci_low"] <= summary["mean"]).all() and (summary["mean"] <= summary["ci_high"]).all()
    assert set(summary["articles"]) == {3}


def test_sentiment_summary_by_article_weighs_articles_alike_and_resamples_them():
    """The article-level view (issue 19): each article's mean sentence score is one value; the outlet's mean
    is their mean and its interval resamples articles; under three articles there is no interval."""
    import pandas as pd

    rows = [("甲报", "a1", v) for v in (1.0, 1.0, 1.0, 1.0)] + [("甲报", "a2", -1.0), ("甲报", "a3", 0.0)] + \
        [("乙报", "b1", 0.5), ("乙报", "b2", -0.5), ("乙报", "b2", 0.0)]
    sentences = pd.DataFrame(rows, columns=["outlet", "id", "score"])
    by_sentence = plots.sentiment_summary(sentences, n_boot=200).set_index("outlet")
    by_article = plots.sentiment_summary(sentences, n_boot=200, unit="article").set_index("outlet")
    assert by_sentence.loc["甲报", "mean"] == 0.5 and by_article.loc["甲报", "mean"] == 0.0
    assert (by_article.loc["甲报", "articles"], by_article.loc["甲报", "sentences"]) == (3, 6)
    assert by_article.loc["甲报", "ci_low"] < 0 < by_article.loc["甲报", "ci_high"]
    assert by_article.loc["乙报", ["ci_low", "ci_high"]].isna().all() and by_article.loc["乙报", "mean"] == 0.125
    assert list(plots.article_scores(sentences)["score"]) == [0.5, -0.25, 1.0, -1.0, 0.0]  # by outlet, then id
    with pytest.raises(ValueError, match="unit"):
        plots.sentiment_summary(sentences, unit="paragraph")
    fig = plots.sentiment_by_outlet(sentences, unit="article", n_boot=50)
    assert fig.axes[0].get_title().startswith("Sentiment of articles per outlet")
    assert any("no interval" in t.get_text() for t in fig.axes[0].get_yticklabels())


# ---------------------------------------------------------------- the stage on the seeds


def test_seed_figures(seed_outputs):
    folder = seed_outputs / "figures"
    manifest = records.read_json(folder / "manifest.json")
    assert manifest["missing_glyphs"] == []
    for name in plots.FIGURES:
        for fmt in plots.FORMATS:
            path = folder / f"{name}.{fmt}"
            assert path.stat().st_size > 5000, path.name
            assert manifest["outputs"][path.name] == records.sha256_file(path)
    summary = plots.sentiment_ci_table(folder)
    assert len(summary) == len(plots.outlet_similarity_table(folder))
    by_article = plots.sentiment_ci_articles_table(folder)  # five outlets of one article: no interval
    assert list(by_article["outlet"]) == list(summary["outlet"]) and by_article["ci_low"].isna().all()
    assert list(by_article["mean"]) == list(summary["mean"])  # one article each: the same mean either way


def test_seed_figures_are_reproducible(seed_outputs, tmp_path):
    """The stage run again on the same inputs writes byte-identical files."""
    inputs = {folder: seed_outputs / folder for folder in plots.STAGE.upstreams}
    plots.run_stage(inputs, tmp_path, plots.STAGE.params)
    for name in plots.FIGURES:
        for fmt in plots.FORMATS:
            a = (seed_outputs / "figures" / f"{name}.{fmt}").read_bytes()
            assert a == (tmp_path / f"{name}.{fmt}").read_bytes(), f"{name}.{fmt}"


def test_build_figures_gives_the_figures_the_stage_wrote(seed_outputs):
    """The notebook entry point: the same figures (same PNG bytes) and tables as the stage's files."""
    inputs = {folder: seed_outputs / folder for folder in plots.STAGE.upstreams}
    built = plots.build_figures(inputs, plots.STAGE.params, names=["frames_heatmap", "sentiment_arcs"])
    assert sorted(built["figures"]) == ["frames_heatmap", "sentiment_arcs"]
    for name, fig in built["figures"].items():
        assert plots.render(fig, "png") == (seed_outputs / "figures" / f"{name}.png").read_bytes(), name
    assert list(built["similarity"].index) == list(plots.outlet_similarity_table(seed_outputs / "figures").index)
    assert len(built["summary"]) == len(plots.sentiment_ci_table(seed_outputs / "figures"))


def test_sentence_table_is_compact_and_draws_what_plain_strings_draw(seed_outputs):
    """sentence_scores keeps id and outlet as categoricals (sorted categories) and the numbers
    in typed columns; the summary and the figures are the same as from plain string columns."""
    table = plots.sentence_scores(seed_outputs / "06_sentiment")
    assert isinstance(table["id"].dtype, pd.CategoricalDtype) and isinstance(table["outlet"].dtype, pd.CategoricalDtype)
    assert list(table["id"].cat.categories) == sorted(table["id"].cat.categories)
    assert str(table["index"].dtype) == "int64" and str(table["score"].dtype) == "float64"
    plain = table.astype({"id": object, "outlet": object})
    expected = [(r["id"], s["index"], s["score"]) for r in records.read_jsonl(seed_outputs / "06_sentiment" / "articles.jsonl")
                for s in r["sentences"]]
    assert list(zip(plain["id"], plain["index"], plain["score"])) == expected
    pd.testing.assert_frame_equal(plots.sentiment_summary(table, n_boot=200), plots.sentiment_summary(plain, n_boot=200))
    for draw in (lambda t: plots.sentiment_arcs(t, window=3), lambda t: plots.sentiment_by_outlet(t, n_boot=200)):
        assert plots.render(draw(table), "svg") == plots.render(draw(plain), "svg")


def test_sentence_table_read_by_ranges_in_workers_is_the_one_read_here(seed_outputs, monkeypatch):
    """Read in small ranges by two processes, the sentence table is the one read here in one piece."""
    from pipeline.runner import ranges

    here = plots.sentence_scores(seed_outputs / "06_sentiment")
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 2000)
    assert len(ranges.byte_ranges(seed_outputs / "06_sentiment" / "articles.jsonl", 2000)) > 2
    pd.testing.assert_frame_equal(plots.sentence_scores(seed_outputs / "06_sentiment", jobs=2), here)


def test_the_stage_reads_sentences_and_target_scores_in_one_pass(seed_outputs, monkeypatch):
    """The stage takes the target scores from its one pass over 06_sentiment (by ranges, in two
    processes too): the tables sentence_scores and target_scores read on their own."""
    from pipeline.runner import ranges

    folder = seed_outputs / "06_sentiment"
    targets = plots.target_scores(folder, "outlet", "month")
    assert len(targets)  # the seeds' story has a target
    for jobs in (1, 2):
        sentences, found = plots._sentiment_tables(folder, "outlet", "month", jobs=jobs)
        pd.testing.assert_frame_equal(sentences, plots.sentence_scores(folder))
        pd.testing.assert_frame_equal(found, targets)
        monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
        monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
        monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 2000)
    assert plots._sentiment_tables(folder, "outlet", None)[1] is None


def test_arcs_outlet_lines_are_the_binned_means_article_by_article():
    """The thick line of each outlet: mean score per position bin, summed article by article (ids
    sorted) exactly as a plain loop does; articles of unequal lengths, rows in any order."""
    import random

    import numpy as np

    rng = random.Random(3)
    rows = [{"id": f"{o}-{a}", "outlet": o, "index": k, "score": round(rng.uniform(-1, 1), 3)}
            for o in ("甲", "乙") for a in range(7) for k in range(rng.randrange(1, 15))]
    rng.shuffle(rows)
    sentences = pd.DataFrame(rows)
    bins = 4
    fig = plots.sentiment_arcs(sentences, window=3, bins=bins, max_articles=4)
    thick = [line for line in fig.axes[0].get_lines() if line.get_linewidth() == 2.4]
    thin = [line for line in fig.axes[0].get_lines() if line.get_alpha() == 0.45]
    assert len(thick) == 2 and len(thin) == 4  # 2 articles drawn per outlet
    for line, outlet in zip(thick, ("乙", "甲")):  # 7 articles each: by name
        sums, counts = np.zeros(bins), np.zeros(bins)
        for _, article in sentences[sentences["outlet"] == outlet].sort_values("index").groupby("id", sort=True):
            scores = article["score"].tolist()
            for x, score in zip(plots.relative_positions(len(scores)), scores):
                b = min(int(x * bins), bins - 1)
                sums[b] += score
                counts[b] += 1
        mask = counts > 0
        assert list(line.get_ydata()) == list(sums[mask] / counts[mask])


def test_finished_figures_have_no_layout_engine(built):
    """finish() lays a figure out once and removes the engine: savefig then draws it once, not twice."""
    assert all(fig.get_layout_engine() is None for fig in built.values())


def test_one_outlet_heatmap_lays_out_without_warnings():
    """A corpus with a single outlet (e.g. one broadcaster's archive) still gets a readable heatmap."""
    import warnings

    import pandas as pd

    frames = pd.DataFrame({"outlet": ["unknown (no outlet named)"] * 3,
                           "frame": ["personnel", "capital", "business_model_and_commercialisation"],
                           "per_1k": [1.0, 2.0, 3.0], "hits": [1, 2, 3]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plots.frames_heatmap(frames)
        plots.render(fig, "png")
    assert not [w for w in caught if "constrained_layout" in str(w.message)]


def test_large_outlets_get_the_normal_interval_which_matches_the_bootstrap():
    import numpy as np

    values = np.random.default_rng(1).uniform(-1, 1, 30_000)
    mean, low, high = plots.bootstrap_mean_ci(values, n_boot=400, level=0.95, seed=0, key="big")
    _, b_low, b_high = plots.bootstrap_mean_ci(values, n_boot=400, level=0.95, seed=0, key="big", max_n=10**9)
    assert low < mean < high
    assert abs(low - b_low) < 0.002 and abs(high - b_high) < 0.002


def test_similarity_neighbours_agree_with_the_square_table():
    """The nearest-groups table (written when groups outnumber the square table) lists, for
    each group, the most similar others of the square table, in order."""
    from collections import Counter

    counts = {f"g{i}": Counter({f"t{j}": (i * j) % 5 + 1 for j in range(i % 4, 12, 1 + i % 3)}) for i in range(9)}
    df = Counter(t for c in counts.values() for t in c)
    square = plots.tfidf_similarity(counts, df, 9)
    near = plots.similarity_neighbours(counts, df, 9, k=3, chunk=4)
    for group in counts:
        mine = near[near["outlet"] == group]
        others = square.loc[group].drop(group)
        expected = sorted(others.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert list(zip(mine["other"], mine["similarity"])) == expected
        assert list(mine["rank"]) == [1, 2, 3]
    largest = plots.tfidf_similarity(counts, df, 9, groups=["g3", "g1"])
    assert list(largest.index) == ["g1", "g3"]
    assert largest.loc["g1", "g3"] == square.loc["g1", "g3"]


def _clipped(fig) -> list[str]:
    """What the figure draws (partly) outside itself: a label cut off. Each axes with everything it
    draws (tick labels, axis labels, title), and the figure's own texts and legends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with plots.plotting():
        renderer = FigureCanvasAgg(fig).get_renderer()
        box = fig.bbox
        parts = [(ax.get_title() or ax.get_xlabel() or "axes", ax.get_tightbbox(renderer)) for ax in fig.axes]
        parts += [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts if t.get_text().strip()]
        parts += [("legend", legend.get_window_extent(renderer)) for legend in fig.legends]
        if fig._suptitle is not None and fig._suptitle.get_text():
            parts.append((fig._suptitle.get_text(), fig._suptitle.get_window_extent(renderer)))
    return [name for name, extent in parts if extent is not None and (
        extent.x0 < box.x0 - 1 or extent.y0 < box.y0 - 1 or extent.x1 > box.x1 + 1 or extent.y1 > box.y1 + 1)]


@pytest.mark.parametrize("name", plots.FIGURES)
def test_no_label_is_cut_off(built, name):
    assert _clipped(built[name]) == []


def test_the_cut_off_check_can_fail():
    fig = plots.new_figure(2, 2)
    fig.text(0.9, 0.5, "一个很长很长很长的标签会被裁掉")
    assert _clipped(fig)


def test_frame_figures_from_tables():
    import pandas as pd

    by_article = pd.DataFrame({
        "id": ["a", "a", "b", "b", "c", "c"], "outlet": ["甲", "甲", "甲", "甲", "乙", "乙"],
        "frame": ["x", "y"] * 3, "per_1k": [2.0, 0.0, 1.0, 3.0, 0.0, 4.0], "hits": [2, 0, 1, 3, 0, 4]})
    dates = {"a": "2024-01-05", "b": "2024-02-10", "c": "2024-02-11"}
    co = plots.frame_cooccurrence(by_article)
    texts = [t.get_text() for t in co.axes[0].texts]
    assert texts == ["2", "1", "1", "2"]  # x in a and b; y in b and c; both only in b
    over = plots.frames_over_time(by_article, dates, bin_="month")
    assert {line.get_label() for ax in over.axes for line in ax.get_lines()} == {"甲", "乙"}
    undated = plots.frames_over_time(by_article, {}, bin_="month")
    assert "no dated articles" in undated.axes[0].texts[0].get_text()
    profile = plots.frame_profile(by_article)
    assert [t.get_text().split(" · ")[1] for t in profile.axes[0].get_yticklabels()] == ["a", "b", "c"]


def test_keyness_log_axes_read_as_plain_numbers():
    """Math text is off (untrusted labels), so the log axes' ticks must not be written as math:
    before, they read "$\\mathdefault{10^{1}}$" on the figure."""
    fig = plots.keyness(_term_counts(), _distinctive(), top=5, min_count=1)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in (*ax.get_xticklabels(), *ax.get_yticklabels()) if t.get_text()]
    assert labels, "no tick labels"
    assert all("$" not in t and "mathdefault" not in t for t in labels), labels
    assert any(t.replace(",", "").replace(".", "").isdigit() for t in labels)
