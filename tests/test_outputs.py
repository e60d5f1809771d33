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
