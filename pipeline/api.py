"""The public API for notebooks and scripts."""
from __future__ import annotations

from pathlib import Path

from . import stages
from .config import MANIFEST, OUTPUTS


class StaleOutput(RuntimeError):
    """A stage's output built from an earlier output of a stage before it (that stage was run
    again alone since): loading it would mix two inputs."""


def load(stage: str, output_dir: str | Path = OUTPUTS):
    """One stage's output as a pandas DataFrame.

    ``stage`` is a stage name (``"ingest"``, ``"strip"``, ``"normalize"``, ``"segment"``,
    ``"sentiment"``, ...), one of the extra tables (``"keywords"``, ``"distinctive"``,
    ``"sentences"``, ``"frames"``), or ``"articles"`` (one row per article, every stage's
    per-article results joined); the README lists each table's columns.

    Every table with an ``id`` column has a ``group`` column, the article's group as every
    comparison labels it (the same labels in every table); date columns (``published``) are
    datetimes (NaT where the article gave none). The large tables are read from their Parquet
    copies in ``tables/`` while those match the stage outputs (:mod:`pipeline.parquet`).
    """
    from . import parquet

    if stage == "articles":  # one row per article, joined across the stages
        from .explore import articles_table

        copy = parquet.read(stage, Path(output_dir))
        return copy if copy is not None else articles_table(output_dir)
    available = stages.tables()
    if stage not in available:
        raise KeyError(f"no table {stage!r}; available: {', '.join(sorted([*available, 'articles']))}")
    folder, loader = available[stage]
    stage_dir = Path(output_dir) / folder
    if not (stage_dir / MANIFEST).exists():
        raise FileNotFoundError(f"{stage_dir} is missing or unfinished: run `make pipeline` "
                                f"or `python -m pipeline run --output {output_dir}` first")
    from .runner import stale

    if reason := stale(Path(output_dir), folder):
        raise StaleOutput(f"{stage_dir} is stale: {reason}; run the stages after it again "
                          f"(or `python -m pipeline run --output {output_dir}`)")
    copy = parquet.read(stage, Path(output_dir))  # the large tables' Parquet copy, while it is current
    if copy is not None:
        return copy
    return _with_groups_and_dates(loader(stage_dir), Path(output_dir))


def _with_groups_and_dates(frame, output_dir: Path):
    from .explore import DATE_COLUMNS, article_groups, parse_dates

    for column in DATE_COLUMNS:
        if column in frame.columns and frame[column].dtype.kind != "M":
            frame[column] = parse_dates(frame[column])
    if "id" in frame.columns and "group" not in frame.columns:
        labels = article_groups(output_dir)
        group = frame["id"].map(labels)
        if len(frame) > 2 * len(labels):  # token- and term-scale tables: a few labels, many rows
            group = group.astype("category")
        after = "source" if "source" in frame.columns else "id"
        frame.insert(frame.columns.get_loc(after) + 1, "group", group)
    return frame


def kwic(term: str, output_dir: str | Path = OUTPUTS, *, window: int = 20, limit: int | None = None):
    """Keyword in context (see :func:`pipeline.explore.kwic`): id, group, sentence, left, match, right, start, end."""
    from .explore import kwic as _kwic

    return _kwic(term, output_dir, window=window, limit=limit)
