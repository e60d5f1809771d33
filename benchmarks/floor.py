"""How fast could the pipeline be at best? The least time its outputs take on one core, beside
the issue's single-core goals (5x the usual way's throughput, at most 2x bare ``rjieba.tag``).

    python benchmarks/floor.py [CORPUS] [--limit N] [--repeats 3] [--hownet YAML]

The pipeline writes each per-article stage's records as JSON Lines (the readable outputs the
mission asks for) and every stage reads its upstream's records. Whatever the code that strips,
normalises and scores, a run on one core takes at least:

* tagging: bare ``rjieba.tag`` over the text (contender 2 of ``throughput.py``);
* writing every per-article stage's records once (orjson, to a file, no fsync);
* reading each per-article stage's input once: the corpus for ingest, the upstream records for
  strip, normalize and segment, and 04_segment three times (keywords, sentiment and framing
  each read it). The reduces' and corpus stages' own reads are left out: a lower bound;
* importing pandas and matplotlib for the figures and the report (nothing drawn).

Two floors are printed: as the stages are built (each reads its upstream's records), and for a
design that fused every per-article stage into one pass (records written, never read back).
Each is set against the goals' budgets, measured in the same run, interleaved over --repeats,
each measurement in a fresh process. Prints figures; not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import DEFAULT_CORPORA, HOWNET, cpu_model, measure, read_rows, write_subset  # noqa: E402

# each per-article stage's folder, and what it reads: ingest the corpus, the others their upstream's records
READS = {"01_ingest": "corpus", "02_strip": "01_ingest", "03_normalize": "02_strip", "04_segment": "03_normalize",
         "05_keywords": "04_segment", "06_sentiment": "04_segment", "07_framing": "04_segment"}
ARTICLE_STAGES = list(READS)


def io_child(corpus: Path, out: Path) -> dict:
    """Seconds to import the figures' libraries, to parse each stage's input once, and to write
    each stage's records once (the records parsed beforehand, outside the timing)."""
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import pandas  # noqa: F401

    imports = time.perf_counter() - t0
    import orjson

    def lines(path: Path) -> list[bytes]:
        with open(path, "rb") as fh:
            return [line for line in fh.read().split(b"\n") if line.strip()]

    files = {"corpus": corpus, **{name: out / name / "articles.jsonl" for name in ARTICLE_STAGES}}
    read = 0.0
    for stage, source in READS.items():
        data = lines(files[source])
        t = time.perf_counter()
        for line in data:  # one record at a time, as the stages stream
            orjson.loads(line)
        read += time.perf_counter() - t
    write = 0.0
    with tempfile.TemporaryFile() as sink:
        for stage in ARTICLE_STAGES:
            data = lines(files[stage])
            for start in range(0, len(data), 2000):  # parsed in batches, so memory stays small
                batch = list(map(orjson.loads, data[start:start + 2000]))
                t = time.perf_counter()
                for record in batch:
                    sink.write(orjson.dumps(record) + b"\n")
                write += time.perf_counter() - t
    return {"stages": {"imports": imports, "read inputs": read, "write records": write}}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        print(json.dumps(io_child(Path(argv[1]), Path(argv[2]))))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPORA[0])
    p.add_argument("--limit", type=int, default=None, help="first N articles (default: all)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--hownet", type=Path, default=HOWNET, help="HowNet lexicon for the usual way (default: %(default)s)")
    args = p.parse_args(argv)
    import platform

    from pipeline.run import run_pipeline

    print(f"machine: {cpu_model()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        rows = read_rows(args.corpus, args.limit)
        subset = write_subset(rows, Path(tmp))
        mb = sum(len(r["text"].encode("utf-8")) for r in rows) / 1e6
        out = Path(tmp) / "out"  # the records whose reading and writing are timed
        run_pipeline(subset, out, jobs=1, use_cache=False, progress=False, warn=lambda m: None, log=lambda m: None)
        runs: dict[str, list[dict]] = {}
        for _ in range(args.repeats):  # interleaved, so drift hits every measurement alike
            runs.setdefault("usual", []).append(measure(["usual", str(subset), str(args.hownet)]))
            runs.setdefault("bare", []).append(measure(["bare", str(subset)]))
            runs.setdefault("pipeline", []).append(measure(["pipeline", str(subset), "1"]))
            runs.setdefault("io", []).append(measure([str(subset), str(out)], script=__file__))

    def med(name: str, key: str) -> float:
        return statistics.median(r["stages"][key] if key != "wall" else r["wall"] for r in runs[name])

    usual, pipeline = med("usual", "wall"), med("pipeline", "wall")
    tag = med("bare", "rjieba.tag")
    imports, read, write = med("io", "imports"), med("io", "read inputs"), med("io", "write records")
    print(f"\n== {args.corpus.name}: {len(rows):,} articles, {mb:.1f} MB of text, medians of {args.repeats}, one core")
    print(f"usual way {usual:.2f} s; bare rjieba.tag {med('bare', 'wall'):.2f} s (tagging {tag:.2f} s); "
          f"pipeline --jobs 1 {pipeline:.2f} s")
    budgets = {"5x the usual way's throughput": usual / 5, "2x bare rjieba.tag": 2 * med("bare", "wall")}
    print("budgets: " + "; ".join(f"{k}: at most {v:.2f} s" for k, v in budgets.items()))
    print(f"floor parts: tagging {tag:.2f}, reading each stage's input once {read:.2f}, "
          f"writing each stage's records once {write:.2f}, importing pandas and matplotlib {imports:.2f} s")
    floors = {"as built (each stage reads its upstream's records)": tag + read + write + imports,
              "fused (one pass per article, records written, never read back)": tag + write + imports}
    for name, floor in floors.items():
        print(f"floor, {name}: {floor:.2f} s")
        for goal, budget in budgets.items():
            left = budget - floor
            print(f"  {goal}: {left:+.2f} s left for stripping, normalising, sentiment, framing, keywords, "
                  f"figures and report (now: {pipeline - floor:.2f} s)")


if __name__ == "__main__":
    main()
