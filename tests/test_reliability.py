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
    # Ctrl-C as a user's terminal has it, even where the tests were started with it ignored (a shell's
    # background job is): Python then keeps it ignored, and the run would not see the test's SIGINT.
    return subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--input", str(input_path), "--output", str(out),
                             "--no-progress", *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


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
    assert len(manifests) == len(stages.available()) + 1  # every stage's folder, and tables/ (Parquet)
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
    """With the size thresholds lowered, plots draws its figures side by side (one task each, in
    up to ``jobs`` workers) and the report reads the article stages while the figures
    are drawn: same bytes."""
    from pipeline import plots, run

    pids = tmp_path / "pids"
    pids.mkdir()
    figure = plots._figure

    def spying_figure(name, tables):  # looked up by _write_task in whichever process runs it
        (pids / f"{os.getpid()}-{name}").touch()
        return figure(name, tables)

    prepared = []
    prepare = run.prepare_corpus_stage

    def spying_prepare(stage, out_root, **kwargs):
        prepared.append(stage.name)
        return prepare(stage, out_root, **kwargs)

    monkeypatch.setattr(plots, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(plots, "_figure", spying_figure)
    monkeypatch.setattr(run, "OVERLAP_MIN_BYTES", 0)
    monkeypatch.setattr(run, "prepare_corpus_stage", spying_prepare)
    run_pipeline(corpus, tmp_path / "out", jobs=jobs, use_cache=False, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(tmp_path / "out") == reference
    assert prepared == ["report"]  # prepared early, in this process
    drawn_by = {name.split("-", 1)[1]: int(name.split("-", 1)[0]) for name in os.listdir(pids)}
    assert set(drawn_by) == set(plots.FIGURES)
    assert all(pid != os.getpid() for pid in drawn_by.values())  # every figure in a worker,
    assert 1 < len(set(drawn_by.values())) <= jobs  # in more than one, and no more than jobs


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
    not see it get the records shipped, and the parent keeps their cache. The same bytes either
    way, and a second run takes every article from the cache the first one filled."""
    from pipeline.runner import executors

    if not shared:
        monkeypatch.setattr(executors.Dask, "sees", lambda self, path: False)
    out = tmp_path / "dask"
    run_pipeline(corpus, out, jobs=2, dask=True, progress=False, warn=quiet, log=quiet)
    assert tree_bytes(out) == reference
    per_article = ["strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing"]
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
    by_outlet = (out / "07_framing" / "frames_by_outlet.csv").read_text(encoding="utf-8-sig")
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


def test_the_cache_keeps_one_version_of_each_stage(tmp_path):
    """A changed parameter (or lexicon, or code) makes a new version of a stage's results;
    once the stage has run, the old version's entries are gone, the new ones are reused."""
    import dataclasses
    import sqlite3

    from pipeline import strip
    from pipeline.runner import Cache, run_article_stage

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


# ------------------------------------------------------------- issue 18: hostile or unlucky users

def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=timeout)


def main_cli(capsys, *args: str) -> tuple[int, str]:
    """The command line in this process (no start-up cost): exit code and stderr."""
    from pipeline.__main__ import main

    code = main([*args, "--no-progress"] if args[0] != "sentiment-score" else list(args))
    return code, capsys.readouterr().err


def one_article_folder(tmp_path: Path, name: str = "in") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "a.txt").write_text("一篇很普通的文章，讲述一家公司的故事。", encoding="utf-8")
    return folder


def assert_one_clear_line(err: str) -> None:
    assert "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("error:")]) == 1, err


@pytest.mark.parametrize("folder", ["figures", "09_report", "02_strip"])
def test_1_files_the_user_owns_in_an_output_folder_are_never_deleted(tmp_path, capsys, folder):
    src = one_article_folder(tmp_path)
    out = tmp_path / "out"
    (out / folder).mkdir(parents=True)
    (out / folder / "thesis.docx").write_text("mine", encoding="utf-8")
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
    assert code != 0
    assert_one_clear_line(err)
    assert "did not write" in err and "--force" in err
    assert (out / folder / "thesis.docx").read_text(encoding="utf-8") == "mine"
    # --force lets the pipeline write beside the user's files at the top, never into their folder
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1", "--force")
    assert code != 0 and (out / folder / "thesis.docx").exists()


def test_1_a_non_empty_folder_the_pipeline_does_not_own_needs_force(tmp_path, capsys):
    src = one_article_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("my own report", encoding="utf-8")
    (out / "notes.txt").write_text("notes", encoding="utf-8")
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1",
                         "--no-cache")
    assert code != 0 and "--force" in err
    assert (out / "report.html").read_text(encoding="utf-8") == "my own report"
    code, err = main_cli(capsys, "strip", "--output", str(out), "--jobs", "1")
    assert code != 0 and (out / "notes.txt").exists()
    (out / "report.html").unlink()
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1", "--force")
    assert code == 0, err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "notes" and (out / "report.html").exists()
    # the folder is now the pipeline's: a second run needs no --force
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
    assert code == 0, err and (out / "notes.txt").exists()


def test_1_an_empty_output_path_is_rejected(tmp_path, capsys, monkeypatch):
    src = one_article_folder(tmp_path)
    monkeypatch.chdir(tmp_path)  # where "" would write, if it were taken
    with pytest.raises(SystemExit) as exc:
        main_cli(capsys, "run", "--input", str(src), "--output", "", "--jobs", "1")
    assert exc.value.code == 2


GBK_NAME = "中文名稱".encode("gbk") + b".txt"


def test_2_a_file_name_that_is_not_utf8_is_ingested(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), GBK_NAME), "w", encoding="utf-8") as fh:
        fh.write("一篇很普通的文章。")
    (folder / "b.txt").write_text("另一篇文章。", encoding="utf-8")
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    arts = list(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert manifest["counts"]["done"] == 2
    odd = next(a for a in arts if a["source"] != "b.txt")
    assert odd["source"] == "中文名稱.txt"
    assert any("not UTF-8" in w and "gb18030" in w for w in odd["warnings"])
    assert records.safe_name("bad\udcd6name")  # a lone surrogate never crashes safe_name


def test_2_chinese_file_names_ingest_under_the_c_locale(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "中文名稱.txt").write_text("一篇很普通的文章。", encoding="utf-8")
    out = tmp_path / "out"
    proc = cli("ingest", "--input", str(folder), "--output", str(out), "--jobs", "1", "--no-progress",
               env={"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"})
    assert proc.returncode == 0, proc.stderr
    art = next(records.read_jsonl(out / "01_ingest" / "articles.jsonl"))
    assert art["source"] == "中文名稱.txt" and art["id"] == "中文名稱"


def test_3_an_article_with_no_text_after_normalize_is_skipped_and_the_report_is_written(tmp_path):
    folder = one_article_folder(tmp_path)
    (folder / "bopomofo.txt").write_text("ㄅㄆㄇㄈ ㄉㄊㄋㄌ\nㄍㄎㄏ", encoding="utf-8")
    out = tmp_path / "out"
    manifests = run_pipeline(folder, out, jobs=1, progress=False, warn=quiet, log=quiet)
    skipped = {s["source"]: s["reason"] for s in manifests["normalize"]["skipped"]}
    assert "no text left after normalize" in skipped.get("bopomofo.txt", ""), manifests["normalize"]["skipped"]
    assert (out / "report.html").exists()
    for line in records.read_jsonl(out / "06_sentiment" / "articles.jsonl"):
        assert line["score"] is not None


def test_3_the_report_survives_null_fields(tmp_path):
    from pipeline import report

    assert report.fmt(None) == "–"
    assert report._score_class(None) == ""


@pytest.mark.parametrize("where", ["equal", "inside"])
def test_4_output_in_the_input_folder_is_refused(tmp_path, capsys, where):
    src = one_article_folder(tmp_path)
    out = src if where == "equal" else src / "results"
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
    assert code != 0 and "inside the input folder" in err
    assert_one_clear_line(err)
    assert sorted(p.name for p in src.iterdir()) == ["a.txt"]


def test_5_a_gzip_bomb_is_bounded_by_max_bytes_streaming(tmp_path):
    import gzip

    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(json.dumps({"id": "ok", "text": "正文一。"}, ensure_ascii=False).encode() + b"\n")
        fh.write(b'{"id": "big", "text": "' + b"a" * 300_000 + b'"}\n')
        fh.write(json.dumps({"id": "ok2", "text": "正文二。"}, ensure_ascii=False).encode() + b"\n")
    manifest = run_ingest(path, tmp_path / "out", max_bytes=100_000, progress=False, warn=quiet)
    assert manifest["counts"]["done"] == 2 and manifest["counts"]["skipped"] == 1
    assert "over the 100,000-byte cap" in manifest["skipped"][0]["reason"]
    assert manifest["skipped"][0]["source"] == "bomb.jsonl.gz#2"


def test_5_rows_are_read_without_holding_a_long_line(tmp_path, monkeypatch):
    from pipeline import ingest

    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"text": "' + b"b" * 50_000 + b'"}\n{"text": "x"}\n')
    reads = []
    real = ingest._bounded_lines

    def spy(raw, limit):
        for line in real(raw, limit):
            reads.append(len(line or b""))
            yield line
    monkeypatch.setattr(ingest, "_bounded_lines", spy)
    manifest = run_ingest(path, tmp_path / "out", max_bytes=1000, progress=False, warn=quiet)
    assert manifest["counts"] == {"input": 2, "done": 1, "skipped": 1, "warnings": 0}
    assert max(reads) <= 1001


def _patterns_in(obj, depth: int = 0) -> list:
    """Every compiled pattern in ``obj``: its fields, lists, tuples and dicts, a few levels down."""
    import dataclasses
    import re

    if isinstance(obj, re.Pattern):
        return [obj]
    if depth > 4:
        return []
    if isinstance(obj, dict):
        items = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        items = list(obj)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [getattr(obj, f.name) for f in dataclasses.fields(obj)]
    else:
        return []
    return [p for item in items for p in _patterns_in(item, depth + 1)]


def _regexes_of(module) -> list:
    """The module's patterns, and those its rule files compile to (strip, normalize)."""
    found = _patterns_in([v for v in vars(module).values() if not isinstance(v, type)])
    if hasattr(module, "load_rules"):
        found += _patterns_in(module.load_rules())
    return found


@pytest.mark.parametrize("name", ["ingest", "strip", "normalize", "segment", "keywords", "sentiment", "framing",
                                  "report", "records"])
def test_6_every_stage_regex_is_fast_on_long_runs(name):
    import importlib

    module = importlib.import_module(f"pipeline.{name}")
    runs = ["a" * 20_000, "a1" * 10_000, "a-" * 10_000, "文" * 20_000, " " * 20_000, "(" * 20_000,
            "<" * 20_000, "a." * 10_000, "1" * 20_000, "文/" * 10_000, "ü" * 20_000, "!" * 20_000]
    for pattern in _regexes_of(module):
        for run in runs:
            run = run.encode("utf-8") if isinstance(pattern.pattern, bytes) else run
            start = time.perf_counter()
            pattern.search(run)
            pattern.match(run)
            took = time.perf_counter() - start
            assert took < 0.5, f"{name}: {pattern.pattern!r} took {took:.2f} s on {run[:4]!r}…"


def test_6_model_stem_is_linear():
    from pipeline.framing import model_stem

    start = time.perf_counter()
    assert model_stem("a" * 100_000) is None
    assert model_stem("glm" + "a" * 50_000 + "4") == "glm" + "a" * 50_000
    assert time.perf_counter() - start < 0.5
    assert model_stem("glm-4.5") == "glm" and model_stem("qwen2.5") == "qwen" and model_stem("glm") is None


def test_7_and_17_odd_entries_of_the_input_folder_are_skipped_with_a_reason(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("秘密的内容。", encoding="utf-8")
    folder = one_article_folder(tmp_path)
    (folder / "link_out.txt").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("外面的文章。", encoding="utf-8")
    (folder / "linked_dir").symlink_to(tmp_path / "elsewhere")
    (folder / "link_in.txt").symlink_to(folder / "a.txt")
    messages = []
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=messages.append)
    arts = list(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert sorted(a["source"] for a in arts) == ["a.txt", "link_in.txt"]
    assert all("秘密" not in a["text"] for a in arts)
    reasons = {s["source"]: s["reason"] for s in manifest["skipped"]}
    assert "outside the input folder" in reasons["link_out.txt"]
    assert "dangling" in reasons["dangling.txt"]
    assert "loop" in reasons["loop.txt"]
    assert "FIFO" in reasons["pipe.txt"]
    assert "symlinked folder" in reasons["linked_dir"]
    assert len(messages) == 5 and manifest["counts"]["skipped"] == 5


def test_17_an_unreadable_sub_folder_is_reported(tmp_path, monkeypatch):
    folder = one_article_folder(tmp_path)
    (folder / "locked").mkdir()
    (folder / "locked" / "x.txt").write_text("文章。", encoding="utf-8")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)
    monkeypatch.setattr(os, "scandir", scandir)
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    reasons = {s["source"]: s["reason"] for s in manifest["skipped"]}
    assert "unreadable folder" in reasons["locked"] and "Permission denied" in reasons["locked"]


def test_8_a_damaged_cache_file_is_moved_aside_and_rebuilt(tmp_path):
    folder = one_article_folder(tmp_path)
    out = tmp_path / "out"
    run_ingest(folder, out, progress=False, warn=quiet)
    db = out / ".cache" / "ingest.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    messages = []
    manifest = run_ingest(folder, out, progress=False, warn=messages.append)
    assert manifest["counts"]["done"] == 1
    assert any("damaged" in m and "moved" in m for m in messages), messages
    assert list((out / ".cache").glob("ingest.sqlite.damaged*"))
    assert run_ingest(folder, out, progress=False, warn=quiet)["cache_hits"] == 1


def test_8_a_truncated_cache_file_is_moved_aside(tmp_path):
    from pipeline.runner import Cache, Result

    cache = Cache(tmp_path / "s.sqlite")
    cache.put_many([(f"k{i}", Result("a", "a", reason="x" * 5000 + str(i))) for i in range(200)])
    cache.close()
    data = (tmp_path / "s.sqlite").read_bytes()
    (tmp_path / "s.sqlite").write_bytes(data[: len(data) // 3])
    messages = []
    cache = Cache(tmp_path / "s.sqlite", warn=messages.append)
    assert cache.get_many([f"k{i}" for i in range(200)]) == {}
    assert len(messages) == 1 and "is damaged" in messages[0]
    new = Result("b", "b", reason="y")
    cache.put_many([("new", new)])
    assert cache.get_many(["new"]) == {"new": new}
    cache.close()
    assert len(list(tmp_path.glob("s.sqlite.damaged-*"))) == 1


def test_9_a_csv_field_over_131072_characters_drops_no_row(tmp_path):
    import csv as csvmod

    path = tmp_path / "c.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csvmod.writer(fh)
        w.writerow(["id", "text"])
        for i in range(50):
            w.writerow([f"r{i}", ("长" * 140_000) if i == 2 else f"第{i}篇正文。"])
    manifest = run_ingest(path, tmp_path / "out", progress=False, warn=quiet)
    assert manifest["counts"]["input"] == 50 and manifest["counts"]["done"] == 50


def test_9_a_csv_field_over_max_bytes_is_accounted_for(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,text\nr0,正文。\nr1," + "长" * 2000 + "\nr2,正文二。\n", encoding="utf-8")
    manifest = run_ingest(path, tmp_path / "out", max_bytes=1000, progress=False, warn=quiet)
    assert manifest["counts"]["done"] >= 1 and manifest["counts"]["skipped"] >= 1
    assert any("--max-bytes" in s["reason"] for s in manifest["skipped"])


def test_10_mis_encoded_jsonl_rows_are_repaired_or_skipped(tmp_path):
    path = tmp_path / "c.jsonl"
    good = json.dumps({"id": "u", "text": "正常的文章。"}, ensure_ascii=False).encode("utf-8")
    gbk = json.dumps({"id": "g", "text": "这是一篇用国标码存的文章。"}, ensure_ascii=False).encode("gb18030")
    junk = b'{"id": "j", "text": "\xff\xfe\xff\xfe\x80\x80\xff"}'
    path.write_bytes(good + b"\n" + gbk + b"\n" + junk + b"\n")
    manifest = run_ingest(path, tmp_path / "out", progress=False, warn=quiet)
    arts = {a["id"]: a for a in records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl")}
    assert arts["u"]["encoding"] == "utf-8"
    assert arts["g"]["text"] == "这是一篇用国标码存的文章。" and arts["g"]["encoding"] == "gb18030"
    assert any("not UTF-8" in w for w in arts["g"]["warnings"])
    assert [s["source"] for s in manifest["skipped"]] == ["c.jsonl#3"]
    assert "not valid UTF-8" in manifest["skipped"][0]["reason"]


def test_12_a_stage_run_alone_makes_later_stages_stale(seed_outputs, tmp_path, capsys):
    import shutil

    import pipeline

    out = tmp_path / "out"
    shutil.copytree(seed_outputs, out)
    src = one_article_folder(tmp_path)
    code, err = main_cli(capsys, "ingest", "--input", str(src), "--output", str(out), "--jobs", "1", "--force")
    assert code == 0, err
    assert "stale" in err and "02_strip" in err
    from pipeline import outdir
    assert outdir.up_to_date(src, out) is not None  # make pipeline runs again
    assert len(pipeline.load("ingest", out)) == 1
    with pytest.raises(pipeline.StaleOutput, match="02_strip"):
        pipeline.load("sentiment", out)
    code, err = main_cli(capsys, "sentiment", "--output", str(out), "--jobs", "1")
    assert code != 0 and "stale" in err
    assert (out / "06_sentiment" / "manifest.json").exists()  # inputs checked before outputs are touched


def test_13_csv_tables_neutralise_formulas(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, outlet in enumerate(["=HYPERLINK(\"http://x\")", "+cmd", "@SUM(1)"]):
        (folder / f"{i}.txt").write_text("公司裁员的消息传出以后，员工表示压力很大，市场也担心亏损扩大。" * 3,
                                         encoding="utf-8")
    with open(folder / "metadata.csv", "w", encoding="utf-8", newline="") as fh:
        import csv as csvmod
        w = csvmod.writer(fh)
        w.writerow(["file", "outlet", "title"])
        for i, outlet in enumerate(["=HYPERLINK(\"http://x\")", "+cmd", "@SUM(1)"]):
            w.writerow([f"{i}.txt", outlet, "-1+2"])
    out = tmp_path / "out"
    run_pipeline(folder, out, jobs=1, progress=False, warn=quiet, log=quiet)
    tables = list(out.rglob("*.csv"))
    assert len(tables) >= 5
    import csv as csvmod
    for table in tables:
        assert table.read_bytes().startswith(b"\xef\xbb\xbf"), table  # UTF-8 with a BOM, for Excel
        with open(table, encoding="utf-8-sig", newline="") as fh:
            for row in csvmod.reader(fh):
                for cell in row:
                    assert not cell[:1] in ("=", "+", "@") and not cell.startswith("-1+"), (table.name, cell)
    art = next(records.read_jsonl(out / "01_ingest" / "articles.jsonl"))
    assert art["outlet"] == '=HYPERLINK("http://x")'  # the records keep the text
    import pipeline
    assert set(pipeline.load("frames", out)["outlet"]) >= {'=HYPERLINK("http://x")', "+cmd", "@SUM(1)"}


@pytest.mark.parametrize("kind", ["binary", "huge field", "directory", "fifo", "unreadable"])
def test_14_a_bad_metadata_csv_is_ignored_with_a_warning(tmp_path, kind, monkeypatch):
    folder = one_article_folder(tmp_path)
    sidecar = folder / "metadata.csv"
    if kind == "binary":
        sidecar.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    elif kind == "huge field":
        sidecar.write_text('file,outlet\na.txt,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    elif kind == "directory":
        sidecar.mkdir()
    elif kind == "fifo":
        os.mkfifo(sidecar)
    else:
        sidecar.write_text("file,outlet\na.txt,x\n", encoding="utf-8")
        real = Path.read_bytes

        def read_bytes(self):
            if self.name == "metadata.csv":
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)
        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    messages = []
    manifest = run_ingest(folder, tmp_path / "out", max_bytes=100_000, progress=False, warn=messages.append)
    assert manifest["counts"]["done"] == 1
    assert any(m.startswith("metadata.csv") and "ignored" in m for m in messages), messages


def test_15_a_row_nested_100000_deep_is_skipped(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "正文。"}\n' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n" + "[" * 100_000 + "\n",
                    encoding="utf-8")
    manifest = run_ingest(path, tmp_path / "out", progress=False, warn=quiet)
    assert manifest["counts"]["done"] == 1 and manifest["counts"]["skipped"] == 2
    assert all("nested too deeply" in s["reason"] for s in manifest["skipped"])


def test_16_a_10_mb_inline_script_does_not_empty_the_page():
    from pipeline.ingest import extract_html

    body = "".join(f"<p>第{i}段正文，记者在现场看到了很多情况，并向有关方面求证了细节。</p>" for i in range(6))
    page = (f"<html><head><title>t</title></head><body><script>var x = '{'a' * 10_500_000}';</script>"
            f"<article>{body}</article></body></html>")
    text, _ = extract_html(page)
    assert "第0段正文" in text and "第5段正文" in text


def test_18_a_second_run_on_the_same_output_folder_is_told_it_is_in_use(tmp_path, capsys):
    import fcntl

    from pipeline import outdir

    src = one_article_folder(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with outdir.locked(out):
        code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
        assert code != 0 and "in use" in err
        assert_one_clear_line(err)
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
    assert code == 0, err


def test_19_up_to_date_is_decided_by_content(tmp_path):
    from pipeline import outdir

    src = one_article_folder(tmp_path)
    out = tmp_path / "out"
    run_pipeline(src, out, jobs=1, progress=False, warn=quiet, log=quiet, only=("ingest", "strip"))
    assert outdir.up_to_date(src, out) is None
    (src / "a.txt").write_text("改过的文章。", encoding="utf-8")
    os.utime(src / "a.txt", (0, 0))  # cp -p: an old time on new content
    assert "input" in outdir.up_to_date(src, out)
    run_pipeline(src, out, jobs=1, progress=False, warn=quiet, log=quiet, only=("ingest", "strip"))
    (out / "02_strip" / "articles.jsonl").unlink()
    assert "02_strip" in outdir.up_to_date(src, out)


def test_19_a_stage_checks_its_input_before_emptying_its_folder(tmp_path, capsys):
    src = one_article_folder(tmp_path)
    out = tmp_path / "out"
    run_pipeline(src, out, jobs=1, progress=False, warn=quiet, log=quiet, only=("ingest", "strip"))
    (out / "01_ingest" / "articles.jsonl").unlink()
    code, err = main_cli(capsys, "strip", "--output", str(out), "--jobs", "1")
    assert code != 0 and "01_ingest" in err
    assert_one_clear_line(err)
    assert (out / "02_strip" / "articles.jsonl").exists() and (out / "02_strip" / "manifest.json").exists()


def test_20_an_output_path_that_is_a_file(tmp_path, capsys):
    src = one_article_folder(tmp_path)
    (tmp_path / "out").write_text("a file", encoding="utf-8")
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(tmp_path / "out"), "--jobs", "1")
    assert code != 0 and "is a file" in err
    assert_one_clear_line(err)
    assert (tmp_path / "out").read_text(encoding="utf-8") == "a file"


@pytest.mark.parametrize("errno_", ["ENOSPC", "EROFS", "EACCES"])
def test_20_disk_full_or_unwritable_output_is_one_line(tmp_path, capsys, monkeypatch, errno_):
    import errno

    src = one_article_folder(tmp_path)

    def fail(fd):
        raise OSError(getattr(errno, errno_), os.strerror(getattr(errno, errno_)))
    monkeypatch.setattr(records.os, "fsync", fail)
    out = tmp_path / "out"
    code, err = main_cli(capsys, "run", "--input", str(src), "--output", str(out), "--jobs", "1")
    assert code != 0
    assert_one_clear_line(err)
    assert os.strerror(getattr(errno, errno_)) in err and str(out) in err
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_20_ctrl_c_is_one_line_and_a_rerun_finishes(corpus, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(corpus, out, "--jobs", "2")
    deadline = time.time() + 60
    while not (out / "02_strip").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    err = err.decode()
    assert proc.returncode != 0
    assert "Traceback" not in err and "interrupted" in err
    assert not (out / "run.json").exists()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped Ctrl-C, on purpose
def test_20_ctrl_c_swallowed_by_a_finaliser_still_stops_the_run(corpus, tmp_path):
    # Python cannot raise from a finaliser (__del__, a weakref callback): Ctrl-C landing while one
    # runs is printed as "Exception ignored" and lost, and the run went on to finish (exit 0).
    class SendsCtrlC:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes, here: its exception is dropped
                pass

    def log(message):
        if message.startswith("strip:"):
            SendsCtrlC()

    out = tmp_path / "out"
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, even if started ignoring it
    try:
        with pytest.raises(KeyboardInterrupt):
            run_pipeline(corpus, out, jobs=1, use_cache=False, progress=False, warn=quiet, log=log)
    finally:
        signal.signal(signal.SIGINT, before)
    assert not (out / "run.json").exists()
    assert (out / "02_strip" / "manifest.json").exists()  # the interrupt came after strip's pass
    assert not (out / "09_report" / "manifest.json").exists()


def test_20_an_input_folder_1100_levels_deep(tmp_path):
    folder = tmp_path / "in"
    deep = str(folder)
    os.mkdir(deep)
    for _ in range(1100):  # os.makedirs and shutil.rmtree recurse: one level at a time, both ways
        deep = os.path.join(deep, "d")
        os.mkdir(deep)
    with open(os.path.join(deep, "a.txt"), "w", encoding="utf-8") as fh:
        fh.write("深处的文章。")
    try:
        manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
        assert manifest["counts"]["done"] == 1
        from pipeline import story
        assert story.group_by_columns(folder)  # the story check walks the folder as ingest does
    finally:
        os.unlink(os.path.join(deep, "a.txt"))
        while deep != str(folder):
            os.rmdir(deep)
            deep = os.path.dirname(deep)


def test_21_bidi_overrides_are_isolated_and_long_words_break():
    from pipeline import report

    assert "unicode-bidi: isolate" in report.CSS or "unicode-bidi:isolate" in report.CSS
    assert "overflow-wrap: anywhere" in report.CSS or "overflow-wrap:anywhere" in report.CSS
    assert report.esc("abc\u202egnp.exe") == "<bdi>abc\u202egnp.exe</bdi>"
    assert report.esc("普通文本") == "普通文本"


def test_23_a_nul_byte_in_utf8_text_does_not_make_it_binary(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes("一篇很普通的文章，".encode() + b"\x00" + "中间有一个空字节。".encode())
    manifest = run_ingest(folder, tmp_path / "out", progress=False, warn=quiet)
    assert manifest["counts"]["done"] == 1, manifest["skipped"]
    art = next(records.read_jsonl(tmp_path / "out" / "01_ingest" / "articles.jsonl"))
    assert "\x00" not in art["text"] and "空字节" in art["text"]


@pytest.mark.parametrize("jobs", ["-1", "abc"])
def test_23_bad_jobs_are_rejected(tmp_path, capsys, jobs):
    with pytest.raises(SystemExit) as exc:
        main_cli(capsys, "ingest", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--jobs", jobs)
    assert exc.value.code == 2


def test_23_jobs_0_means_all_cores():
    from pipeline.__main__ import parser
    from pipeline.runner import default_jobs

    assert parser().parse_args(["ingest", "--jobs", "0"]).jobs == default_jobs()


def test_23_the_not_json_message_reads_well(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "正文。"}\n{"text": "unterminated\n', encoding="utf-8")
    manifest = run_ingest(path, tmp_path / "out", progress=False, warn=quiet)
    reason = manifest["skipped"][0]["reason"]
    assert "at at" not in reason and "column" in reason
