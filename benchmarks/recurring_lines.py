"""Benchmark: the cross-document recurring-lines rule on one-site corpora of plain text.

    .venv/bin/python benchmarks/recurring_lines.py [CORPORA_DIR]

CORPORA_DIR (default ../shared/eval/corpora) holds ``cctv_xinwenlianbo.jsonl.gz`` (CCTV
transcripts: every line is story text, no boilerplate) and ``hkcnews_trad_sample.jsonl.gz``
(Citizen News articles as Markdown, with the site's standing lines). Each is one site, the
case the rule (``pipeline.recurring``) is for and the case it can hurt: a corpus about one
story, where articles of one outlet share sentences, quotes and subheads. For each corpus
and for story subsets (the articles whose title names a topic), in one run: how many lines
the rule finds, and how many lines of the articles strip would then remove as ``recurring``
(prose paragraphs are never removed for recurring), with the commonest. On the CCTV
transcripts every removed line is a body line lost. ``benchmarks/portals.py`` measures the
same rule on the HTML development pages against their gold text.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DIR = ROOT.parent / "shared" / "eval" / "corpora"
SUBSETS = {"cctv_xinwenlianbo.jsonl.gz": ("长江", "疫情", "冬奥", "台湾", "经济"),
           "hkcnews_trad_sample.jsonl.gz": ("國安法", "疫情", "選舉", "政府")}


def removed_lines(texts: list[str]) -> tuple[int, Counter]:
    """(lines the rule finds, Counter of the lines strip removes as recurring) for one site's articles."""
    from pipeline import recurring, strip

    found = recurring.recurring({"site": "one site", "text": t} for t in texts).get("one site", {})
    gone: Counter = Counter()
    for text in texts:
        for line in text.split("\n"):
            if recurring.line_key(line) in found and not strip.looks_like_body(line.strip()):
                gone[recurring.line_key(line)] += 1
    return len(found), gone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    for name, topics in SUBSETS.items():
        path = args.corpora_dir / name
        if not path.is_file():
            print(f"{path}: not found, skipped")
            continue
        rows = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8") if line.strip()]
        print(f"{name}: {len(rows)} articles of one site")
        subsets = [(f"title has {t}", [r for r in rows if t in (r.get("title") or "")]) for t in topics]
        for label, part in [*subsets, ("first 50", rows[:50]), ("first 500", rows[:500]), ("all", rows)]:
            found, gone = removed_lines([r.get("text") or "" for r in part])
            lines = sum((r.get("text") or "").count("\n") + 1 for r in part)
            common = ", ".join(f"{line[:30]!r} ×{n}" for line, n in gone.most_common(3))
            print(f"  {label:<14} {len(part):>6} articles {lines:>7} lines: {found} recurring lines found, "
                  f"{sum(gone.values())} lines removed{': ' + common if common else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
