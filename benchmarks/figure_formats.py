"""What the story's ``[figures] formats`` saves (issue 22): the plots stage with every format against
PNG alone, on a finished run's output folder.

    python benchmarks/figure_formats.py [OUTPUT_DIR] [--repeats 3]

OUTPUT_DIR: the output of ``python -m pipeline run`` (default ``outputs``, what ``make pipeline`` writes; session 13 used the first 6,000 articles of
``../shared/eval/corpora/cctv_xinwenlianbo.jsonl.gz``, written as benchmarks/throughput.py writes its
subsets). Each round runs the stage in a fresh process per setting, the settings interleaved, and
takes the process's CPU seconds (imports included, as a run's worker pays them); medians printed.
The figures are written to a temporary folder, never into OUTPUT_DIR. Prints figures; not a test.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"png, svg, pdf (default)": None, "png alone": ["png"]}

_CHILD = """
import json, sys, tempfile, time
from pathlib import Path
start = time.process_time()
from pipeline import plots
out, formats = Path(sys.argv[1]), json.loads(sys.argv[2])
params = dict(plots.DEFAULT_PARAMS, **({"formats": formats} if formats else {}))
with tempfile.TemporaryDirectory() as folder:
    plots.run_stage({k: out / k for k in (plots.KEYWORDS, plots.SENTIMENT, plots.FRAMING)}, Path(folder), params)
print(time.process_time() - start)
"""


def cpu_seconds(output: Path, formats) -> float:
    import json

    done = subprocess.run([sys.executable, "-c", _CHILD, str(output), json.dumps(formats)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("output", type=Path, nargs="?", default=ROOT / "outputs", help="a finished run's output folder")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    if not (args.output / "06_sentiment").is_dir():
        print(f"error: {args.output}: not a finished run's output folder (no 06_sentiment/; run `make pipeline` first)", file=sys.stderr)
        return 2
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for _ in range(args.repeats):
        for name, formats in SETTINGS.items():
            times[name].append(cpu_seconds(args.output.resolve(), formats))
    for name, values in times.items():
        print(f"{name:24s} {statistics.median(values):6.2f} CPU s (median of {len(values)}: "
              + ", ".join(f"{v:.2f}" for v in values) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
