"""The serial part of a run, and what it allows on many cores (Amdahl's law).

    python benchmarks/amdahl.py [CORPUS] [--limit N] [--repeat 3]

Runs every stage alone in one process (no cache) and takes the CPU time (robust on a shared
machine; waits for the disk are left out) of each task the runner's serial executor hands out: the per-article ranges of each per-article stage and the
ranges of each reduce are the part that workers share; everything else is the parent's
(listing ingest's inputs, appending the parts, the reduces' merges, plots, the report,
manifests). Plots' parts count as serial: there are only a few of them. Prints each stage's
split, the serial fraction ``s`` of the whole run, and the efficiency Amdahl's law projects
at N workers, ``1 / (N s + 1 - s)``. Medians of ``--repeat`` runs. Prints figures; not a test.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import DEFAULT_CORPORA, read_rows, write_subset  # noqa: E402

SERIAL_TASKS = {"_draw_part"}  # plots' parts: a handful, not a pool's worth


def efficiency(serial_fraction: float, workers: int) -> float:
    """Amdahl: speed-up ``1 / (s + (1 - s) / N)`` over ``N`` workers."""
    return 1 / (workers * serial_fraction + 1 - serial_fraction)


def measure(corpus: Path, out: Path) -> dict[str, tuple[float, float, float, float]]:
    """Per stage, CPU seconds of this process: (per-article part in all, of it in tasks workers
    could share, reduce or corpus stage in all, of it in shared tasks)."""
    from pipeline import stages
    from pipeline.run import run_ingest, run_stage
    from pipeline.runner import executors

    shared = [0.0]
    real_map = executors.Serial.map

    def timed_map(self, fn, state, tasks):
        for task in tasks:
            t0 = time.process_time()
            result = fn(state, task)
            if getattr(fn, "__name__", "") not in SERIAL_TASKS:
                shared[0] += time.process_time() - t0
            yield result

    def timed(work):
        shared[0] = 0.0
        t0 = time.process_time()
        result = work()
        return result, time.process_time() - t0, shared[0]

    quiet = lambda message: None  # noqa: E731
    executors.Serial.map = timed_map
    try:
        split = {}
        for name in stages.available():
            if name == "ingest":
                complete, total, part = timed(lambda: run_ingest(corpus, out, jobs=1, use_cache=False, progress=False,
                                                                 warn=quiet))
                split[name] = (total, part, 0.0, 0.0)  # its reduce (recurring lines) is inside
                continue
            complete, total, part = timed(lambda: run_stage(name, out, jobs=1, use_cache=False, progress=False,
                                                            warn=quiet, defer_finish=True))
            if callable(complete):
                _, reduce_total, reduce_part = timed(complete)
                split[name] = (total, part, reduce_total, reduce_part)
            else:  # a corpus stage
                split[name] = (0.0, 0.0, total, part)
        return split
    finally:
        executors.Serial.map = real_map


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPORA[0])
    p.add_argument("--limit", type=int, default=None, help="first N articles (default: all)")
    p.add_argument("--repeat", type=int, default=1, help="runs; medians are printed")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_subset(read_rows(args.corpus, args.limit), Path(tmp))
        runs = [measure(corpus, Path(tmp) / f"out{i}") for i in range(args.repeat)]
    names = list(runs[0])
    med = {n: [statistics.median(r[n][i] for r in runs) for i in range(4)] for n in names}
    print(f"{args.corpus.name}, {args.limit or 'all'} articles, one process, CPU seconds, median of {args.repeat}")
    print(f"{'stage':<10} {'map':>7} {'shared':>7} {'reduce':>7} {'shared':>7} {'serial':>7}")
    for name, (m, ms, r, rs) in med.items():
        print(f"{name:<10} {m:7.2f} {ms:7.2f} {r:7.2f} {rs:7.2f} {m - ms + r - rs:7.2f}")
    total = sum(m + r for m, _, r, _ in med.values())
    serial = total - sum(ms + rs for _, ms, _, rs in med.values())
    s = serial / total
    print(f"{'all':<10} {total:7.2f} s, of it serial {serial:.2f} s")
    print(f"serial fraction {s:.4f}; Amdahl efficiency: " +
          ", ".join(f"{n} workers {efficiency(s, n):.2f}" for n in (2, 16, 64)))

if __name__ == "__main__":
    main()
