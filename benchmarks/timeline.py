"""Where a run's time goes with N workers: when each stage ends, or each stage on its own.

    python benchmarks/timeline.py [CORPUS] [--jobs 16] [--staged] [--limit N] [--keep DIR] [--no-warm-ahead]

Default: the whole pipeline as the CLI runs it (``run_pipeline``, no cache), printing the
seconds since the start at which each stage ends (stages of one wave overlap, so their
differences are not their times). ``--staged``: each stage run alone, one after the other,
with its own time. On a many-core machine the stages that do not get shorter as workers are
added show what still runs in one process. Prints figures; not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import DEFAULT_CORPORA, read_rows, run_staged, write_subset  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPORA[0],
                   help="a corpus file (JSONL, optionally gzipped) or a folder of files (e.g. HTML pages)")
    p.add_argument("--jobs", type=int, default=None, help="workers (default: all cores)")
    p.add_argument("--staged", action="store_true", help="each stage alone, timed on its own")
    p.add_argument("--limit", type=int, default=None, help="first N articles (default: all)")
    p.add_argument("--keep", type=Path, default=None, help="write the outputs here and keep them")
    p.add_argument("--no-warm-ahead", dest="warm_ahead", action="store_false",
                   help="the fused pass's resources load after ingest, as before session 14 (by default the parent "
                        "loads them while ingest's workers map)")
    args = p.parse_args(argv)

    from pipeline import run
    from pipeline.run import run_pipeline

    if not args.warm_ahead:
        run.stages_to_warm = lambda pending, story: []  # this process only: the old order
    from pipeline.runner import default_jobs

    jobs = args.jobs or default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        # a folder (e.g. saved web pages) is the input as it is; a corpus file is cut to --limit articles
        corpus = args.corpus if args.corpus.is_dir() else write_subset(read_rows(args.corpus, args.limit), Path(tmp))
        out = args.keep or Path(tmp) / "out"
        if out.exists():
            shutil.rmtree(out)
        quiet = lambda message: None  # noqa: E731
        start = time.perf_counter()
        if args.staged:
            times = run_staged(corpus, out, jobs, each=lambda name, s: print(f"{name:<10} {s:6.2f} s", flush=True))
            print(json.dumps({"jobs": jobs, "total": round(time.perf_counter() - start, 2),
                              "stages": {name: round(s, 2) for name, s in times.items()}}))
        else:
            run_pipeline(corpus, out, jobs=jobs, use_cache=False, progress=False, warn=quiet,
                         log=lambda m: print(f"{time.perf_counter() - start:7.2f}  {m}", flush=True))
            cpu = sum(getattr(os.times(), f) for f in ("user", "system", "children_user", "children_system"))
            print(f"{jobs} workers: {time.perf_counter() - start:.2f} s in all, {cpu:.1f} s of CPU"
                  + ("" if args.warm_ahead else " (--no-warm-ahead)"))


if __name__ == "__main__":
    main()
