"""The serial part of a run, and what it allows on many cores (Amdahl's law).

    python benchmarks/amdahl.py [CORPUS] [--limit N] [--repeat 3]

Runs every stage alone in one process (no cache) and takes the CPU time (robust on a shared
machine; waits for the disk are left out) of each task the runner's serial executor hands out: the per-article ranges of each per-article stage and the
ranges of each reduce are the part that workers share; everything else is the parent's
(listing ingest's inputs, appending the parts, the reduces' merges, the figures' and the
report's merges, manifests), and so is the Parquet copy at the end of a run (``parquet``).
Prints each stage's split, the serial fraction ``s`` of the whole run, and the efficiency
Amdahl's law projects at N workers, ``1 / (N s + 1 - s)``; and, since a stage's shared part
never takes less than its longest task (ten figures cannot use 64 workers), the efficiency
with that bound: time at N = serial + the sum over stages of max(shared / N, longest task).
Medians of ``--repeat`` runs. Prints figures; not a test.

The imports a reduce declares (``preload``) run in a thread of the parent while the maps run
(pipeline/runner/preload.py). A task's CPU is that of the thread that runs it; the preload
thread's CPU until the maps end counts as shared, one task of its own (on N cores it overlaps
the workers' maps), and what it spends after the maps ended (the stage waits for it) as serial.
(Before session 16 a task's CPU was the whole process's: the thread's CPU while a task ran
counted with the task, and what it spent between tasks, while the parent appended parts, as
serial, about 1.5 s of framing's scikit-learn import on CCTV.)
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



def efficiency(serial_fraction: float, workers: int) -> float:
    """Amdahl: speed-up ``1 / (s + (1 - s) / N)`` over ``N`` workers."""
    return 1 / (workers * serial_fraction + 1 - serial_fraction)


def bounded_efficiency(med: dict, workers: int) -> float:
    """Efficiency when each stage's shared part takes at least its longest task."""
    total = sum(m + r for m, _, r, _, _ in med.values())
    at_n = sum(m - ms + r - rs + max((ms + rs) / workers, lt) for m, ms, r, rs, lt in med.values())
    return total / (workers * at_n)


def measure(corpus: Path, out: Path, preloaded: list, *, warm_ahead: bool = True
            ) -> dict[str, tuple[float, float, float, float, float]]:
    """Per stage, CPU seconds of this process: (per-article part in all, of it in tasks workers
    could share, reduce or corpus stage in all, of it in shared tasks, the longest task); each
    preload thread's (CPU, of it after the maps) appended to ``preloaded``."""
    from pipeline import api, parquet, stages
    from pipeline import story as stories
    from pipeline.run import run_ingest, run_stage, stages_to_warm
    from pipeline.runner import chains, executors
    from pipeline.runner import preload as preloads
    from pipeline.runner.article import forget_resources

    forget_resources()  # an earlier round's would hide this one's loads
    # as `pipeline run` with workers: ingest's parent loads the fused pass's resources while its maps run
    groups = [tuple(s.name for s in g) for g in chains([stages.module(n).STAGE for n in stages.available()])]
    ahead = stages_to_warm([g for g in groups if "ingest" not in g], stories.DEFAULT) if warm_ahead else ()

    shared = [0.0]
    longest = [0.0]
    real_map = executors.Serial.map
    real_join = preloads.Preload.join

    def timed_map(self, fn, state, tasks):
        for task in tasks:
            t0 = time.thread_time()  # this thread's: the preload thread's CPU is counted apart (timed_join)
            result = fn(state, task)
            took = time.thread_time() - t0
            shared[0] += took
            longest[0] = max(longest[0], took)
            yield result

    def timed_join(self):
        real_join(self)
        longest[0] = max(longest[0], self.cpu)
        shared[0] += self.cpu - self.after  # beside the maps, as a task of its own; what is after them is serial
        preloaded.append((self.cpu, self.after))

    def timed(work):
        shared[0] = 0.0
        t0 = time.process_time()
        result = work()
        return result, time.process_time() - t0, shared[0]

    quiet = lambda message: None  # noqa: E731
    executors.Serial.map = timed_map
    preloads.Preload.join = timed_join
    try:
        split = {}
        for name in stages.available():
            longest[0] = 0.0
            if name == "ingest":
                complete, total, part = timed(lambda: run_ingest(corpus, out, jobs=1, use_cache=False, progress=False,
                                                                 warn=quiet, warm_ahead=ahead))
                split[name] = (total, part, 0.0, 0.0, longest[0])  # its reduce (recurring lines) is inside
                continue
            complete, total, part = timed(lambda: run_stage(name, out, jobs=1, use_cache=False, progress=False,
                                                            warn=quiet, defer_finish=True))
            if callable(complete):
                _, reduce_total, reduce_part = timed(complete)
                split[name] = (total, part, reduce_total, reduce_part, longest[0])
            else:  # a corpus stage
                split[name] = (0.0, 0.0, total, part, longest[0])
        longest[0] = 0.0
        _, total, part = timed(lambda: parquet.write(out, api.load))  # as run_pipeline ends
        split["parquet"] = (0.0, 0.0, total, part, longest[0])
        return split
    finally:
        executors.Serial.map = real_map
        preloads.Preload.join = real_join


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPORA[0])
    p.add_argument("--limit", type=int, default=None, help="first N articles (default: all)")
    p.add_argument("--repeat", type=int, default=1, help="runs; medians are printed")
    p.add_argument("--no-warm-ahead", dest="warm_ahead", action="store_false",
                   help="load each stage's resources when it starts, as before session 14 (by default ingest's "
                        "parent loads the fused pass's while its maps run, as `pipeline run` does with workers)")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_subset(read_rows(args.corpus, args.limit), Path(tmp))
        preloaded: list = []
        runs = [measure(corpus, Path(tmp) / f"out{i}", preloaded, warm_ahead=args.warm_ahead) for i in range(args.repeat)]
    names = list(runs[0])
    med = {n: [statistics.median(r[n][i] for r in runs) for i in range(5)] for n in names}
    print(f"{args.corpus.name}, {args.limit or 'all'} articles, one process, CPU seconds, median of {args.repeat}")
    print(f"{'stage':<10} {'map':>7} {'shared':>7} {'reduce':>7} {'shared':>7} {'serial':>7} {'longest':>7}")
    for name, (m, ms, r, rs, lt) in med.items():
        print(f"{name:<10} {m:7.2f} {ms:7.2f} {r:7.2f} {rs:7.2f} {m - ms + r - rs:7.2f} {lt:7.2f}")
    total = sum(m + r for m, _, r, _, _ in med.values())
    serial = total - sum(ms + rs for _, ms, _, rs, _ in med.values())
    s = serial / total
    print(f"{'all':<10} {total:7.2f} s, of it serial {serial:.2f} s")
    print(f"serial fraction {s:.4f}; Amdahl efficiency: " +
          ", ".join(f"{n} workers {efficiency(s, n):.2f}" for n in (2, 16, 64)))
    if preloaded:
        print(f"imports and resources preloaded while the maps ran: {sum(c for c, _ in preloaded) / args.repeat:.2f} s of CPU "
              f"a run, {sum(a for _, a in preloaded) / args.repeat:.2f} s of it after the maps (serial)")
    print("with each stage's longest task as its bound: " +
          ", ".join(f"{n} workers {bounded_efficiency(med, n):.2f}" for n in (2, 16, 64)))

if __name__ == "__main__":
    main()
