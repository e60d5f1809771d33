"""The output tables as researchers take them away: CSV that Excel reads, the same DataFrames
from ``pipeline.load``."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

import pipeline
from pipeline import records, stages

BOM = b"\xef\xbb\xbf"


def test_a_csv_table_is_written_with_a_bom_and_other_text_without(tmp_path):
    records.write_text(tmp_path / "t.csv", "group,term\n甲,裁员\n")
    with records.atomic_open(tmp_path / "empty.csv"):
        pass
    records.write_text(tmp_path / "t.json", "{}\n")
    records.write_jsonl(tmp_path / "t.jsonl", [{"id": "a"}])
    assert (tmp_path / "t.csv").read_bytes() == BOM + "group,term\n甲,裁员\n".encode()
    assert (tmp_path / "empty.csv").read_bytes() == BOM
    assert not (tmp_path / "t.json").read_bytes().startswith(BOM)
    assert not (tmp_path / "t.jsonl").read_bytes().startswith(BOM)


def test_every_csv_of_a_run_starts_with_a_bom(seed_outputs):
    tables = sorted(seed_outputs.rglob("*.csv"))
    assert len(tables) >= 10
    assert [t.relative_to(seed_outputs) for t in tables if not t.read_bytes().startswith(BOM)] == []


def _all_tables(out) -> dict[str, pd.DataFrame]:
    return {name: pipeline.load(name, out) for name in [*stages.tables(), "articles"]}


def test_load_gives_the_same_frames_with_or_without_the_bom(seed_outputs, tmp_path):
    """Outputs written before the BOM (or a CSV saved by a tool that drops it) load the same."""
    plain = tmp_path / "plain"
    shutil.copytree(seed_outputs, plain)
    for table in plain.rglob("*.csv"):
        data = table.read_bytes()
        table.write_bytes(data[len(BOM):] if data.startswith(BOM) else data)
    with_bom, without = _all_tables(seed_outputs), _all_tables(plain)
    for name, frame in with_bom.items():
        assert not any(str(c).startswith("\ufeff") for c in frame.columns), name
        pd.testing.assert_frame_equal(frame, without[name], obj=name)


@pytest.mark.parametrize("name", ["frames", "distinctive", "attributions", "keywords"])
def test_tables_keep_their_header_with_the_bom(seed_outputs, name):
    frame = pipeline.load(name, seed_outputs)
    assert not frame.empty and not any(str(c).startswith("\ufeff") for c in frame.columns)


# ------------------------------------------------------------ groups and dates in every table

GROUP_COLUMNS = ("group", "group_a", "group_b", "other_group")
BY_GROUP_OUTLET = ("frames", "frame_terms", "distinctive", "sentiment_ci", "sentiment_ci_articles",
                   "outlet_neighbours")  # outlet = group


def _labels(name: str, frame: pd.DataFrame) -> set[str]:
    columns = [c for c in GROUP_COLUMNS if c in frame.columns]
    if name in BY_GROUP_OUTLET:
        columns += ["outlet"] + (["other"] if "other" in frame.columns else [])
    return {str(v) for c in columns for v in frame[c].dropna()}


def test_every_table_names_the_groups_alike(seed_outputs):
    tables = _all_tables(seed_outputs)
    groups = set(tables["articles"]["group"])
    assert len(groups) == 5 and "unknown (no outlet named)" in groups
    with_ids = [name for name, frame in tables.items() if "id" in frame.columns]
    assert {"ingest", "strip", "sentiment", "sentences", "segment", "keywords", "attributions"} <= set(with_ids)
    for name in with_ids:  # each article's group, whatever stage the table comes from
        frame = tables[name]
        assert "group" in frame.columns, name
        pairs = set(zip(frame["id"], frame["group"].astype(str)))
        assert pairs <= set(zip(tables["articles"]["id"], tables["articles"]["group"])), name
    for name, frame in tables.items():
        if not frame.empty and name not in ("topics", "outlet_neighbours"):
            assert _labels(name, frame) <= groups, (name, _labels(name, frame) - groups)
    for name in ("ingest", "sentiment", "frames", "distinctive", "sentiment_ci", "sentiment_ci_articles",
                 "sourcing_profile"):
        assert _labels(name, tables[name]) == groups, name
    assert set(tables["outlet_similarity"].index) == groups


def _dated_corpus(folder, dates):
    folder.mkdir()
    text = "公司裁员的消息传出以后，员工表示压力很大，市场也担心亏损扩大。" * 3
    lines = ["file,outlet,published"]
    for i, (outlet, date) in enumerate(dates):
        (folder / f"{i}.txt").write_text(text + f"第{i}篇。", encoding="utf-8")
        lines.append(f"{i}.txt,{outlet},{date}")
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_dates_are_datetimes_in_every_table_that_has_them(tmp_path):
    from pipeline.run import run_pipeline

    corpus = _dated_corpus(tmp_path / "in", [("甲报", "2025-07-03 10:00"), ("乙报", "2025-07-04"),
                                            ("甲报", "")])
    out = tmp_path / "out"
    run_pipeline(corpus, out, jobs=1, progress=False, warn=lambda m: None, log=lambda m: None)
    dated = {name: frame for name, frame in _all_tables(out).items() if "published" in frame.columns}
    assert {"ingest", "articles"} <= set(dated)
    for name, frame in dated.items():
        assert frame["published"].dtype.kind == "M", name
        if name == "duplicates":  # no article repeats another here: a table of no rows, its dates' type as the others'
            assert frame.empty
            continue
        by_id = dict(zip(frame["id"], frame["published"]))
        assert sorted(str(v) for v in by_id.values()) == ["2025-07-03 10:00:00", "2025-07-04 00:00:00", "NaT"], name


@pytest.mark.parametrize("text, expected", [
    ("2025-07-03T10:00", "2025-07-03 10:00:00"),
    ("2025-07-03", "2025-07-03 00:00:00"),
    ("2025-07-03T10:00:00+09:00", "2025-07-03 09:00:00"),  # shown in UTC+8, as Chinese pages are
    ("2025-07-03T02:00Z", "2025-07-03 10:00:00"),
    ("", "NaT"), ("not a date", "NaT"),
])
def test_parse_dates(text, expected):
    from pipeline.explore import parse_dates

    mixed = parse_dates([text, "2025-01-01T08:00+08:00", "2025-01-02"])  # zones and none in one column
    assert str(mixed.iloc[0]) == expected and mixed.dtype.kind == "M"


# ------------------------------------------------------------ Parquet copies of the large tables

def _from_sources(name, out, monkeypatch):
    from pipeline import parquet

    with monkeypatch.context() as m:
        m.setattr(parquet, "read", lambda *a: None)
        return pipeline.load(name, out)


def test_the_large_tables_are_also_parquet_and_load_the_same(seed_outputs, monkeypatch):
    from pipeline import parquet

    folder = seed_outputs / parquet.FOLDER
    assert {p.stem for p in folder.glob("*.parquet")} == set(parquet.LARGE)
    for name in parquet.LARGE:
        copy = parquet.read(name, seed_outputs)
        assert copy is not None and len(copy) > 0, name
        pd.testing.assert_frame_equal(pipeline.load(name, seed_outputs), _from_sources(name, seed_outputs, monkeypatch),
                                      obj=name)
    articles = pd.read_parquet(folder / "articles.parquet")  # as any Parquet reader sees it
    assert articles["published"].dtype.kind == "M" and "group" in articles.columns


def test_parquet_files_are_the_same_bytes_on_a_rerun(seed_outputs, tmp_path):
    import subprocess
    import sys

    from pipeline import api, parquet
    from pipeline.config import ROOT

    first = {p.name: p.read_bytes() for p in (seed_outputs / parquet.FOLDER).glob("*.parquet")}
    again = tmp_path / "again"
    shutil.copytree(seed_outputs, again)
    shutil.rmtree(again / parquet.FOLDER)
    code = "import sys, pipeline.api as a, pipeline.parquet as p; p.write(sys.argv[1], a.load)"
    subprocess.run([sys.executable, "-c", code, str(again)], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "7", "PATH": ""})
    assert {p.name: p.read_bytes() for p in (again / parquet.FOLDER).glob("*.parquet")} == first
    assert parquet.write(again, api.load) == sorted(parquet.LARGE)  # and in this process, over the old ones
    assert {p.name: p.read_bytes() for p in (again / parquet.FOLDER).glob("*.parquet")} == first


def test_parquet_tables_written_side_by_side_are_the_same_files(seed_outputs, tmp_path, monkeypatch):
    """With jobs, each table is loaded and written by a worker process: the same files and manifest."""
    import os

    from pipeline import api, parquet

    tree = lambda folder: {p.name: p.read_bytes() for p in folder.iterdir()}  # noqa: E731
    first = tree(seed_outputs / parquet.FOLDER)
    again = tmp_path / "again"
    shutil.copytree(seed_outputs, again)
    shutil.rmtree(again / parquet.FOLDER)
    pids = tmp_path / "pids"
    pids.mkdir()
    to_bytes = parquet.to_bytes

    def spying_to_bytes(frame):  # looked up by _write_one in whichever process runs it
        (pids / str(os.getpid())).touch()
        return to_bytes(frame)

    monkeypatch.setattr(parquet, "to_bytes", spying_to_bytes)
    monkeypatch.setattr(parquet, "PARALLEL_MIN_BYTES", 0)
    assert parquet.write(again, api.load, jobs=3) == sorted(parquet.LARGE)
    assert tree(again / parquet.FOLDER) == first
    used = {int(name) for name in os.listdir(pids)}
    assert 1 < len(used) <= 3 and os.getpid() not in used


def test_a_stale_parquet_copy_is_not_read(seed_outputs, tmp_path):
    """A stage run again alone since: load reads the stage's own output, not the old copy."""
    from pipeline import parquet

    out = tmp_path / "out"
    shutil.copytree(seed_outputs, out)
    path = out / "06_sentiment" / "articles.jsonl"
    rows = list(records.read_jsonl(path))
    rows[0]["sentences"][0]["text"] = "改过的句子"
    records.write_jsonl(path, rows)
    manifest = records.read_json(out / "06_sentiment" / "manifest.json")
    records.write_json(out / "06_sentiment" / "manifest.json", {**manifest, "rerun": True})
    assert parquet.read("sentences", out) is None
    assert "改过的句子" in set(pipeline.load("sentences", out)["text"])


def test_parquet_leaves_a_tables_folder_it_did_not_make(tmp_path):
    from pipeline import api, parquet

    (tmp_path / parquet.FOLDER).mkdir()
    (tmp_path / parquet.FOLDER / "mine.parquet").write_bytes(b"not ours")
    messages = []
    assert parquet.write(tmp_path, api.load, warn=messages.append) == []
    assert (tmp_path / parquet.FOLDER / "mine.parquet").read_bytes() == b"not ours" and "not made by" in messages[0]
