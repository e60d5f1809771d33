"""CPU seconds of each per-article stage's map over an existing run's records, old code beside new.

    python benchmarks/maps.py OUTPUT_DIR [--repeats 3] [--stages strip,normalize,...]
                              [--before OTHER_CHECKOUT] [--profile STAGE [--top 30]]

OUTPUT_DIR is a finished ``pipeline run`` (``--jobs 1``); each stage's map (``process`` with the
parse of its input line and the serialising of its output, as the runner's ``apply`` does) runs
over every line of its upstream's ``articles.jsonl`` in that folder, resources loaded beforehand
and not timed, no cache. Each measurement is a fresh process (``--child``); with ``--before`` the
same is measured with another checkout's ``pipeline`` package (e.g. a ``git archive`` of main),
interleaved round by round (old first in odd rounds, new first in even ones). Prints each stage's
CPU seconds per round and their medians, and checks that both checkouts write the same bytes as
the records in OUTPUT_DIR. ``--profile STAGE`` prints cProfile's top functions of one stage's map
(this checkout) instead. Prints figures; not a test.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("strip", "normalize", "segment", "keywords", "sentiment", "framing", "sourcing")


def child(out: Path, names: list[str], profile: str | None, top: int) -> dict:
    """In a fresh process whose ``pipeline`` is the checkout under test: each stage's map over
    its upstream's lines; CPU seconds and the sha256 of the lines written, by stage."""
    import importlib

    from pipeline.runner.article import apply, resources

    result = {}
    for name in names:
        stage = importlib.import_module(f"pipeline.{name}").STAGE
        resources(stage, warm=True)  # loaded once per process, as in a run: not timed
        with open(out / stage.upstream / "articles.jsonl", "rb") as fh:
            lines = [line.rstrip(b"\n") for line in fh if line.strip()]
        digest = hashlib.sha256()
        if profile == name:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        t0 = time.process_time()
        outs = [apply(stage, line).line for line in lines]
        cpu = time.process_time() - t0
        if profile == name:
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(top)
            pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(top)
        for line in outs:
            if line is not None:
                digest.update(line + b"\n")
        result[name] = {"cpu": cpu, "sha256": digest.hexdigest()}
    return result


def measure(checkout: Path, out: Path, names: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, __file__, "--child", str(out), ",".join(names)], env=env, cwd=checkout,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def written(out: Path, stage_name: str) -> str:
    import importlib

    sys.path.insert(0, str(ROOT))
    folder = importlib.import_module(f"pipeline.{stage_name}").STAGE.folder
    return hashlib.sha256((out / folder / "articles.jsonl").read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        names = argv[2].split(",")
        profile = argv[3] if len(argv) > 3 else None
        top = int(argv[4]) if len(argv) > 4 else 30
        print(json.dumps(child(Path(argv[1]), names, profile, top)))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("output", type=Path, help="a finished `pipeline run` folder")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--stages", default=",".join(STAGES))
    p.add_argument("--before", type=Path, default=None, help="another checkout (its root), measured alike")
    p.add_argument("--profile", default=None, help="print cProfile's top functions of this stage's map")
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args(argv)
    out = args.output.resolve()
    names = args.stages.split(",")
    if args.profile:
        subprocess.run([sys.executable, __file__, "--child", str(out), args.profile, args.profile, str(args.top)],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, check=True)
        return
    contenders = {"new": ROOT} if args.before is None else {"old": args.before.resolve(), "new": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    for round_ in range(args.repeats):
        order = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
        for name in order:
            runs[name].append(measure(contenders[name], out, names))
    print(f"== maps over {out} (CPU s, {args.repeats} rounds, fresh process each)")
    for stage in names:
        expected = written(out, stage)
        cells = []
        for name in contenders:
            cpus = [r[stage]["cpu"] for r in runs[name]]
            same = all(r[stage]["sha256"] == expected for r in runs[name])
            cells.append(f"{name} {' / '.join(f'{c:.2f}' for c in cpus)} (median {statistics.median(cpus):.2f})"
                         f"{'' if same else ' BYTES DIFFER'}")
        print(f"{stage:10s} " + "; ".join(cells))
    for name in contenders:
        total = statistics.median(sum(r[s]["cpu"] for s in names) for r in runs[name])
        print(f"{'all':10s} {name}: median of the rounds' sums {total:.2f}")


if __name__ == "__main__":
    main()
