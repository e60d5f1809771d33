"""Write the notebooks from the cells below, without outputs: ``python notebooks/build_notebooks.py``.

The notebooks are generated so that their source is reviewable here as plain Python.
They read a pipeline output folder from the environment variable ``PIPELINE_OUTPUTS``
(default ``../outputs``: run ``make pipeline`` first), load every table through
:func:`pipeline.load` and draw with :mod:`pipeline.plots`; they never re-implement a stage.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import os
import sys
from pathlib import Path

try:
    import pipeline
except ModuleNotFoundError:  # a checkout without `pip install -e .`: the package is one folder up
    sys.path.insert(0, str(Path.cwd().parent))
    import pipeline

import pandas as pd
from IPython.display import Image, display

pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 160)
OUT = Path(os.environ.get("PIPELINE_OUTPUTS", "../outputs"))
print("outputs:", OUT.resolve())'''


def stages_notebook():
    md, code = new_markdown_cell, new_code_cell
    return [
        md("# 01 · Every stage's output on the corpus\n\n"
           "A walk through the pipeline's outputs, one stage at a time: what ingest read, what strip removed and "
           "why, what normalize repaired, how segment cut the text, the keywords and the sentence scores. "
           "Every table comes from `pipeline.load(name, OUT)`; nothing here recomputes a stage.\n\n"
           "`OUT` is the folder in `PIPELINE_OUTPUTS` (default `../outputs`, written by `make pipeline`)."),
        code(SETUP),
        md("## Ingest: one record per article\n\n"
           "Metadata and where each field came from (`*_from`: sidecar, byline, html, corpus or unknown)."),
        code('ingest = pipeline.load("ingest", OUT)\n'
             'ingest[["id", "outlet", "author", "title", "published", "encoding", "format", "n_chars"]]'),
        code('ingest[[c for c in ingest.columns if c.endswith("_from")]].apply(pd.Series.value_counts).fillna(0).astype(int)'),
        md("Articles that repeat an earlier article of their outlet word for word (a page collected twice): strip "
           "leaves them out unless the story says `[strip] duplicates = \"keep\"`. Empty when there are none."),
        code('pipeline.load("duplicates", OUT)[["id", "outlet", "title", "copy_of", "source", "copy_of_source"]]'),
        md("## Strip: what was removed, and why\n\nEvery removed line with its line number and the rule that removed it."),
        code('strip = pipeline.load("strip", OUT)\n'
             'strip[["id", "outlet", "removed_share", "n_removed"]]'),
        code('removed = pipeline.load("removed", OUT)\n'
             'removed.groupby("reason").size().sort_values(ascending=False).rename("lines")'),
        code('removed.groupby("reason", group_keys=False).head(3)[["id", "line", "reason", "text"]]'),
        md("## Normalize: script, region and repairs\n\n"
           "`n_repaired` counts mojibake spans repaired, `n_flagged` spans that could not be repaired and were cut."),
        code('normalize = pipeline.load("normalize", OUT)\n'
             'normalize[["id", "script", "region", "config", "n_repaired", "n_flagged", "pinyin_removed", "n_sentences"]]'),
        code('from pipeline import records\n\n'
             '# The repairs themselves, as the stage recorded them (original span, action, replacement).\n'
             'repairs = pd.DataFrame([{"id": r["id"], **rep} for r in records.read_jsonl(OUT / "03_normalize" / "articles.jsonl")\n'
             '                        for rep in r.get("repairs", [])])\n'
             'repairs.head(20)'),
        md("## Segment: tokens with part of speech and offsets\n\n"
           "`is_content` marks the words that keywords and framing count (nouns, verbs, adjectives ... not stop words)."),
        code('segment = pipeline.load("segment", OUT)\n'
             'print(len(segment), "tokens,", int(segment["is_content"].sum()), "content tokens")\n'
             'segment.head(25)'),
        code('segment[segment["is_content"]].groupby("pos", observed=True).size().sort_values(ascending=False).head(15)'),
        code('(segment[segment["is_content"]].groupby("token").size().sort_values(ascending=False).head(30)\n'
             ' .rename("count").to_frame().T)'),
        md("## Keywords: TF-IDF per article, distinctive terms per outlet"),
        code('keywords = pipeline.load("keywords", OUT)\n'
             'keywords[keywords["rank"] <= 8].pivot(index="rank", columns="id", values="term")'),
        code('distinctive = pipeline.load("distinctive", OUT)\n'
             'distinctive[distinctive["rank"] <= 10].pivot(index="rank", columns="outlet", values="term")'),
        md("## Sentiment: per article and per sentence"),
        code('sentiment = pipeline.load("sentiment", OUT)\n'
             'sentiment[["id", "outlet", "score", "pos_share", "neu_share", "neg_share", "n_sentences", "target_score"]]'),
        code('sentences = pipeline.load("sentences", OUT)\n'
             'print("most negative sentences")\n'
             'display(sentences.nsmallest(5, "score")[["id", "index", "score", "text"]])\n'
             'print("most positive sentences")\n'
             'display(sentences.nlargest(5, "score")[["id", "index", "score", "text"]])'),
        md("## Sentiment toward the target: the sentences behind it\n\n"
           "One row per sentence and target it names, with what it says about that target (score, label), the "
           "lexicon's words and the model's strongest features. Empty when the story file names no target."),
        code('toward = pipeline.load("target_sentences", OUT)\n'
             'if toward.empty:\n'
             '    print("no target in the story file: no sentence is scored toward one")\n'
             'else:\n'
             '    display(toward.groupby(["target", "group"])["score"].agg(["mean", "count"]).round(3))\n'
             '    print("most negative about the target")\n'
             '    display(toward.nsmallest(5, "score")[["group", "target", "score", "label", "matched", "text"]])'),
    ]


def framing_notebook():
    md, code = new_markdown_cell, new_code_cell
    return [
        md("# 02 · How the outlets frame the story\n\n"
           "The framing comparison, built step by step from `pipeline.load(...)` tables with the package's own "
           "plotting functions (`pipeline.plots`), so each figure here is the figure in `figures/` and in the report."),
        code(SETUP + "\n\nfrom pipeline import plots"),
        md("## 1. Frame emphasis per outlet\n\n"
           "Hits of each frame's terms per 1,000 content tokens, pooled per outlet. `top_terms` shows the words "
           "behind each number; `frame_terms` has all of them and `frame_matches` the place of every hit."),
        code('frames = pipeline.load("frames", OUT)\n'
             'frames.pivot(index="frame", columns="outlet", values="per_1k").round(1)'),
        code('frames.sort_values("per_1k", ascending=False).groupby("outlet").head(2)[["outlet", "frame", "per_1k", "hits", "top_terms"]]'),
        code('matches = pipeline.load("frame_matches", OUT)\n'
             'sentences = pipeline.load("sentences", OUT)\n'
             '# The sentences behind one number: the hits of the most used frame, with the sentence they sit in.\n'
             'top_frame = frames.groupby("frame")["hits"].sum().idxmax()\n'
             'behind = matches[matches["frame"] == top_frame].merge(\n'
             '    sentences[["id", "index", "text"]], left_on=["id", "sentence"], right_on=["id", "index"])\n'
             'behind[["outlet", "term", "text"]].head(8)'),
        code('from pipeline.framing import frame_labels\n\n'
             'labels = frame_labels(Path(OUT) / "07_framing")  # the frames the run used (the story\'s)\n'
             'fig = plots.frames_heatmap(frames, labels=labels)\n'
             'display(Image(plots.render(fig, "png")))'),
        md("## 2. Sentiment per outlet, with a bootstrap interval of the mean\n\n"
           "Sentences are resampled with a fixed seed, so the interval repeats exactly."),
        code('summary = plots.sentiment_summary(sentences)\n'
             'summary'),
        code('fig = plots.sentiment_by_outlet(sentences, summary)\n'
             'display(Image(plots.render(fig, "png")))'),
        md("Sentences of one article are not independent. With articles as the unit, each weighs alike and the "
           "interval resamples articles: wider, and the one to cite when an outlet's articles differ "
           "(no interval under three articles). The stage writes it too: `pipeline.load(\"sentiment_ci_articles\")`."),
        code('plots.sentiment_summary(sentences, unit="article")'),
        md("## 3. Distinctive terms per outlet (log-odds z)"),
        code('distinctive = pipeline.load("distinctive", OUT)\n'
             'outlets = plots.top_outlets(frames, limit=12)\n'
             'fig = plots.distinctive_terms(distinctive, top=10, outlets=outlets)\n'
             'display(Image(plots.render(fig, "png")))'),
        md("## 4. Sentiment arcs\n\nSentence score against relative position in the article (rolling mean), "
           "one thin line per article, a thick line per outlet."),
        code('fig = plots.sentiment_arcs(sentences, window=5)\n'
             'display(Image(plots.render(fig, "png")))'),
        md("## 5. Outlet similarity\n\n"
           "Cosine of outlet TF-IDF vectors: each outlet's pooled content-token counts, weighted by the idf "
           "over articles. Built here from the `segment` table."),
        code('from pipeline.keywords import outlet_group, term_key\n\n'
             'segment = pipeline.load("segment", OUT)\n'
             'content = segment[segment["is_content"]]\n'
             '# Outlets grouped as the keywords stage groups them (no outlet -> one honestly named group),\n'
             '# Latin terms counted case-insensitively as it counts them (AI, Ai and ai are one term).\n'
             'content = content.assign(outlet=[outlet_group(o if isinstance(o, str) else None) for o in content["outlet"]],\n'
             '                         token=content["token"].astype(str).map(term_key))\n'
             'counts = {o: g["token"].value_counts().to_dict() for o, g in content.groupby("outlet")}\n'
             'df = content.drop_duplicates(["id", "token"])["token"].value_counts().to_dict()\n'
             'similarity = plots.tfidf_similarity(counts, df, content["id"].nunique())\n'
             'similarity.round(3)'),
        code('# The same matrix as the stage wrote it:\n'
             'stage_similarity = pipeline.load("outlet_similarity", OUT)\n'
             'assert (stage_similarity.round(6).to_numpy() == similarity.loc[stage_similarity.index, stage_similarity.columns].round(6).to_numpy()).all()\n'
             'fig = plots.outlet_similarity(similarity, outlets=outlets)\n'
             'display(Image(plots.render(fig, "png")))'),
    ]


def write(name: str, cells) -> Path:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    for i, cell in enumerate(nb.cells):
        cell.id = f"{Path(name).stem}-{i:02d}"  # stable ids: regenerating gives the same file
    path = HERE / name
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def main() -> None:
    for name, cells in (("01_stages.ipynb", stages_notebook()), ("02_framing.ipynb", framing_notebook())):
        print(write(name, cells))


if __name__ == "__main__":
    main()
