"""Time of the sourcing stage, side by side with an earlier version of it, and its share of a run.

    PYTHONPATH=. .venv/bin/python benchmarks/sourcing_speed.py [--corpus C.jsonl.gz] [--limit 2000] \
        [--baseline REV] [--repeats 3] [--whole-run]

The corpus (default: the first --limit items of the CCTV corpus; --limit 0 for all) goes through
ingest, strip and normalize once; then the sourcing stage (map and reduce, one process, no cache)
runs --repeats times for each contender, alternating, each time in a fresh process (imports
count, as in a run; wall and CPU time of that process, the CPU time being the steadier figure on
a shared machine): the code at git revision --baseline (its sourcing.py and sourcing.yaml) and
the working tree. Prints the medians and their ratio; in the same processes, after the stage,
the map alone (``source_article`` over every record, warm) and the numeric claims alone
(``claims`` over every sentence), CPU time; and whether both wrote the same tables
(a SHA-256 of 08_sourcing's articles.jsonl and CSV files, compared run by run: a faster path
must not change a byte); with --whole-run, every stage of the pipeline once more (current code,
one process) and sourcing's share of the total. Not a test.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CCTV = ROOT.parent / "shared" / "eval" / "corpora" / "cctv_xinwenlianbo.jsonl.gz"


def child(out: Path, baseline: Path | None) -> None:
    import importlib.util

    if baseline is not None:  # the earlier module, reading the earlier rules, in place of pipeline.sourcing
        source = (baseline / "sourcing.py").read_text(encoding="utf-8").replace(
            'RULES_PATH = RESOURCES / "sourcing.yaml"', f"RULES_PATH = Path({str(baseline / 'sourcing.yaml')!r})").replace(
            'RULES_PATH.with_name("outlets.tsv")', 'RESOURCES / "outlets.tsv"').replace(
            'Path(__file__).with_name("outlets.py")', f"Path({str(ROOT / 'pipeline' / 'outlets.py')!r})")
        (baseline / "sourcing_patched.py").write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("pipeline.sourcing", baseline / "sourcing_patched.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["pipeline.sourcing"] = module
        spec.loader.exec_module(module)
    from pipeline.run import run_stage

    t0, c0 = time.perf_counter(), time.process_time()
    run_stage("sourcing", out, jobs=1, use_cache=False, progress=False, warn=lambda m: None)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # the map alone, warm (imports and rules loaded), and the numeric claims alone, in this process
    from pipeline import records

    sourcing = sys.modules["pipeline.sourcing"]  # the contender this process runs

    articles = list(records.read_jsonl(out / "03_normalize" / "articles.jsonl"))
    rules = sourcing.load_rules()
    c0 = time.process_time()
    for record in articles:
        sourcing.source_article(record, rules)
    map_cpu = time.process_time() - c0
    c0 = time.process_time()
    for record in articles:
        for sentence in record.get("sentences", ()):
            sourcing.claims(sentence["text"], rules)
    claims_cpu = time.process_time() - c0
    print(json.dumps({"seconds": seconds, "cpu": cpu, "map_cpu": map_cpu, "claims_cpu": claims_cpu,
                      "digest": digest(out / "08_sourcing")}))


def digest(folder: Path) -> str:
    """SHA-256 over the stage's tables (not its manifest, which records times and versions)."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")) + [folder / "articles.jsonl"]:
        h.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CCTV)
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--baseline", default="HEAD", help="git revision to compare with")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--whole-run", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), None if args.child[1] == "-" else Path(args.child[1]))
        return 0
    from throughput import read_rows, run_staged, write_subset
    from pipeline.run import run_ingest, run_stage

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "baseline"
        base.mkdir()
        for name, rel in (("sourcing.py", "pipeline/sourcing.py"), ("sourcing.yaml", "pipeline/resources/sourcing.yaml")):
            (base / name).write_bytes(subprocess.run(["git", "show", f"{args.baseline}:{rel}"], cwd=ROOT, check=True,
                                                     capture_output=True).stdout)
        rows = read_rows(args.corpus, args.limit or None)
        path = write_subset(rows, tmp)
        out = tmp / "out"
        run_ingest(path, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None)
        for name in ("strip", "normalize"):
            run_stage(name, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None)
        times: dict[str, list[float]] = {"baseline": [], "current": []}
        cpu: dict[str, list[float]] = {"baseline": [], "current": []}
        digests: dict[str, set[str]] = {"baseline": set(), "current": set()}
        parts: dict[str, dict[str, list[float]]] = {"baseline": {"map_cpu": [], "claims_cpu": []},
                                                    "current": {"map_cpu": [], "claims_cpu": []}}
        for _ in range(args.repeats):
            for who, where in (("baseline", str(base)), ("current", "-")):
                got = subprocess.run([sys.executable, __file__, "--child", str(out), where], check=True,
                                     capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0",
                                                                           "PATH": "/usr/bin:/bin"})
                line = json.loads(got.stdout.splitlines()[-1])
                times[who].append(line["seconds"])
                cpu[who].append(line["cpu"])
                digests[who].add(line["digest"])
                for part in ("map_cpu", "claims_cpu"):
                    parts[who][part].append(line[part])
                print(f"  {who}: {times[who][-1]:.2f} s wall, {cpu[who][-1]:.2f} s CPU (map {line['map_cpu']:.2f} s, "
                      f"claims {line['claims_cpu']:.2f} s, warm)", file=sys.stderr, flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        # CPU time of the one process: on a shared machine it moves far less with the load than wall time
        result = {"articles": len(rows), "baseline_revision": args.baseline, "repeats": args.repeats,
                  "sourcing_seconds_median": {k: round(v, 2) for k, v in med.items()},
                  "sourcing_cpu_seconds_median": {k: round(v, 2) for k, v in med_cpu.items()},
                  "current_over_baseline": round(med["current"] / med["baseline"], 3),
                  "current_over_baseline_cpu": round(med_cpu["current"] / med_cpu["baseline"], 3),
                  "map_cpu_seconds_median_warm": {k: round(statistics.median(v["map_cpu"]), 2) for k, v in parts.items()},
                  "claims_cpu_seconds_median_warm": {k: round(statistics.median(v["claims_cpu"]), 2)
                                                     for k, v in parts.items()},
                  "same_tables": len(digests["baseline"] | digests["current"]) == 1}
        if args.whole_run:
            stages = run_staged(path, tmp / "whole", 1)
            total = sum(stages.values())
            result["whole_run_seconds"] = {k: round(v, 2) for k, v in stages.items()}
            result["sourcing_share_of_run"] = round(stages["sourcing"] / total, 3)
        print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
