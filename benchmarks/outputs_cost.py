"""What the researcher-facing outputs cost at the end of a run (issue 21): the Parquet copies of
the large tables and the report's concordance, on a many-article corpus.

    python benchmarks/outputs_cost.py [CORPUS] [--articles 10000] [--chars 600] [--repeat 3]

Builds the corpus as benchmarks/many_groups.py does (its first N items, one outlet each), runs
the pipeline once, then times on that output, REPEAT times each (medians printed):
- ``parquet.write`` (every large table loaded from its stage files and written as Parquet);
- the report's article pass (``report.collect_articles``) with the concordance and without it
  (``kwic_terms_per_frame`` and ``kwic_distinctive_terms`` 0), side by side in one run;
and prints the Parquet files' sizes and the page's size with and without the concordance.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str]) -> int:
    from many_groups import build_and_run, parser

    from pipeline import api, parquet, report

    ap = parser(__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="outputs-cost-") as tmp:
        n, out, wall, done = build_and_run(args, Path(tmp))
        if done.returncode != 0:
            return done.returncode
        print(f"{n} articles, one outlet each; whole run {wall:.1f} s ({args.jobs} jobs)")
        t_parquet, names = _median_time(lambda: parquet.write(out, api.load), args.repeat)
        sizes = {p.stem: p.stat().st_size for p in (out / parquet.FOLDER).glob("*.parquet")}
        print(f"parquet.write: median {t_parquet:.2f} s over {args.repeat}; {len(names)} tables, "
              f"{sum(sizes.values()) / 1e6:.2f} MB: "
              + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(sizes.items())))
        inputs = {folder: out / folder for folder in report.STAGE.upstreams}
        params = {**report.STAGE.params}
        without = {**params, "kwic_terms_per_frame": 0, "kwic_distinctive_terms": 0}
        t_with, d_with = _median_time(lambda: report.collect_articles(inputs, params), args.repeat)
        t_without, d_without = _median_time(lambda: report.collect_articles(inputs, without), args.repeat)
        print(f"report article pass: with the concordance median {t_with:.2f} s, without {t_without:.2f} s "
              f"(ratio {t_with / t_without:.2f}); {len(d_with['kwic']['terms'])} concordance terms")
        pages = {}
        for label, data in (("with", d_with), ("without", d_without)):
            pages[label] = len(report.render_report({**report.collect(inputs, params if label == "with" else without,
                                                                       prepared=data)}).encode("utf-8"))
        print(f"report.html: {pages['with'] / 1e6:.2f} MB with the concordance, {pages['without'] / 1e6:.2f} MB without")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
