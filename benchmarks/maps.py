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
(this checkout) instead.

``--in-process`` (with ``--before``): both checkouts in one process instead, the other's package
imported under another name (``pipeline`` imports itself relatively), each stage's map run old
then new, new then old, round after round: the machine's drift between fresh processes stays
out of the comparison. Each map runs once untimed first (imports, and a check that both write
the same bytes); ``--cold`` loads fresh resources before each timed round, so the per-token and
per-string memos start empty as in a run (otherwise they are warm, as late in a long corpus).
The input lines are read beforehand; parsing and serialising are timed, as in a run.

``--callgrind`` (with ``--before``): instructions instead of seconds, free of a shared machine's
noise: each checkout's map in a process under ``valgrind --tool=callgrind --instr-atstart=no``
that switches the count on (``callgrind_control -i on``) around the map alone, over the first
``--limit`` lines (default 1,000), after 20 untimed lines (lazy imports) and with fresh resources
(the memos start empty), ``PYTHONHASHSEED=0``. Prints figures; not a test.
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


def in_process(before: Path, out: Path, names: list[str], repeats: int, cold: bool) -> None:
    """Old and new maps side by side in this process (see the module's docstring)."""
    import importlib
    import importlib.util

    import orjson

    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("pipeline_before", before / "pipeline" / "__init__.py",
                                                  submodule_search_locations=[str(before / "pipeline")])
    package = importlib.util.module_from_spec(spec)
    sys.modules["pipeline_before"] = package
    spec.loader.exec_module(package)

    def loaded(stage):
        res = stage.load_resources(stage.params)
        if stage.warm is not None:
            stage.warm(res)
        return res

    print(f"== maps over {out}, old and new in one process (CPU s, {repeats} rounds, "
          f"{'fresh resources each round' if cold else 'resources and memos warm'})")
    for name in names:
        stages = {"old": importlib.import_module(f"pipeline_before.{name}").STAGE,
                  "new": importlib.import_module(f"pipeline.{name}").STAGE}
        with open(out / stages["new"].upstream / "articles.jsonl", "rb") as fh:
            lines = [line.rstrip(b"\n") for line in fh if line.strip()]
        held = {k: loaded(stage) for k, stage in stages.items()}
        first = {k: [orjson.dumps(stage.process(orjson.loads(line), held[k])) for line in lines]
                 for k, stage in stages.items()}
        same = first["old"] == first["new"]
        times: dict[str, list[float]] = {"old": [], "new": []}
        for round_ in range(repeats):
            for k in ("old", "new") if round_ % 2 == 0 else ("new", "old"):
                stage = stages[k]
                res = loaded(stage) if cold else held[k]
                process = stage.process
                t0 = time.process_time()
                for line in lines:
                    orjson.dumps(process(orjson.loads(line), res))
                times[k].append(time.process_time() - t0)
        old, new = statistics.median(times["old"]), statistics.median(times["new"])
        print(f"{name:10s} old {' / '.join(f'{t:.2f}' for t in times['old'])} (median {old:.3f}); "
              f"new {' / '.join(f'{t:.2f}' for t in times['new'])} (median {new:.3f}); "
              f"{100 * (new / old - 1):+.1f} %{'' if same else '  BYTES DIFFER'}", flush=True)


def count_child(out: Path, name: str, limit: int) -> None:
    """Under callgrind: count the instructions of one map over the first ``limit`` lines."""
    import importlib

    import orjson

    stage = importlib.import_module(f"pipeline.{name}").STAGE
    with open(out / stage.upstream / "articles.jsonl", "rb") as fh:
        lines = [line.rstrip(b"\n") for line in fh if line.strip()][:limit]

    def loaded():
        res = stage.load_resources(stage.params)
        if stage.warm is not None:
            stage.warm(res)
        return res

    res = loaded()
    for line in lines[:20]:  # lazy imports and first calls, out of the count
        stage.process(orjson.loads(line), res)
    res, process = loaded(), stage.process  # fresh memos, as a run starts
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for line in lines:
        orjson.dumps(process(orjson.loads(line), res))
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)


def callgrind(contenders: dict, out: Path, names: list[str], limit: int) -> None:
    import re
    import tempfile

    print(f"== maps over the first {limit:,} records of {out}: instructions (callgrind, cold memos)")
    for name in names:
        counts = {}
        for who, checkout in contenders.items():
            with tempfile.TemporaryDirectory() as tmp:
                done = subprocess.run(
                    ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/out",
                     sys.executable, __file__, "--count-child", str(out), name, str(limit)],
                    env={**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}, cwd=checkout,
                    check=True, capture_output=True, text=True)
            counts[who] = int(re.search(r"Collected : (\d+)", done.stderr).group(1))
        cells = [f"{who} {n / 1e6:,.1f} M" for who, n in counts.items()]
        change = f"; {100 * (counts['new'] / counts['old'] - 1):+.1f} %" if len(counts) == 2 else ""
        print(f"{name:10s} " + "; ".join(cells) + change, flush=True)


def written(out: Path, stage_name: str) -> str:
    import importlib

    sys.path.insert(0, str(ROOT))
    folder = importlib.import_module(f"pipeline.{stage_name}").STAGE.folder
    return hashlib.sha256((out / folder / "articles.jsonl").read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--count-child":
        count_child(Path(argv[1]), argv[2], int(argv[3]))
        return
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
    p.add_argument("--in-process", action="store_true", help="old and new in one process (needs --before)")
    p.add_argument("--cold", action="store_true", help="with --in-process: fresh resources before each round")
    p.add_argument("--callgrind", action="store_true", help="instruction counts under valgrind's callgrind")
    p.add_argument("--limit", type=int, default=1000, help="with --callgrind: the first N records (default 1000)")
    args = p.parse_args(argv)
    out = args.output.resolve()
    names = args.stages.split(",")
    if args.callgrind:
        contenders = {"new": ROOT} if args.before is None else {"old": args.before.resolve(), "new": ROOT}
        callgrind(contenders, out, names, args.limit)
        return
    if args.in_process:
        if args.before is None:
            p.error("--in-process needs --before")
        in_process(args.before.resolve(), out, names, args.repeats, args.cold)
        return
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
