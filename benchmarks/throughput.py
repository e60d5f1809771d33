"""End-to-end throughput, time per stage and peak memory, side by side with the usual way.

    python benchmarks/throughput.py [CORPUS ...] [--limit N] [--jobs 1 N] [--repeats 3] [--dask] [--scales 1 2 4 [--scale-jobs N] [--only-scales]]

Each measurement runs in a fresh subprocess; peak RSS is the largest sum over the
process tree (workers included), sampled every 20 ms. Forked workers share their parent's
pages and each counts them in its RSS, so the sum overstates; peak PSS (shared pages divided
among the processes sharing them, Linux, sampled every 100 ms) is the memory the run takes. Three contenders on the same
articles in the same run:

1. usual: a plain single-process script: OpenCC t2s, jieba.lcut, a HowNet word count
   for sentiment, TfidfVectorizer top-10 keywords per article;
2. bare: rjieba.tag over the same text and nothing else (the least the pipeline must do);
3. pipeline: every stage, no cache, with 1 worker (stages timed one by one) and with N workers
   (``run_pipeline`` as the CLI runs it, reduces overlapping the next stage: the total only);
   and with N workers and a cold cache, as a first ``python -m pipeline run`` on a new corpus
   does (it stores every per-article result for the next run); with --dask, on a local
   Dask cluster of N workers too.

Prints medians over --repeats and the ratios. Not a test.

``--cpu`` measures instead the CPU seconds (user + system, the process and its children) of one
core's work, which a busy machine does not inflate as it does wall time: the usual way, bare
``rjieba.tag``, and the pipeline as ``python -m pipeline run --jobs 1 --no-cache`` runs it, split
into ingest, the per-article maps (strip to sourcing), each stage's reduce (ingest's recurring
lines, keywords' idf, framing's topic discovery, sourcing's reuse) and the corpus stages (plots,
report, the Parquet copies); with ``--before DIR``, the same for the pipeline checked out in DIR
(another revision, e.g. ``git worktree add --detach /tmp/before main``), interleaved.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_CORPORA = [EVAL / "corpora" / "cctv_xinwenlianbo.jsonl.gz", EVAL / "corpora" / "hkcnews_trad_sample.jsonl.gz"]
HOWNET = ROOT.parent / "shared" / "lexicons" / "zh_common_HowNet.yaml"


def read_rows(path: Path, limit: int | None, scale: int = 1) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    rows = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("text"):
                rows.append(row)
            if limit and len(rows) >= limit:
                break
    out = []
    # A k-times corpus: the same articles under new ids, each copy after the first with a last line of its own
    # (副本 k), or strip would leave the copies out as duplicates of the first (pipeline/duplicates.py).
    for k in range(scale):
        out += ([{**r, "id": f"{r.get('id')}-{k}", "text": r["text"] + (f"\n副本 {k}" if k else "")} for r in rows]
                if scale > 1 else rows)
    return out


def write_subset(rows: list[dict], folder: Path) -> Path:
    path = folder / "subset.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- contenders (run in a child)


def usual(path: Path, hownet: Path = HOWNET) -> dict:
    import jieba
    import opencc
    import yaml
    from sklearn.feature_extraction.text import TfidfVectorizer

    jieba.setLogLevel(60)
    t0 = time.perf_counter()
    texts = [r["text"] for r in read_rows(path, None)]
    lex = yaml.safe_load(hownet.read_text(encoding="utf-8"))["Dictionary"]
    pos, neg = set(lex["pos"]), set(lex["neg"])
    cc = opencc.OpenCC("t2s")
    t1 = time.perf_counter()
    simplified = [cc.convert(t) for t in texts]
    t2 = time.perf_counter()
    tokens = [jieba.lcut(t) for t in simplified]
    t3 = time.perf_counter()
    scores = [sum((w in pos) - (w in neg) for w in toks) for toks in tokens]
    t4 = time.perf_counter()
    vec = TfidfVectorizer(analyzer=lambda toks: [w for w in toks if w.strip()])
    matrix = vec.fit_transform(tokens)
    terms = vec.get_feature_names_out()
    top = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        order = row.data.argsort()[::-1][:10]
        top.append([terms[row.indices[j]] for j in order])
    t5 = time.perf_counter()
    assert len(scores) == len(top) == len(texts)
    return {"stages": {"read": t1 - t0, "t2s": t2 - t1, "jieba.lcut": t3 - t2, "hownet": t4 - t3, "tfidf": t5 - t4}}


def bare(path: Path) -> dict:
    import rjieba

    t0 = time.perf_counter()
    texts = [r["text"] for r in read_rows(path, None)]
    t1 = time.perf_counter()
    n = sum(len(rjieba.tag(t)) for t in texts)
    t2 = time.perf_counter()
    return {"stages": {"read": t1 - t0, "rjieba.tag": t2 - t1}, "tokens": n}


def pipeline(path: Path, jobs: int, use_cache: bool = False, dask: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    try:  # the outputs, 13 times the text, are removed by the parent once it has the time
        return {**_pipeline(path, out, jobs, use_cache, dask), "out": str(out)}
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _pipeline(path: Path, out: Path, jobs: int, use_cache: bool, dask: bool) -> dict:
    if jobs > 1 or use_cache or dask:  # the real scheduler: reduces overlap the next stage, so only the total is meaningful
        from pipeline.run import run_pipeline

        t0 = time.perf_counter()  # with dask, the local cluster's start-up included
        run_pipeline(path, out, jobs=jobs, use_cache=use_cache, progress=False, warn=lambda m: None,
                     log=lambda m: None, dask=dask)
        return {"stages": {"all stages": time.perf_counter() - t0}}
    return {"stages": run_staged(path, out, jobs)}


def run_staged(path: Path, out: Path, jobs: int, *, each: Callable[[str, float], None] = lambda name, s: None) -> dict:
    """Every stage alone, one after the other, no cache: seconds per stage (``each`` is told as each ends)."""
    from pipeline import stages
    from pipeline.run import run_ingest, run_stage

    times = {}
    for name in stages.available():
        t0 = time.perf_counter()
        if name == "ingest":
            run_ingest(path, out, jobs=jobs, use_cache=False, progress=False, warn=lambda m: None)
        else:
            run_stage(name, out, jobs=jobs, use_cache=False, progress=False, warn=lambda m: None)
        times[name] = time.perf_counter() - t0
        each(name, times[name])
    return times


def cpu() -> float:
    """CPU seconds of this process and of its children that have ended."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pipeline_parts(path: Path) -> dict:
    """The pipeline on one core as the CLI runs it (``run_pipeline``, 1 job, no cache), its CPU
    seconds split by part. Each stage's reduce is timed by wrapping its ``finish``; the parts
    between are read off the CPU clock as the run logs each stage (a wave's stages together)."""
    import dataclasses

    from pipeline import stages
    from pipeline.run import run_pipeline

    spent: dict[str, float] = {}

    def timed(name: str, finish: Callable) -> Callable:
        def run(*args, **kwargs):
            t0 = cpu()
            try:
                return finish(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + cpu() - t0
        return run

    for name in stages.available():
        module = stages.module(name)
        if getattr(module.STAGE, "finish", None) is not None:
            module.STAGE = dataclasses.replace(module.STAGE, finish=timed(name, module.STAGE.finish))
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    logged: dict[str, float] = {}
    try:
        t0 = cpu()
        run_pipeline(path, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None,
                     log=lambda m: logged.setdefault(m.split(":")[0], cpu()))
        end = cpu()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    maps_end = max(logged[n] for n in ARTICLE_MAPS if n in logged)
    reduces = {f"{n} reduce": spent.get(n, 0.0) for n in ("ingest", "keywords", "framing", "sourcing")}
    parts = {"ingest": logged["ingest"] - t0 - reduces["ingest reduce"],
             "maps": maps_end - logged["ingest"] - sum(v for k, v in reduces.items() if k != "ingest reduce"),
             **reduces, "plots": logged["plots"] - maps_end, "report": logged["report"] - logged["plots"],
             "tables": end - logged["report"]}
    return {"stages": parts, "cpu": cpu(), "from": str(Path(stages.__file__).parents[1])}


ARTICLE_MAPS = ("strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing")


def child(argv: list[str]) -> None:
    method, path = argv[0], Path(argv[1])
    if method == "pipeline-parts":
        print(json.dumps(pipeline_parts(path)))
        return
    result = {"usual": lambda: usual(path, Path(argv[2])), "bare": lambda: bare(path),
              "pipeline": lambda: pipeline(path, int(argv[2])),
              "pipeline-cache": lambda: pipeline(path, int(argv[2]), use_cache=True),
              "pipeline-dask": lambda: pipeline(path, int(argv[2]), dask=True)}[method]()
    print(json.dumps({**result, "cpu": cpu()}))


# ---------------------------------------------------------------- measuring (in the parent)


def measure(args: list[str], script: str = __file__, root: Path = ROOT) -> dict:
    """Run ``script --child ARGS`` in a fresh process: its result (a JSON line with "stages"),
    its wall time and the process tree's peak RSS and PSS. ``root``: the pipeline it imports."""
    import psutil

    t0 = time.perf_counter()
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen([sys.executable, script, "--child", *args], stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": "0"})
    peak = peak_pss = 0
    ps = psutil.Process(proc.pid)
    tick = 0
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
            if tick % 5 == 0 and sys.platform.startswith("linux"):  # PSS reads smaps: every 100 ms
                peak_pss = max(peak_pss, sum(p.memory_full_info().pss for p in tree))
        except psutil.Error:
            pass
        tick += 1
        time.sleep(0.02)
    out = proc.stdout.read()
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"child {args} failed")
    result = json.loads(out.splitlines()[-1])
    if result.get("out"):
        shutil.rmtree(result.pop("out"), ignore_errors=True)
    result.update(wall=wall, work=sum(result["stages"].values()), peak_mb=peak / 2**20, pss_mb=peak_pss / 2**20)
    # one line a measurement as it ends (stderr): a run cut short still tells what it measured
    print(f"  [{' '.join(a if '/' not in a else Path(a).name for a in args)}] {wall:.2f} s, "
          f"PSS {result['pss_mb']:.0f} MB", file=sys.stderr, flush=True)
    return result


def median_of(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("wall", "work", "peak_mb", "pss_mb")}
    out["stages"] = {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
    return out


def compare(args, subset: Path, mb: float) -> None:
    """The contenders side by side, interleaved over --repeats; prints medians and ratios."""
    contenders = [("bare", ["bare", str(subset)])]
    if not args.skip_usual:
        contenders.insert(0, ("usual", ["usual", str(subset), str(args.hownet)]))
    contenders += [(f"pipeline --jobs {j}", ["pipeline", str(subset), str(j)]) for j in args.jobs]
    if not args.skip_cache:
        j = max(args.jobs)
        contenders.append((f"pipeline --jobs {j} +cache", ["pipeline-cache", str(subset), str(j)]))
    if args.dask:
        j = max(args.jobs)
        contenders.append((f"pipeline --jobs {j} --dask", ["pipeline-dask", str(subset), str(j)]))
    results = {}
    for _ in range(args.repeats):  # interleaved, so drift hits every contender alike
        for name, cargs in contenders:
            results.setdefault(name, []).append(measure(cargs))
    med = {name: median_of(runs) for name, runs in results.items()}
    print(f"{'contender':<26}{'wall s':>9}{'MB/s':>9}{'peak MB':>10}{'PSS MB':>9}  stages (s)")
    for name, m in med.items():
        stages = ", ".join(f"{k} {v:.2f}" for k, v in m["stages"].items())
        print(f"{name:<26}{m['wall']:>9.2f}{mb / m['wall']:>9.2f}{m['peak_mb']:>10.0f}{m['pss_mb']:>9.0f}  {stages}")
    one = med[f"pipeline --jobs {args.jobs[0]}"]
    if "usual" in med:
        print(f"pipeline (1 job) vs usual way: {med['usual']['wall'] / one['wall']:.2f}x the throughput")
    print(f"pipeline (1 job) vs bare rjieba.tag: {one['wall'] / med['bare']['wall']:.2f}x the time")
    for j in args.jobs[1:]:
        many = med[f"pipeline --jobs {j}"]
        print(f"parallel efficiency at {j} jobs: {one['wall'] / (j * many['wall']):.2f} "
              f"(speed-up {one['wall'] / many['wall']:.2f}x)")
        # Each repeat ran the two back to back: their ratio is less exposed to the
        # machine's drift over the whole benchmark than the ratio of the medians.
        paired = [a["wall"] / (j * b["wall"]) for a, b in zip(results[f"pipeline --jobs {args.jobs[0]}"],
                                                               results[f"pipeline --jobs {j}"])]
        print(f"  per repeat: median {statistics.median(paired):.2f}, "
              f"range {min(paired):.2f}-{max(paired):.2f}")


def compare_cpu(args, subset: Path, n: int) -> None:
    """CPU seconds on one core, side by side, interleaved over --repeats: medians."""
    contenders = [("usual", ["usual", str(subset), str(args.hownet)], ROOT), ("bare", ["bare", str(subset)], ROOT)]
    if args.skip_usual:
        contenders.pop(0)
    if args.before:
        contenders.append(("pipeline before", ["pipeline-parts", str(subset)], args.before.resolve()))
    contenders.append(("pipeline", ["pipeline-parts", str(subset)], ROOT))
    results: dict[str, list[dict]] = {}
    for _ in range(args.repeats):
        for name, cargs, root in contenders:
            results.setdefault(name, []).append(measure(cargs, root=root))
            if "from" in results[name][-1] and len(results[name]) == 1:
                print(f"  {name}: the pipeline in {results[name][-1]['from']}", file=sys.stderr)
    med = {name: {"cpu": statistics.median(r["cpu"] for r in runs),
                  "stages": {k: statistics.median(r["stages"][k] for r in runs) for k in runs[0]["stages"]}}
           for name, runs in results.items()}
    # the usual way's and bare's own parts are timed by the wall clock (as in the other table)
    print(f"{'contender':<18}{'CPU s':>8}{'articles/CPU s':>16}  parts (CPU s; usual, bare: wall s)")
    for name, m in med.items():
        parts = ", ".join(f"{k} {v:.2f}" for k, v in m["stages"].items())
        print(f"{name:<18}{m['cpu']:>8.2f}{n / m['cpu']:>16.0f}  {parts}")
    for name in [c[0] for c in contenders if c[0].startswith("pipeline")]:
        m = med[name]
        per_article = m["stages"]["ingest"] + m["stages"]["maps"]
        line = f"{name}: {m['cpu'] / med['bare']['cpu']:.2f}x bare rjieba.tag's CPU"
        if "usual" in med:
            line += f", {med['usual']['cpu'] / m['cpu']:.2f}x the usual way's throughput"
        print(f"{line}; ingest + maps {per_article:.2f} s ({med['bare']['cpu'] and per_article / med['bare']['cpu']:.2f}x "
              f"bare" + (f", {med['usual']['cpu'] / per_article:.2f}x the usual way's throughput" if "usual" in med else "")
              + ")")


def cpu_model() -> str:
    """The processor's name (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv[1:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpora", nargs="*", type=Path, default=DEFAULT_CORPORA)
    p.add_argument("--limit", type=int, default=None, help="first N articles of each corpus (default: all)")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, len(os.sched_getaffinity(0))])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scales", type=int, nargs="*", default=[],
                   help="also run the pipeline on k-times copies of the corpus, e.g. 1 2 4")
    p.add_argument("--scale-jobs", type=int, default=1, help="workers for the --scales runs (default 1)")
    p.add_argument("--only-scales", action="store_true", help="run only the --scales measurements")
    p.add_argument("--skip-usual", action="store_true")
    p.add_argument("--hownet", type=Path, default=HOWNET,
                   help="HowNet lexicon (YAML) for the usual way's sentiment (default: %(default)s)")
    p.add_argument("--skip-cache", action="store_true", help="leave out the cold-cache run")
    p.add_argument("--dask", action="store_true",
                   help="also run on a local Dask cluster of max(--jobs) workers (its start-up included)")
    p.add_argument("--cpu", action="store_true",
                   help="CPU seconds on one core instead: usual, bare and the pipeline split by part")
    p.add_argument("--before", type=Path, default=None,
                   help="with --cpu: also the pipeline checked out in this folder (another revision)")
    args = p.parse_args(argv)
    import platform

    print(f"machine: {cpu_model()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}")
    for corpus in args.corpora:
        with tempfile.TemporaryDirectory() as tmp:
            rows = read_rows(corpus, args.limit)
            subset = write_subset(rows, Path(tmp))
            mb = sum(len(r["text"].encode("utf-8")) for r in rows) / 1e6
            print(f"\n== {corpus.name}: {len(rows):,} articles, {mb:.1f} MB of text, median of {args.repeats}")
            if args.cpu:
                compare_cpu(args, subset, len(rows))
            elif not args.only_scales:
                compare(args, subset, mb)
            for k in args.scales:
                scaled = write_subset(read_rows(corpus, args.limit, scale=k), Path(tmp))
                m = measure(["pipeline", str(scaled), str(args.scale_jobs)])
                print(f"scale {k}x ({args.scale_jobs} job(s)): {k * len(rows):,} articles, {m['wall']:.1f} s, "
                      f"{k * mb / m['wall']:.2f} MB/s, peak {m['peak_mb']:.0f} MB, PSS {m['pss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
