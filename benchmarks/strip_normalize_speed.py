"""Throughput of strip + normalize (one process), in MB of UTF-8 input per second.

    .venv/bin/python benchmarks/strip_normalize_speed.py [--repeat N] [--corpus PATH.jsonl.gz] [--limit N]

Default input: the seeds, repeated N times (resources loaded once, as in a worker).
With --corpus: a gzipped JSON Lines file with a "text" field (e.g. ../shared/eval/corpora/...).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from pipeline import normalize, strip
    from pipeline.config import SEEDS
    from pipeline.runner import Skip

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.corpus:
        with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
            texts = [json.loads(line)["text"] for _, line in zip(range(args.limit), fh)]
        label = f"{args.corpus.name} ({len(texts)} articles)"
    else:
        texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))] * args.repeat
        label = f"seeds x{args.repeat}"
    t = time.perf_counter()
    rules, res = strip.load_resources({}), normalize.load_resources({})
    normalize.process_record({"id": "w", "source": "w", "text": "預熱"}, res)  # lazy tables
    load = time.perf_counter() - t
    size = sum(len(x.encode("utf-8")) for x in texts)
    timings = {"strip": 0.0, "normalize": 0.0}
    for i, text in enumerate(texts):
        record = {"id": str(i), "source": str(i), "outlet": "", "title": "", "text": text}
        t = time.perf_counter()
        try:
            record = strip.process_record(record, rules)
        except Skip:
            continue
        t2 = time.perf_counter()
        normalize.process_record(record, res)
        timings["strip"] += t2 - t
        timings["normalize"] += time.perf_counter() - t2
    total = sum(timings.values())
    print(f"{label}: {size / 1e6:.2f} MB; resources {load:.2f} s; strip {size / 1e6 / timings['strip']:.1f} MB/s, "
          f"normalize {size / 1e6 / timings['normalize']:.2f} MB/s, both {size / 1e6 / total:.2f} MB/s "
          f"({len(texts) / total:.0f} articles/s, one process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
