"""Reading a finished run across stages: one row per article, and keywords in context.

- :func:`articles_table` joins every stage's per-article results into one DataFrame
  (``pipeline.load("articles")``);
- :func:`kwic` lists a term's occurrences with their left and right context, within the
  sentence (``pipeline.kwic(term, output_dir=...)``);
- :func:`article_groups` and :func:`parse_dates` give every table ``pipeline.load`` returns the
  same group labels and real datetimes.
"""
from __future__ import annotations

from pathlib import Path

from . import grouping, records
from .config import ARTICLES, MANIFEST

INGEST, STRIP, NORMALIZE, SEGMENT, SENTIMENT, FRAMING = (
    "01_ingest", "02_strip", "03_normalize", "04_segment", "06_sentiment", "07_framing")


def _group_by(out: Path) -> str:
    story = out / "story.json"
    if story.is_file():
        try:
            return records.read_json(story).get("group_by") or "outlet"
        except ValueError:
            pass
    return "outlet"


DATE_COLUMNS = ("published",)  # columns of article dates, parsed to datetimes wherever a table has them
LOCAL_OFFSET_HOURS = 8  # a date written with a zone is shown as China Standard Time (UTC+8), as the pages show it


def parse_dates(values):
    """Article dates (ISO 8601 text as ingest writes them, "" when unknown) as naive datetimes,
    NaT where no date was found. A time written with a zone (``Z``, ``+09:00``) is converted to
    UTC+8, the local time of Chinese pages; one without a zone is taken as written. Milliseconds:
    the unit Parquet keeps, so a table reads back from its Parquet copy with the same dtype."""
    import pandas as pd

    text = pd.Series(values, dtype="str").fillna("").str.strip()
    zoned = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ms]")
    naive = text.where(~zoned & (text != ""))
    if naive.notna().any():
        out[naive.notna()] = pd.to_datetime(naive[naive.notna()], errors="coerce", format="mixed").astype("datetime64[ms]")
    if zoned.any():
        utc = pd.to_datetime(text[zoned], errors="coerce", utc=True, format="mixed")
        out[zoned] = (utc + pd.Timedelta(hours=LOCAL_OFFSET_HOURS)).dt.tz_localize(None).astype("datetime64[ms]")
    return out


def article_groups(output_dir: str | Path) -> dict[str, str]:
    """id -> the article's group label, as the comparisons (keywords, frames, figures, report) use it.

    By outlet the label comes from the normalised outlet the later stages carry (07_framing's
    records, else 03_normalize's); an article no later stage kept, from ingest's outlet
    converted to simplified script as normalize converts it."""
    out = Path(output_dir)
    groups = grouping.load(out, _group_by(out))
    if groups.by_id is not None:
        return dict(groups.by_id)
    labels: dict[str, str] = {}
    for folder in (FRAMING, NORMALIZE):
        path = out / folder / ARTICLES
        if (out / folder / MANIFEST).exists():
            labels = {r["id"]: groups(r) for r in records.read_jsonl(path)}
            break
    ingest = out / INGEST / ARTICLES
    if ingest.exists():
        missing = [r for r in records.read_jsonl(ingest) if r["id"] not in labels]
        if missing:
            import opencc

            t2s = opencc.OpenCC("t2s").convert
            labels.update({r["id"]: groups({"outlet": t2s(" ".join(str(r.get("outlet") or "").split()))})
                           for r in missing})
    return labels


def _require(out: Path, folder: str) -> Path:
    if not (out / folder / MANIFEST).exists():
        raise FileNotFoundError(f"{out / folder} is missing or unfinished: run the pipeline first")
    return out / folder / ARTICLES


def articles_table(output_dir: str | Path):
    """One row per article: metadata, its group, what strip removed, script, tokens, sentiment
    (toward the target too) and frame emphasis (``frame_<id>``: hits per 1,000 content tokens).

    Articles a later stage skipped have empty cells for that stage's columns."""
    import pandas as pd

    out = Path(output_dir)
    rows: dict[str, dict] = {}
    for r in records.read_jsonl(_require(out, INGEST)):
        rows[r["id"]] = {"id": r["id"], "source": r["source"], "outlet": r.get("outlet", ""),
                         "author": r.get("author", ""), "title": r.get("title", ""),
                         "published": r.get("published", ""), "url": r.get("url", ""),
                         "platform": r.get("platform", ""), "site": r.get("site", ""),
                         "editor": r.get("editor", "")}
    groups = grouping.load(out, _group_by(out))
    for r in records.read_jsonl(_require(out, STRIP)):
        rows[r["id"]].update(removed_share=r.get("removed_share"), n_removed=len(r.get("removed", ())))
    for r in records.read_jsonl(_require(out, NORMALIZE)):
        rows[r["id"]].update(script=r.get("script"), region=r.get("region"), n_sentences=len(r.get("sentences", ())),
                             outlet_normalised=r.get("outlet", ""))
    for r in records.read_jsonl(_require(out, SEGMENT)):
        rows[r["id"]].update(n_tokens=r.get("n_tokens"), n_content=r.get("n_content"))
    for r in records.read_jsonl(_require(out, SENTIMENT)):
        rows[r["id"]].update(score=r.get("score"), pos_share=r.get("pos_share"), neu_share=r.get("neu_share"),
                             neg_share=r.get("neg_share"), target_score=r.get("target_score"),
                             target_n_sentences=r.get("target_n_sentences"))
    frame_columns: list[str] = []
    for r in records.read_jsonl(_require(out, FRAMING)):
        for f in r.get("frames", ()):
            column = f"frame_{f['frame']}"
            if column not in frame_columns:
                frame_columns.append(column)
            rows[r["id"]][column] = f["per_1k"]
    for id_, row in rows.items():
        row["group"] = groups({"id": id_, "outlet": row.get("outlet_normalised", row["outlet"])})
    columns = ["id", "source", "group", "outlet", "author", "title", "published", "url", "platform", "site", "editor",
               "removed_share", "n_removed", "script", "region", "n_sentences", "n_tokens", "n_content",
               "score", "pos_share", "neu_share", "neg_share", "target_score", "target_n_sentences", *frame_columns]
    frame = pd.DataFrame([rows[i] for i in rows], columns=columns)
    frame["published"] = parse_dates(frame["published"])
    return frame


def kwic(term: str, output_dir: str | Path = "outputs", *, window: int = 20, limit: int | None = None):
    """Keyword in context: every occurrence of ``term`` as whole tokens (a term may span tokens;
    Latin letters case-insensitive, as the frames match), with up to ``window`` characters of
    the same sentence either side.

    Columns: id, group, sentence (index), left, match, right, start, end (in the normalised text).
    ``term`` in traditional script is converted as the text was (OpenCC t2s)."""
    import opencc
    import pandas as pd

    from .concordance import lexicon_of, sentence_lines

    out = Path(output_dir)
    wanted = opencc.OpenCC("t2s").convert(term.strip())
    if not wanted:
        raise ValueError("kwic needs a non-empty term")
    lexicon = lexicon_of([wanted])
    groups = grouping.load(out, _group_by(out))
    rows = []
    for record in records.read_jsonl(_require(out, SEGMENT)):
        for sentence in record.get("sentences", ()):
            for line in sentence_lines(sentence, lexicon, window=window):
                rows.append({"id": record["id"], "group": groups(record), "sentence": sentence["index"],
                             **{k: line[k] for k in ("left", "match", "right", "start", "end")}})
                if limit is not None and len(rows) >= limit:
                    return pd.DataFrame(rows)
    return pd.DataFrame(rows, columns=["id", "group", "sentence", "left", "match", "right", "start", "end"])
