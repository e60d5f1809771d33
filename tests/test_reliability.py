"""Bad input, odd file names, interrupted runs and determinism, end to end."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pipeline import records, stages
from pipeline.config import ROOT, SEEDS
from pipeline.run import run_ingest, run_pipeline


def quiet(msg):
    pass


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("[0-9]*.txt"))]


def make_corpus(path: Path, n: int) -> Path:
    """``n`` distinct articles built from the seeds' paragraphs, as one JSONL corpus."""
    paragraphs = [ln for t in seed_texts() for ln in t.split("\n") if len(ln) > 30]
    outlets = ["甲报", "乙网", "丙周刊", ""]
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            body = "\n".join(paragraphs[(i * 7 + k * 3) % len(paragraphs)] for k in range(12))
            fh.write(json.dumps({"id": f"a{i:04d}", "outlet": outlets[i % 4], "text": body}, ensure_ascii=False) + "\n")
    return path


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every output file under root but the cache and scratch files."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.parts and not p.name.startswith(".")}


# ------------------------------------------------------------- names and metadata

ODD_NAMES = ["with space.txt", "中文名稱.txt", "quote'and\"double.txt", "-leading-dash.txt", "--rf.txt"]


def test_odd_file_names_are_ingested_with_safe_ids(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ODD_NAMES:
        (folder / name).write_text("一篇很普通的文章。", encoding="utf-8")
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    arts = list(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert manifest["counts"]["done"] == len(ODD_NAMES)
    assert sorted(a["source"] for a in arts) == sorted(ODD_NAMES)
    ids = [a["id"] for a in arts]
    assert len(set(ids)) == len(ids)
    for id_ in ids:
        assert not id_.startswith("-") and "/" not in id_ and "'" not in id_ and '"' not in id_ and " " not in id_


def test_cli_accepts_paths_with_leading_dashes_and_spaces(tmp_path):
    folder = tmp_path / "-my corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("一篇很普通的文章。", encoding="utf-8")
    out = tmp_path / "out put"
    proc = subprocess.run([sys.executable, "-m", "pipeline", "ingest", f"--input={folder}", f"--output={out}",
                           "--jobs", "1"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert (out / "01_ingest" / "manifest.json").exists()


def test_duplicate_ids_are_renamed_and_reported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("第一篇。", encoding="utf-8")
    (folder / "a.html").write_text("<html><body><article><p>" + "第二篇文章的正文，足够长的一段话。" * 5
                                   + "</p></article></body></html>", encoding="utf-8")
    messages = []
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=messages.append)
    arts = list(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert sorted(a["id"] for a in arts) == ["a", "a~2"]
    assert manifest["counts"]["warnings"] == 1
    assert any("duplicate id 'a'" in m for m in messages)


@pytest.mark.parametrize("outlet", ["a/b", "../../etc", "<script>alert(1)</script>", "line\nbreak", "-rf"])
def test_hostile_outlet_names_stay_one_line_of_text(tmp_path, outlet):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.txt").write_text("正文。", encoding="utf-8")
    with open(folder / "metadata.csv", "w", encoding="utf-8", newline="") as fh:
        import csv
        csv.writer(fh).writerows([["file", "outlet"], ["x.txt", outlet]])
    run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    art = next(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert art["outlet"] == " ".join(outlet.split())
    assert "\n" not in art["outlet"]
    # outlet names reach file names only through safe_name
    name = records.safe_name(art["outlet"])
    assert "/" not in name and not name.startswith(".") and "<" not in name


def test_sidecar_cannot_point_outside_the_input_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (tmp_path / "secret.txt").write_text("秘密", encoding="utf-8")
    (folder / "a.txt").write_text("正文。", encoding="utf-8")
    (folder / "metadata.csv").write_text("file,outlet\n../secret.txt,x\na.txt,y\n", encoding="utf-8")
    messages = []
    run_ingest(folder, tmp_path / "out", progress=False, warn=messages.append)
    arts = list(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert [(a["source"], a["outlet"]) for a in arts] == [("a.txt", "y")]
    assert any("../secret.txt" in m for m in messages)


def test_html_scripts_and_styles_never_reach_the_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    body = "".join(f"<p>第{i}段正文，记者在现场看到了很多情况，并向有关方面求证了细节。</p>" for i in range(6))
    (folder / "p.html").write_text(
        "<html><head><style>body{color:red}</style><script>var x='脚本内容';</script></head>"
        f"<body><article>{body}<script>alert('注入')</script></article></body></html>", encoding="utf-8")
    run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    art = next(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert "第0段正文" in art["text"] and "第5段正文" in art["text"]
    for bad in ("脚本内容", "alert", "注入", "color:red", "<"):
        assert bad not in art["text"]


def test_a_50_mb_article_is_skipped_by_the_cap_not_read(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    big = folder / "huge.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: costs no disk, still 50 MB to stat
    (folder / "ok.txt").write_text("正文。", encoding="utf-8")
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    assert manifest["counts"] == {"input": 2, "done": 1, "skipped": 1, "warnings": 0}
    assert manifest["skipped"][0]["source"] == "huge.txt"
    assert "52,428,800 bytes, over the 20,971,520-byte cap" in manifest["skipped"][0]["reason"]


# ------------------------------------------------------------- determinism and interruption

def run_cli(input_path: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--input", str(input_path), "--output", str(out),
                             "--no-progress", *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", 160)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("reference")
    run_pipeline(corpus, out, jobs=1, use_cache=False, progress=False, warn=quiet, log=quiet)
    return tree_bytes(out)


def assert_manifests_hash_their_outputs(tree: dict[str, bytes]) -> None:
    import hashlib

    manifests = {path: json.loads(data) for path, data in tree.items() if path.endswith("/manifest.json")}
    assert len(manifests) == len(stages.available())
    for path, manifest in manifests.items():
        folder = path.rsplit("/", 1)[0]
        files = {p.split("/", 1)[1] for p in tree if p.startswith(folder + "/") and p != path}
        assert set(manifest["outputs"]) == files, folder
        for name, digest in manifest["outputs"].items():
            assert digest == hashlib.sha256(tree[f"{folder}/{name}"]).hexdigest(), f"{folder}/{name}"


def test_parallel_and_repeated_runs_are_byte_identical(corpus, reference, tmp_path):
    assert_manifests_hash_their_outputs(reference)  # articles.jsonl hashed as written, one process
    run_pipeline(corpus, tmp_path / "a", jobs=2, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(tmp_path / "a") == reference  # and as a pool's parts were appended
    # again over the same folder: everything from the cache
    run_pipeline(corpus, tmp_path / "a", jobs=2, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(tmp_path / "a") == reference


@pytest.mark.parametrize("jobs", [2, 4])
def test_figures_in_parts_and_the_early_report_give_the_serial_output(corpus, reference, tmp_path, monkeypatch,
                                                                      jobs):
    """With the size thresholds lowered, plots draws its parts side by side (two groups with
    2 jobs, four parts with 4) and the report reads the article stages while the figures
    are drawn: same bytes."""
    from pipeline import plots, run

    pids = tmp_path / "pids"
    pids.mkdir()
    figure = plots._figure

    def spying_figure(name, tables):  # looked up by _write_part in whichever process runs it
        (pids / f"{os.getpid()}-{name}").touch()
        return figure(name, tables)

    prepared = []
    prepare = run.prepare_corpus_stage

    def spying_prepare(stage, out_root):
        prepared.append(stage.name)
        return prepare(stage, out_root)

    monkeypatch.setattr(plots, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(plots, "_figure", spying_figure)
    monkeypatch.setattr(run, "OVERLAP_MIN_BYTES", 0)
    monkeypatch.setattr(run, "prepare_corpus_stage", spying_prepare)
    run_pipeline(corpus, tmp_path / "out", jobs=jobs, use_cache=False, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(tmp_path / "out") == reference
    assert prepared == ["report"]  # prepared early, in this process
    drawn_by = {name.split("-", 1)[1]: int(name.split("-", 1)[0]) for name in os.listdir(pids)}
    assert set(drawn_by) == set(plots.FIGURES)
    parts = plots.split(jobs)
    assert len(parts) == min(jobs, 4)
    pid_of_part = [{drawn_by[name] for name in part if name in drawn_by} for part in parts]
    assert all(len(pids) == 1 for pids in pid_of_part)  # each part in one process,
    used = set().union(*pid_of_part)
    assert len(used) == len(parts) and os.getpid() not in used  # one each, none of them this one


def test_seed_runs_are_byte_identical(seed_outputs, tmp_path):
    run_pipeline(SEEDS, tmp_path / "again", jobs=1, use_cache=False, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(tmp_path / "again") == tree_bytes(seed_outputs)


def folders_in_order() -> list[str]:
    return [stages.module(name).STAGE.folder for name in stages.available()]


def test_killed_in_every_stage_then_rerun_gives_the_uninterrupted_output(corpus, reference, tmp_path):
    """SIGKILL while each stage's folder exists without its manifest, then run again."""
    out = tmp_path / "out"
    killed_in = []
    orphans = set()
    for folder in folders_in_order():
        proc = run_cli(corpus, out, "--jobs", "2")
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if (out / folder).is_dir() and not (out / folder / "manifest.json").exists():
                try:
                    children = psutil.Process(proc.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    children = []
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                killed_in.append(folder)
                orphans.update(children)
                break
            time.sleep(0.002)
        else:
            proc.wait()
        # nothing unfinished may look finished: a folder without manifest is the only trace
        for other in folders_in_order():
            manifest = out / other / "manifest.json"
            if manifest.exists():
                json.loads(manifest.read_text(encoding="utf-8"))
    assert len(killed_in) >= len(folders_in_order()) // 2, f"could only interrupt {killed_in}"
    # workers and reduce children die with the run: none is left writing into the folders
    _, alive = psutil.wait_procs(list(orphans), timeout=10)
    assert not alive, f"processes outlived the killed run: {alive}"
    proc = run_cli(corpus, out, "--jobs", "2")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert tree_bytes(out) == reference


@pytest.mark.parametrize("shared", [True, False])
def test_dask_local_cluster_gives_the_local_output(corpus, reference, tmp_path, monkeypatch, shared):
    """Workers that share the output folder's file system read ranges of the upstream records
    and write their parts themselves (no record travels through the scheduler); workers that do
    not see it get the records shipped. The same bytes either way, and a second run takes every
    article from the cache the first one filled."""
    from pipeline import stage as stage_module

    ranged = []
    real = stage_module._range_results

    def spy(stage, tasks, *, jobs, client):
        ranged.append((stage.name, client is not None))
        return real(stage, tasks, jobs=jobs, client=client)

    monkeypatch.setattr(stage_module, "_range_results", spy)
    if not shared:
        monkeypatch.setattr(stage_module, "workers_see", lambda client, path: False)
    out = tmp_path / "dask"
    run_pipeline(corpus, out, jobs=2, dask=True, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(out) == reference
    per_article = ["strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing"]
    assert sorted(ranged) == (sorted((name, True) for name in per_article) if shared else [])
    manifests = run_pipeline(corpus, out, jobs=2, dask=True, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(out) == reference
    for name in ["ingest", *per_article]:
        assert manifests[name]["cache_hits"] == manifests[name]["counts"]["done"] > 0, name


@pytest.mark.parametrize("jobs", [1, 2])  # 2: workers look up and fill the cache themselves
def test_adding_one_article_recomputes_only_that_article(corpus, tmp_path, jobs):
    out = tmp_path / "out"
    grown = tmp_path / "corpus.jsonl"
    grown.write_bytes(corpus.read_bytes())
    story = SEEDS / "story.toml"  # the seeds' frames, with a finance frame
    run_pipeline(grown, out, jobs=jobs, progress=False, warn=quiet, log=quiet, story=story)
    n = sum(1 for _ in open(grown, encoding="utf-8"))
    with open(grown, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "new-one", "outlet": "丁报", "text": "智谱宣布完成新一轮融资，估值继续上升。"},
                            ensure_ascii=False) + "\n")
    manifests = run_pipeline(grown, out, jobs=jobs, progress=False, warn=quiet, log=quiet, story=story)
    per_article = [name for name, m in manifests.items() if "cache_hits" in m]
    # keywords and framing map each article to counts (cached like any per-article work) ...
    assert {"ingest", "strip", "normalize", "segment", "sentiment", "keywords", "framing"} <= set(per_article)
    for name in per_article:
        assert manifests[name]["counts"]["done"] == n + 1, name
        assert manifests[name]["cache_hits"] == n, name  # everything but the new article came from the cache
    # ... and reduce those counts: the corpus-level tables include the new article and its outlet
    assert manifests["keywords"]["totals"]["articles"] == n + 1
    assert "丁报" in manifests["keywords"]["outlets"]
    by_outlet = (out / "07_framing" / "frames_by_outlet.csv").read_text(encoding="utf-8")
    assert "\n丁报,finance," in by_outlet


def test_each_warning_is_reported_once_by_the_stage_that_raised_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("第一篇正文，讲述一件事情的来龙去脉。", encoding="utf-8")
    (folder / "a.md").write_text("同名的第二篇正文，讲述另一件事情。", encoding="utf-8")  # duplicate id: an ingest warning
    manifests = run_pipeline(folder, tmp_path / "out", only=("ingest", "strip", "normalize"), progress=False,
                             warn=quiet, log=quiet)
    assert manifests["ingest"]["counts"]["warnings"] == 1
    assert manifests["strip"]["counts"]["warnings"] == 0 and manifests["normalize"]["counts"]["warnings"] == 0


def test_cache_keeps_results_exactly_and_a_damaged_entry_is_a_miss(tmp_path):
    from pipeline.stage import Cache

    cache = Cache(tmp_path / "stage.sqlite")
    ok = ("ok", '{"id":"a","text":"第一行\\n第二行 \\"引号\\""}'.encode("utf-8"), "a", "a.txt", ["a warning"])
    skipped = ("skip", "empty file", "b", "b.txt", [])
    cache.put_many([("k1", ok), ("k2", skipped), (None, ok)])
    assert cache.get_many(["k1", "k2", "k3"]) == {"k1": ok, "k2": skipped}
    with cache.db:
        cache.db.execute(f"UPDATE {Cache.TABLE} SET value = x'0001' WHERE key = 'k1'")
    assert cache.get_many(["k1", "k2"]) == {"k2": skipped}
    cache.close()


def _double(record, resources):
    return {"id": record["id"], "source": record["source"], "value": record["value"] * 2, "pid": os.getpid()}


def test_light_items_stay_in_the_parent_and_the_order_is_kept(tmp_path):
    """Items a stage calls light are processed in the parent, the others by the pool; the
    results come back in input order either way."""
    from pipeline.stage import ArticleStage, _Executor

    stage = ArticleStage(name="double", folder="double", upstream=None, process=_double,
                         light=lambda item: item["value"] % 3 == 0)
    items = [{"id": f"a{i}", "source": f"a{i}.txt", "value": i} for i in range(300)]
    executor = _Executor(stage, 2, tmp_path)
    try:
        results = list(executor.map(items))
    finally:
        executor.close()
    out = [json.loads(payload) for _, payload, *_ in results]
    assert [r["value"] for r in out] == [2 * i for i in range(300)]
    in_parent = {r["value"] // 2 for r in out if r["pid"] == os.getpid()}
    assert in_parent == {i for i in range(300) if i % 3 == 0}
    assert not list(tmp_path.iterdir())  # the part files are gone


def test_the_next_batch_is_handed_out_before_this_ones_results_are_collected(tmp_path, monkeypatch):
    """While the workers work on one batch, the parent reads the next and hands it to them, so
    they never wait while it reads; the output is still the serial run's, in input order."""
    from pipeline import stage as stage_mod

    corpus = make_corpus(tmp_path / "corpus.jsonl", 100)
    run_ingest(corpus, tmp_path / "serial", jobs=1, use_cache=False, progress=False, warn=quiet)
    monkeypatch.setattr(stage_mod, "BATCH", 16)
    monkeypatch.setattr(stage_mod, "SERIAL_BELOW", 4)  # each batch goes to the pool
    events: list[tuple[str, int]] = []
    real_map = stage_mod._Executor.map

    def spy_map(self, items):
        n = sum(kind == "submit" for kind, _ in events)
        events.append(("submit", n))
        answers = real_map(self, items)
        assert self.pool is not None

        def watched():
            events.append(("collect", n))
            yield from answers
        return watched()

    monkeypatch.setattr(stage_mod._Executor, "map", spy_map)
    run_ingest(corpus, tmp_path / "pooled", jobs=2, use_cache=False, progress=False, warn=quiet)
    assert tree_bytes(tmp_path / "pooled") == tree_bytes(tmp_path / "serial")
    n = -(-100 // 16)  # batches
    assert events == [("submit", 0), *[e for k in range(1, n) for e in (("submit", k), ("collect", k - 1))],
                      ("collect", n - 1)]


def test_dumpb_is_dumps_in_bytes_that_hold_only_their_size():
    """The runner keeps a batch of output lines: each must hold its own length, not orjson's
    spare room (measured with tracemalloc, which counts every allocation)."""
    import tracemalloc

    from pipeline import records

    objs = [{"id": f"a{i}", "text": "智谱裁员与上市：" * (i % 9 + 1), "n": 1 << 70 if i == 7 else i} for i in range(200)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        lines = [records.dumpb(o) for o in objs]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert [line.decode("utf-8") for line in lines] == [records.dumps(o) for o in objs]
    assert held < 2 * sum(map(len, lines)) + 200 * 64, (held, sum(map(len, lines)))


def _unwritable(record, resources):
    return {"id": record["id"], "source": record["source"], "text": record["text"], "big": 1 << 70}


def test_an_output_record_that_cannot_be_written_skips_its_article(tmp_path):
    """Serialising is part of the article's work: a lone surrogate (not UTF-8) skips that
    article with the reason; an integer beyond 64 bits goes through the json fallback."""
    from pipeline.stage import ArticleStage, _Executor

    stage = ArticleStage(name="unwritable", folder="unwritable", upstream=None, process=_unwritable)
    items = [{"id": "a", "source": "a.txt", "text": "好"}, {"id": "b", "source": "b.txt", "text": "坏\ud800"}]
    executor = _Executor(stage, 1, tmp_path)
    try:
        (status_a, line, *_), (status_b, reason, *_) = executor.map(items)
    finally:
        executor.close()
    assert status_a == "ok" and json.loads(line) == {"id": "a", "source": "a.txt", "text": "好", "big": 1 << 70}
    assert status_b == "skip" and "UnicodeEncodeError" in reason


def test_the_cache_keeps_one_version_of_each_stage(tmp_path):
    """A changed parameter (or lexicon, or code) makes a new version of a stage's results;
    once the stage has run, the old version's entries are gone, the new ones are reused."""
    import dataclasses
    import sqlite3

    from pipeline import strip
    from pipeline.stage import Cache, run_article_stage

    corpus = make_corpus(tmp_path / "corpus.jsonl", 80)  # over SERIAL_BELOW: 2 jobs start a pool
    out = tmp_path / "out"
    run_ingest(corpus, out, progress=False, warn=quiet)
    run_article_stage(strip.STAGE, out, progress=False, warn=quiet)
    def versions() -> list:
        db = sqlite3.connect(out / ".cache" / "strip.sqlite")
        try:
            return db.execute(f"SELECT version, count(*) FROM {Cache.TABLE} GROUP BY version").fetchall()
        finally:
            db.close()

    for jobs, probe in ((2, 1), (1, 2)):  # 2 jobs: the workers fill the cache, the parent prunes it
        changed = dataclasses.replace(strip.STAGE, params={**strip.STAGE.params, "probe": probe})
        manifest = run_article_stage(changed, out, jobs=jobs, progress=False, warn=quiet)
        assert manifest["cache_hits"] == 0
        rows = versions()
        assert len(rows) == 1 and rows[0][1] == manifest["counts"]["input"] == 80
    assert run_article_stage(changed, out, jobs=2, progress=False, warn=quiet)["cache_hits"] == 80
    assert versions() == rows
