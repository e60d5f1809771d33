"""Shared fixtures: the pipeline run once on the seeds, and readable snapshots."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import SEEDS
from pipeline.run import run_pipeline

SNAPSHOTS = Path(__file__).parent / "snapshots"
FIXTURES = Path(__file__).parent / "fixtures"


SLOW_FILES = {"test_reliability.py", "test_notebooks.py"}


def pytest_collection_modifyitems(config, items):
    """Tests that run the whole pipeline are ``slow`` (``make test-fast`` leaves them out)."""
    for item in items:
        if item.path.name in SLOW_FILES or "seed_outputs" in getattr(item, "fixturenames", ()) or any(
                name in getattr(item, "fixturenames", ()) for name in ("mtr", "corpus", "reference")):
            item.add_marker(pytest.mark.slow)


def pytest_addoption(parser):
    parser.addoption("--update-snapshots", action="store_true",
                     help="rewrite tests/snapshots/ from the current output (review the diff!)")


@pytest.fixture(scope="session")
def seed_outputs(tmp_path_factory) -> Path:
    """Every available stage run on seeds/ into a fresh folder (serial, no cache reuse)."""
    out = tmp_path_factory.mktemp("seed_outputs")
    run_pipeline(SEEDS, out, jobs=1, progress=False, log=lambda m: None, warn=lambda m: None)
    return out


def render(obj) -> str:
    """Readable, diffable JSON: Chinese unescaped, multi-line strings as lists of lines."""
    def lines(o):
        if isinstance(o, str) and "\n" in o:
            return o.split("\n")
        if isinstance(o, dict):
            return {k: lines(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [lines(v) for v in o]
        return o
    if isinstance(obj, str):
        return obj if obj.endswith("\n") else obj + "\n"
    return json.dumps(lines(obj), ensure_ascii=False, indent=1) + "\n"


@pytest.fixture
def snapshot(request):
    """``snapshot("stage/name", obj)``: compare with tests/snapshots/stage/name.json (.txt for str)."""
    update = request.config.getoption("--update-snapshots")

    def check(name: str, obj) -> None:
        path = SNAPSHOTS / (name + (".txt" if isinstance(obj, str) else ".json"))
        text = render(obj)
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"no snapshot {path.relative_to(SNAPSHOTS.parent)}: run `make snapshots` and review it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from its snapshot; if intended, run `make snapshots` and review the diff"

    return check
