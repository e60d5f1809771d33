"""The fused per-article pass (pipeline.runner.chain): every stage's folder is the bytes it
has when the stages run one by one, serially or in a process pool; skips stop an article
mid-chain; the caches are shared with the stages run alone; an interrupted pass leaves no
stage looking finished."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline import records, stages
from pipeline.config import MANIFEST, SEEDS
from pipeline.run import run_pipeline, run_stage
from pipeline.runner import ArticleStage, Skip, chains, map_ranges, run_article_stage, run_chain

CHAIN = ("strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing")


def quiet(message: str) -> None:
    pass


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_the_pipelines_chain_runs_from_strip_to_the_reduces():
    """ingest's reduce (the recurring lines strip needs) ends its group; plots and the report
    read whole folders."""
    groups = chains([stages.module(n).STAGE for n in stages.available()])
    assert [tuple(s.name for s in g) for g in groups] == [("ingest",), CHAIN, ("plots",), ("report",)]


# ---------------------------------------------------------------- the pipeline's stages


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seeds, and articles that stop mid-chain or warn: one strip leaves empty, one
    normalize leaves empty (past strip, so skipped by normalize), one strip warns about."""
    folder = tmp_path_factory.mktemp("fused") / "in"
    shutil.copytree(SEEDS, folder)
    (folder / "empty.txt").write_text("![]()\n分享至\n\n", encoding="utf-8")
    (folder / "bopomofo.txt").write_text("ㄅㄆㄇㄈ ㄉㄊㄋㄌ\nㄍㄎㄏ", encoding="utf-8")
    (folder / "mostly.txt").write_text("![]()\n編輯/子夜\n正文。", encoding="utf-8")
    return folder


def one_by_one(corpus: Path, out: Path, jobs: int, messages: list) -> dict:
    run_pipeline(corpus, out, only=("ingest",), jobs=jobs, progress=False, warn=messages.append, log=quiet)
    return {name: run_stage(name, out, jobs=jobs, progress=False, warn=messages.append) for name in CHAIN}


def fused(corpus: Path, out: Path, jobs: int, messages: list) -> dict:
    return run_pipeline(corpus, out, only=("ingest", *CHAIN), jobs=jobs, progress=False, warn=messages.append,
                        log=quiet)


@pytest.mark.parametrize("jobs", [1, 2])
def test_fused_writes_every_stage_folder_as_the_stages_run_one_by_one(corpus, tmp_path, monkeypatch, jobs):
    from pipeline.runner import ranges

    monkeypatch.setattr(ranges, "ARTICLE_LINES", 2)  # several ranges: a pool of 2 gets work
    alone_said, fused_said = [], []
    alone = one_by_one(corpus, tmp_path / "alone", 1, alone_said)
    together = fused(corpus, tmp_path / "fused", jobs, fused_said)
    for name in ("ingest", *CHAIN):  # run.json and tables/ differ: the one-by-one run's are ingest's alone
        folder = stages.module(name).STAGE.folder
        assert files(tmp_path / "fused" / folder) == files(tmp_path / "alone" / folder), name
    assert {n: m["counts"] for n, m in together.items() if n != "ingest"} == {n: alone[n]["counts"] for n in CHAIN}
    def articles(said: list) -> Counter:  # the books' messages (the run's own, on the story's fit, aside)
        return Counter(m for m in said if m.split(":")[0] in {p.name for p in corpus.iterdir()})

    assert articles(fused_said) == articles(alone_said)  # the same skips and warnings said, stages interleaved
    assert len(articles(fused_said)) >= 3
    skipped = {n: {s["source"]: s["reason"] for s in together[n]["skipped"]} for n in CHAIN}
    assert skipped["strip"] == {"empty.txt": "no body left after strip"}
    assert list(skipped["normalize"]) == ["bopomofo.txt"]  # strip's skip never reached normalize
    assert together["normalize"]["counts"]["input"] == together["strip"]["counts"]["done"]
    assert together["strip"]["warnings"][0]["source"] == "mostly.txt"


def test_a_rerun_and_a_stage_run_alone_hit_the_fused_caches(corpus, tmp_path):
    out = tmp_path / "out"
    first = fused(corpus, out, 1, [])
    before = files(out)
    again = fused(corpus, out, 1, [])
    for name in CHAIN:
        assert first[name]["cache_hits"] == 0
        assert again[name]["cache_hits"] == again[name]["counts"]["input"] > 0, name
    assert files(out) == before
    alone = run_stage("segment", out, progress=False, warn=quiet)  # a stage alone: the same keys
    assert alone["cache_hits"] == alone["counts"]["input"]


# ---------------------------------------------------------------- stages of the test's own


def _listed(record: dict, resources) -> dict:
    return {"id": record["id"], "source": record["source"], "n": record["n"]}


def _halve(record: dict, resources) -> dict:
    if record["n"] % 7 == 0:
        raise Skip("a multiple of 7")
    if record["n"] == STOP.get("at"):
        raise KeyboardInterrupt
    return {**record, "n": record["n"] // 2}


def _say(record: dict, resources) -> dict:
    if record["n"] % 5 == 0:
        return {**record, "warnings": [f"{record['n']} ends in 0 or 5"]}
    return dict(record)


def _square(record: dict, resources) -> dict:
    return {**record, "n": record["n"] ** 2}


def _sum_range(path: Path, start: int, end: int, shared) -> int:
    return sum(records.loads(line)["n"] for line in open(path, "rb").read()[start:end].splitlines())


def _total(out_dir: Path, params, *, jobs: int = 1) -> dict:
    total = sum(map_ranges(_sum_range, out_dir / "articles.jsonl", jobs=jobs))
    records.write_json(out_dir / "total.json", {"total": total})
    return {"total": total}


STOP: dict = {}
LISTED = ArticleStage(name="listed", folder="01_listed", upstream=None, process=_listed)
HALVE = ArticleStage(name="halve", folder="02_halve", upstream="01_listed", process=_halve)
SAY = ArticleStage(name="say", folder="03_say", upstream="02_halve", process=_say)
SQUARE = ArticleStage(name="square", folder="04_square", upstream="03_say", process=_square, finish=_total)
ALSO = ArticleStage(name="also", folder="05_also", upstream="02_halve", process=_square)
OWN = (HALVE, SAY, SQUARE, ALSO)


def listed(out: Path, n: int = 300) -> None:
    run_article_stage(LISTED, out, items=[{"id": f"a{i:04d}", "source": f"a{i}", "n": i} for i in range(n)],
                      progress=False, warn=quiet)


def test_chains_stop_at_a_reduce_and_take_branches():
    after = ArticleStage(name="after", folder="06_after", upstream="04_square", process=_square)
    groups = chains([LISTED, *OWN, after])
    assert [[s.name for s in g] for g in groups] == [["listed"], ["halve", "say", "square", "also"], ["after"]]


@pytest.mark.parametrize("jobs", [1, 2])
def test_own_stages_fused_are_their_bytes_one_by_one(tmp_path, jobs):
    listed(tmp_path / "alone")
    alone = {s.name: run_article_stage(s, tmp_path / "alone", progress=False, warn=quiet) for s in OWN}
    listed(tmp_path / "fused")
    together = run_chain(OWN, tmp_path / "fused", jobs=jobs, progress=False, warn=quiet)
    assert files(tmp_path / "fused") == files(tmp_path / "alone")
    assert together == alone
    assert together["halve"]["counts"] == {"input": 300, "done": 257, "skipped": 43, "warnings": 0}
    assert together["say"]["counts"] == {"input": 257, "done": 257, "skipped": 0, "warnings": 51}
    assert (tmp_path / "fused" / "04_square" / "total.json").is_file()


def test_a_chain_checks_its_order():
    with pytest.raises(ValueError, match="not earlier in the chain"):
        run_chain((SAY, HALVE), Path("nowhere"))


def test_an_interrupted_pass_leaves_no_stage_looking_finished(tmp_path, monkeypatch):
    listed(tmp_path)
    run_chain(OWN, tmp_path, progress=False, warn=quiet)
    assert all((tmp_path / s.folder / MANIFEST).is_file() for s in OWN)
    monkeypatch.setitem(STOP, "at", 250)  # late in the input: earlier ranges are written already
    with pytest.raises(KeyboardInterrupt):
        run_chain(OWN, tmp_path, jobs=1, use_cache=False, progress=False, warn=quiet)  # computed, not cached
    for stage in OWN:
        assert not (tmp_path / stage.folder / MANIFEST).exists(), stage.name
        assert not (tmp_path / stage.folder / "articles.jsonl").exists(), stage.name
        assert not [p for p in (tmp_path / stage.folder).iterdir() if p.name.startswith(".parts")]
