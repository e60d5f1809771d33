"""The runner through its public interface: executors give the same bytes, the cache, skips,
worker errors and the books of a stage run."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline import records
from pipeline.runner import (ArticleStage, Cache, Result, Skip, Skipped, map_ranges, read_range, run_article_stage)


def quiet(message: str) -> None:
    pass


# Stage functions live at module level: Dask pickles them.

def _square(record: dict, resources) -> dict:
    n = record["n"]
    if n % 10 == 3:
        raise Skip("ends in 3")
    if n % 10 == 7:
        raise ValueError(f"no sevens ({n})")
    out = {"id": record["id"], "source": record["source"], "square": n * n, "pid": 0}
    if n % 10 == 5:
        out["warnings"] = [f"{n} ends in 5"]
    return out


def _plus_one(record: dict, resources) -> dict:
    return {**record, "square": record["square"] + 1}


LISTED = ArticleStage(name="listed", folder="01_listed", upstream=None, process=_square)
FOLLOWING = ArticleStage(name="following", folder="02_following", upstream="01_listed", process=_plus_one)


def items(n: int) -> list:
    """``n`` inputs: every 50th one known bad before the stage sees it (as ingest's bad files)."""
    return [Skipped(f"a{i:04d}", f"a{i}.txt", "unreadable") if i % 50 == 49 else
            {"id": f"a{i:04d}", "source": f"a{i}.txt", "n": i, "_path": f"/somewhere/{i}"} for i in range(n)]


def run_both(out: Path, n: int = 300, **kwargs) -> tuple[dict, dict]:
    first = run_article_stage(LISTED, out, items=items(n), progress=False, warn=quiet, **kwargs)
    return first, run_article_stage(FOLLOWING, out, progress=False, warn=quiet, **kwargs)


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_the_books_count_inputs_skips_warnings_and_worker_errors(tmp_path):
    first, following = run_both(tmp_path, 300)
    assert first["counts"] == {"input": 300, "done": 300 - 6 - 30 - 30, "skipped": 66, "warnings": 30}
    reasons = {s["id"]: s["reason"] for s in first["skipped"]}
    assert reasons["a0049"] == "unreadable"
    assert reasons["a0013"] == "ends in 3"
    assert reasons["a0017"] == "listed failed: ValueError: no sevens (17)"  # the run goes on
    assert first["warnings"][0] == {"id": "a0005", "source": "a5.txt", "warning": "5 ends in 5"}
    assert following["counts"] == {"input": 234, "done": 234, "skipped": 0, "warnings": 30}
    lines = (tmp_path / "02_following" / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["square"] for line in lines[:4]] == [1, 2, 5, 17]  # input order
    assert not [p for p in (tmp_path / "01_listed").iterdir() if p.name.startswith(".parts")]


def test_serial_and_a_process_pool_write_the_same_bytes(tmp_path):
    run_both(tmp_path / "serial", jobs=1)
    run_both(tmp_path / "pool", jobs=2)
    assert files(tmp_path / "pool") == files(tmp_path / "serial")


@pytest.mark.slow
@pytest.mark.parametrize("shared", [True, False])
def test_dask_writes_the_serial_bytes_whether_or_not_workers_see_the_files(tmp_path, monkeypatch, shared):
    from dask.distributed import Client, LocalCluster

    from pipeline.runner import executors

    if not shared:  # the records travel with the tasks; the parent keeps the cache
        monkeypatch.setattr(executors.Dask, "sees", lambda self, path: False)
    run_both(tmp_path / "serial", 300, jobs=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        run_both(tmp_path / "dask", 300, client=client)
        assert files(tmp_path / "dask") == files(tmp_path / "serial")
        again = run_both(tmp_path / "dask", 300, client=client)
    assert [m["cache_hits"] for m in again] == [300 - 6, 234]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_cache_answers_what_it_has_seen_and_computes_the_rest(tmp_path, jobs):
    first, _ = run_both(tmp_path, 200, jobs=jobs)
    assert first["cache_hits"] == 0
    again, following = run_both(tmp_path, 200, jobs=jobs)
    assert again["cache_hits"] == 200 - 4  # every article but the ones known bad beforehand
    assert following["cache_hits"] == following["counts"]["done"]
    changed = items(200)
    changed[0] = {**changed[0], "n": 1000}
    changed[1] = {**changed[1], "_path": "/elsewhere/1"}  # a local path is not part of the key
    manifest = run_article_stage(LISTED, tmp_path, items=changed, jobs=jobs, progress=False, warn=quiet)
    assert manifest["cache_hits"] == 200 - 4 - 1
    assert (tmp_path / "01_listed" / "articles.jsonl").read_text(encoding="utf-8").startswith(
        '{"id":"a0000","source":"a0.txt","square":1000000')


def test_without_the_cache_nothing_is_stored(tmp_path):
    run_both(tmp_path, 100, use_cache=False)
    assert not (tmp_path / ".cache").exists()
    assert run_both(tmp_path, 100)[0]["cache_hits"] == 0


def _unwritable(record, resources):
    return {"id": record["id"], "source": record["source"], "text": record["text"], "big": 1 << 70}


def test_an_output_record_that_cannot_be_written_skips_its_article(tmp_path):
    """Serialising is part of the article's work: a lone surrogate (not UTF-8) skips that
    article with the reason; an integer beyond 64 bits goes through the json fallback."""
    stage = ArticleStage(name="unwritable", folder="unwritable", upstream=None, process=_unwritable)
    given = [{"id": "a", "source": "a.txt", "text": "好"}, {"id": "b", "source": "b.txt", "text": "坏\ud800"}]
    manifest = run_article_stage(stage, tmp_path, items=given, progress=False, warn=quiet)
    assert [json.loads(line) for line in (tmp_path / "unwritable" / "articles.jsonl").read_text().splitlines()] == [
        {"id": "a", "source": "a.txt", "text": "好", "big": 1 << 70}]
    [skip] = manifest["skipped"]
    assert skip["id"] == "b" and "UnicodeEncodeError" in skip["reason"]


class _Tables:
    warmed = False


def _load_tables(params) -> _Tables:
    return _Tables()


WARMED: list = []


def _warm(tables: _Tables) -> None:
    WARMED.append(os.getpid())
    tables.warmed = True


def _report_warm(record, tables: _Tables) -> dict:
    return {"id": record["id"], "source": record["source"], "warmed": tables.warmed}


def test_resources_are_warmed_once_before_the_workers_start(tmp_path):
    """``warm`` builds what resources would build lazily, once, in the parent: forked workers share it."""
    stage = ArticleStage(name="warm", folder="warm", upstream=None, process=_report_warm,
                         load_resources=_load_tables, warm=_warm)
    given = [{"id": f"a{i}", "source": f"a{i}", "n": i} for i in range(200)]
    WARMED.clear()
    run_article_stage(stage, tmp_path, items=given, jobs=2, use_cache=False, progress=False, warn=quiet)
    assert WARMED == [os.getpid()]
    assert all(r["warmed"] for r in records.read_jsonl(tmp_path / "warm" / "articles.jsonl"))


def _count_range(path: Path, start: int, end: int, shared: int) -> tuple[int, int]:
    rows = list(read_range(path, start, end))
    return len(rows), sum(r["n"] * shared for r in rows)


def test_a_reduce_gets_its_ranges_results_in_file_order_serial_or_pooled(tmp_path, monkeypatch):
    from pipeline.runner import ranges

    path = tmp_path / "rows.jsonl"
    path.write_text("".join(records.dumps({"n": i, "pad": "字" * 50}) + "\n" for i in range(2000)), encoding="utf-8")
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 10_000)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    serial = list(map_ranges(_count_range, path, jobs=1, shared=3))
    pooled = list(map_ranges(_count_range, path, jobs=2, shared=3))
    assert len(serial) > 10 and pooled == serial
    assert sum(n for n, _ in serial) == 2000 and sum(t for _, t in serial) == 3 * sum(range(2000))


def test_the_cache_keeps_results_exactly_and_a_damaged_entry_is_a_miss(tmp_path):
    cache = Cache(tmp_path / "stage.sqlite")
    ok = Result("a", "a.txt", warnings=("a warning",), line='{"id":"a","text":"第一行\\n第二行 \\"引号\\""}'.encode())
    skipped = Result("b", "b.txt", reason="empty file")
    cache.put_many([("k1", ok), ("k2", skipped)])
    assert cache.get_many(["k1", "k2", "k3"]) == {"k1": ok, "k2": skipped}
    with cache.db:
        cache.db.execute(f"UPDATE {Cache.TABLE} SET value = x'0001' WHERE key = 'k1'")
    assert cache.get_many(["k1", "k2"]) == {"k2": skipped}
    cache.close()


# ---------------------------------------------------------------- preloading a reduce's imports

PROBE = """
import os, sys, threading, time
IMPORTED_IN = (os.getpid(), threading.current_thread().name)
end = time.thread_time() + float(os.environ.get("PROBE_BURN", "0"))
while time.thread_time() < end:  # CPU, as an import's work
    pass
"""


def _probed(record: dict, resources) -> dict:
    import sys

    return {"id": record["id"], "source": record["source"], "seen": any(m.startswith("probe_") for m in sys.modules)}


@pytest.mark.parametrize("chained", [False, True])
def test_a_reduces_imports_are_made_in_the_parent_while_the_workers_map(tmp_path, monkeypatch, chained):
    """``preload``'s modules are imported in a thread of the parent once the workers have forked
    (none of them sees the module), done by the time the stage returns; one that fails to import
    is left to the reduce."""
    import sys

    from pipeline.runner import run_chain

    name = f"probe_{'chain' if chained else 'alone'}"
    (tmp_path / f"{name}.py").write_text(PROBE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for loaded in [m for m in sys.modules if m.startswith("probe_")]:  # an earlier test's
        monkeypatch.delitem(sys.modules, loaded)
    listed = ArticleStage(name="listed", folder="01_listed", upstream=None, process=_square)
    run_article_stage(listed, tmp_path, items=items(400), progress=False, warn=quiet, use_cache=False)
    stage = ArticleStage(name="probed", folder="02_probed", upstream="01_listed", process=_probed,
                         preload=lambda params: (name, "probe_missing_module"))
    if chained:
        run_chain([stage], tmp_path, jobs=2, use_cache=False, progress=False, warn=quiet)
    else:
        run_article_stage(stage, tmp_path, jobs=2, use_cache=False, progress=False, warn=quiet)
    assert sys.modules[name].IMPORTED_IN == (os.getpid(), "preload")
    seen = [r["seen"] for r in records.read_jsonl(tmp_path / "02_probed" / "articles.jsonl")]
    assert len(seen) > 300 and not any(seen)


def test_preload_tells_the_import_cpu_that_outlasted_the_maps(tmp_path, monkeypatch):
    import sys

    from pipeline.runner.preload import Preload

    (tmp_path / "probe_burn.py").write_text(PROBE, encoding="utf-8")
    (tmp_path / "probe_burn2.py").write_text(PROBE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PROBE_BURN", "0.3")
    late = Preload(["probe_burn"])
    late.start()
    late.join()  # at once: most of the import comes after the "maps"
    assert late.cpu >= 0.3 and late.after > 0.2
    early = Preload(["probe_burn2"])
    early.start()
    early.thread.join()  # done before the "maps" end
    early.join()
    assert early.cpu >= 0.3 and early.after == 0.0
    for name in ("probe_burn", "probe_burn2"):
        sys.modules.pop(name, None)
    idle = Preload([])
    idle.start()
    idle.join()
    assert idle.thread is None and idle.cpu == idle.after == 0.0


LOADS: list = []


def _load_recorded(params) -> dict:
    import threading

    LOADS.append((os.getpid(), threading.current_thread().name))
    if params.get("fail"):
        raise OSError("no such table")
    return {"offset": 1000}


def _offset(record: dict, resources) -> dict:
    return {**record, "square": record["square"] + resources["offset"]}


def test_the_next_stages_resources_are_loaded_while_the_workers_map(tmp_path):
    """``warm_ahead``: while one stage's workers map, the parent loads the resources of stages that
    run after it in this process, in the preload thread; they find them loaded. A load that fails
    there is left to its stage, which loads again (and would say why)."""
    following = ArticleStage(name="offset", folder="02_offset", upstream="01_listed", process=_offset,
                             load_resources=_load_recorded)
    LOADS.clear()
    run_article_stage(LISTED, tmp_path, items=items(400), jobs=2, use_cache=False, progress=False, warn=quiet,
                      warm_ahead=[following])
    assert LOADS == [(os.getpid(), "preload")]
    run_article_stage(following, tmp_path, jobs=2, use_cache=False, progress=False, warn=quiet)
    assert LOADS == [(os.getpid(), "preload")]  # not loaded again, here or in the workers
    rows = list(records.read_jsonl(tmp_path / "02_offset" / "articles.jsonl"))
    assert len(rows) > 300 and all(r["square"] == int(r["id"][1:]) ** 2 + 1000 for r in rows)

    failing = ArticleStage(name="failing", folder="03_failing", upstream="01_listed", process=_offset,
                           load_resources=_load_recorded, params={"fail": True})
    LOADS.clear()
    run_article_stage(LISTED, tmp_path / "again", items=items(400), jobs=2, use_cache=False, progress=False,
                      warn=quiet, warm_ahead=[failing])
    assert LOADS == [(os.getpid(), "preload")]
    with pytest.raises(OSError, match="no such table"):
        run_article_stage(failing, tmp_path / "again", jobs=2, use_cache=False, progress=False, warn=quiet)
    assert LOADS[1:] == [(os.getpid(), "MainThread")]


class _CountedParams(dict):
    """Params that count how often a stage's fields are compared."""
    compared = 0

    def __eq__(self, other):
        _CountedParams.compared += 1
        return dict.__eq__(self, other)

    __hash__ = None


def test_resources_loaded_for_an_equal_stage_serve_the_next_one_by_identity():
    """The stage loaded ahead and the one the pass runs are equal, not the same object: they are compared once,
    not once per article."""
    from dataclasses import replace

    from pipeline.runner.article import forget_resources, resources

    ahead = ArticleStage(name="counted", folder="02_counted", upstream="01_listed", process=_offset,
                         load_resources=_load_recorded, params=_CountedParams(n=1))
    running = replace(ahead, params=_CountedParams(n=1))
    forget_resources()
    LOADS.clear()
    first = resources(ahead)
    _CountedParams.compared = 0
    assert all(resources(running) is first for _ in range(5))
    assert _CountedParams.compared == 1 and len(LOADS) == 1
    forget_resources()


def test_a_run_loads_the_fused_passs_resources_during_ingest_except_strips():
    """Strip's configuration reads what ingest's reduce finds (the recurring lines): never ahead."""
    from pipeline import run, story

    ahead = run.stages_to_warm([("strip", "normalize", "segment", "sentiment"), ("plots",)], story.DEFAULT)
    assert [s.name for s in ahead] == ["normalize", "segment", "sentiment"]
    assert ahead[2] == run.configured("sentiment", story.DEFAULT, Path("/nowhere"))  # what the chain will ask for


# ---------------------------------------------------------------- the cache key's code


def test_the_cache_key_holds_every_module_a_stage_imports(tmp_path):
    """A stage's fingerprint hashes its own files and every module of the package they import, directly,
    inside a function or through one another (session 13: the sentiment stage's key left out the learned
    model's code and weights, so a refit under the same settings would have kept the old scores)."""
    from pipeline import sentiment, stages
    from pipeline.runner.fingerprint import code_closure, fingerprint

    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "stage.py").write_text("from . import a as ay, b\nfrom .sub import deep\n\ndef f():\n"
                                  "    from .lazy import g\n    from .c import (\n        h,\n        i,\n    )\n",
                                  encoding="utf-8")
    for name, text in {"a.py": "from .d import x\n", "b.py": "", "lazy.py": "", "c.py": "", "d.py": "",
                       "unused.py": "", "sub/__init__.py": "", "sub/deep.py": "from .. import b\n"}.items():
        (pkg / name).write_text(text, encoding="utf-8")
    found = {p.relative_to(pkg.resolve()).as_posix() for p in code_closure([pkg / "stage.py"])}
    assert found == {"stage.py", "a.py", "b.py", "d.py", "lazy.py", "c.py", "sub/__init__.py", "sub/deep.py"}
    fp = fingerprint(sentiment.STAGE)
    assert {"sentiment_model.py", "memo.py"} <= set(fp["code"])
    assert {"sentiment_model.tsv", "sentiment_target_model.tsv"} <= set(fp["resources"])
    for name in stages.ORDER:  # each stage's key names its own module
        stage = stages.module(name).STAGE
        assert Path(stages.module(name).__file__).name in fingerprint(stage)["code"]
