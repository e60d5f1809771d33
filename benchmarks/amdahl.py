"""The serial part of a run, and what it allows on many cores (Amdahl's law).

    python benchmarks/amdahl.py [CORPUS] [--limit N] [--repeat 3]

Runs every stage alone in one process (no cache) and times, through the runner's serial
executor, each task it hands out: the per-article ranges of each per-article stage and the
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


def measure(corpus: Path, out: Path) -> dict[str, tuple[float, float]]:
    """Per stage: (seconds in all, seconds in tasks workers could share)."""
    from pipeline import stages
    from pipeline.run import run_ingest, run_stage
    from pipeline.runner import executors

    shared = [0.0]
    real_map = executors.Serial.map

    def timed_map(self, fn, state, tasks):
        for task in tasks:
            t0 = time.perf_counter()
            result = fn(state, task)
            if getattr(fn, "__name__", "") not in SERIAL_TASKS:
                shared[0] += time.perf_counter() - t0
            yield result

    executors.Serial.map = timed_map
    try:
        split = {}
        for name in stages.available():
            shared[0] = 0.0
            t0 = time.perf_counter()
            if name == "ingest":
                run_ingest(corpus, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None)
            else:
                run_stage(name, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None)
            split[name] = (time.perf_counter() - t0, shared[0])
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
    med = {n: (statistics.median(r[n][0] for r in runs), statistics.median(r[n][1] for r in runs)) for n in names}
    print(f"{args.corpus.name}, {args.limit or 'all'} articles, one process, median of {args.repeat}")
    print(f"{'stage':<10} {'total s':>8} {'shared s':>9} {'serial s':>9}")
    for name, (total, shared) in med.items():
        print(f"{name:<10} {total:8.2f} {shared:9.2f} {total - shared:9.2f}")
    total = sum(t for t, _ in med.values())
    serial = total - sum(s for _, s in med.values())
    s = serial / total
    print(f"{'all':<10} {total:8.2f} {total - serial:9.2f} {serial:9.2f}")
    print(f"serial fraction {s:.4f}; Amdahl efficiency: " +
          ", ".join(f"{n} workers {efficiency(s, n):.2f}" for n in (2, 16, 64)))


if __name__ == "__main__":
    main()
