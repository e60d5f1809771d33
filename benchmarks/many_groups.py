"""What grows with the number of groups (issue 18, item 11): a corpus where every article has
its own outlet, run through the whole pipeline; prints wall time, peak memory and the sizes of
the tables and the page that grow with the groups.

    python benchmarks/many_groups.py [CORPUS] [--articles 10000] [--chars 600] [--jobs 2]

CORPUS defaults to ../shared/eval/corpora/cctv_xinwenlianbo.jsonl.gz: its first N items, cut
to CHARS characters, each given a distinct outlet (媒体00000, 媒体00001 ...).
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "eval" / "corpora" / "cctv_xinwenlianbo.jsonl.gz"


def build(source: Path, out: Path, n: int, chars: int) -> int:
    opener = gzip.open if source.name.endswith(".gz") else open
    written = 0
    with opener(source, "rt", encoding="utf-8") as fh, open(out, "w", encoding="utf-8") as dst:
        for line in fh:
            if written >= n:
                break
            row = json.loads(line)
            text = (row.get("text") or row.get("content") or "")[:chars]
            if text.strip():
                dst.write(json.dumps({"id": f"a{written}", "outlet": f"媒体{written:05d}", "text": text},
                                     ensure_ascii=False) + "\n")
                written += 1
    return written


def parser(description: str) -> argparse.ArgumentParser:
    """The options every many-groups benchmark takes (CORPUS, --articles, --chars, --jobs)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--chars", type=int, default=600)
    ap.add_argument("--jobs", type=int, default=2)
    return ap


def build_and_run(args: argparse.Namespace, tmp: Path) -> tuple[int, Path, float, subprocess.CompletedProcess]:
    """Build the corpus in ``tmp`` and run the whole pipeline on it in a subprocess:
    (articles, output folder, wall seconds, the finished process)."""
    corpus = tmp / "many_outlets.jsonl"
    n = build(args.corpus, corpus, args.articles, args.chars)
    out = tmp / "out"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--input", str(corpus), "--output", str(out),
                           "--jobs", str(args.jobs), "--no-progress"], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return n, out, time.perf_counter() - start, done


def main(argv: list[str]) -> int:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="many-groups-") as tmp:
        n, out, wall, done = build_and_run(args, Path(tmp))
        if done.returncode != 0:
            return done.returncode
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{n:,} articles, {n:,} outlets, {args.jobs} jobs: {wall:.1f} s, peak RSS of one process {peak:.0f} MB")
        for name in ("figures/outlet_similarity.csv", "figures/outlet_similarity_top.csv",
                     "05_keywords/distinctive.csv", "report.html"):
            path = out / name
            print(f"  {name}: {path.stat().st_size / 1e6:.2f} MB" if path.exists() else f"  {name}: not written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
