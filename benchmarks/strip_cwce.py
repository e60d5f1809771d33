"""Benchmark: boilerplate removal on the CWCE pages, against the hand-made gold text.

    .venv/bin/python benchmarks/strip_cwce.py [DATA_DIR] [--details]

DATA_DIR (default ../shared/eval/html/cwce from the repository root) holds original/*.html
and cleaned/*.txt with the same stems. For every page, in the same run:

- ``trafilatura``: ``trafilatura.extract`` with its defaults on the decoded page;
- ``ingest``: the pipeline's HTML extraction alone (``pipeline.ingest.extract_html``);
- ``ingest+strip``: that extraction followed by the strip stage.

Score: character-level precision, recall and F1 over the *multiset of non-whitespace
characters* (bag of characters: a character counts as matched as often as it occurs in
both texts, wherever it occurs). Micro: totals over all pages; macro: mean of per-page
scores (an empty extraction scores 0 precision and 0 recall). Whitespace is ignored
because the gold files wrap lines at arbitrary points.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "html" / "cwce"


def char_counts(text: str) -> Counter:
    return Counter(ch for ch in text if not ch.isspace())


def prf(pred: Counter, gold: Counter) -> tuple[int, int, int]:
    """(matched, predicted, gold) character counts."""
    return sum((pred & gold).values()), sum(pred.values()), sum(gold.values())


def scores(matched: int, predicted: int, gold: int) -> tuple[float, float, float]:
    p = matched / predicted if predicted else 0.0
    r = matched / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)


def decode_page(data: bytes) -> tuple[str, bool]:
    """The page as text, as ingest decodes it; (text, fell_back).

    Where ingest gives up on the bytes, fall back to the page's meta charset (GBK pages
    as GB18030) with replacement characters, so both methods still see the same page.
    """
    from pipeline.ingest import clean_text, decode
    from pipeline.runner import Skip

    try:
        text, _ = decode(data)
        return clean_text(text), False
    except Skip:
        m = _META_CHARSET.search(data[:4096])
        enc = m.group(1).decode("ascii").lower() if m else "gb18030"
        if enc in ("gb2312", "gbk", "gb_2312-80"):
            enc = "gb18030"
        try:
            return clean_text(data.decode(enc, errors="replace")), True
        except LookupError:
            return clean_text(data.decode("gb18030", errors="replace")), True


def extract_ingest(html: str) -> str:
    from pipeline.ingest import clean_text, extract_html

    text, _meta = extract_html(html)
    return clean_text(text)


def run(data_dir: Path, *, details: bool = False) -> dict[str, dict]:
    import trafilatura

    from pipeline import strip

    rules = strip.load_rules()
    methods = ("trafilatura", "ingest", "ingest+strip")
    per_page: dict[str, list[tuple[int, int, int]]] = {m: [] for m in methods}
    seconds = Counter()
    fallbacks = 0
    pages = sorted((data_dir / "original").glob("*.html"))
    for page in pages:
        gold = char_counts((data_dir / "cleaned" / f"{page.stem}.txt").read_text(encoding="utf-8", errors="replace"))
        html, fell_back = decode_page(page.read_bytes())
        fallbacks += fell_back
        t = time.perf_counter()
        outputs = {"trafilatura": trafilatura.extract(html) or ""}
        seconds["trafilatura"] += time.perf_counter() - t
        t = time.perf_counter()
        outputs["ingest"] = extract_ingest(html)
        seconds["ingest"] += time.perf_counter() - t
        t = time.perf_counter()
        outputs["ingest+strip"] = strip.strip(outputs["ingest"], rules)
        seconds["strip"] += time.perf_counter() - t
        for m in methods:
            per_page[m].append(prf(char_counts(outputs[m]), gold))
        if details:
            row = "  ".join(f"{m} F1={scores(*per_page[m][-1])[2]:.3f}" for m in methods)
            print(f"{page.stem}  {row}")
    result = {}
    for m in methods:
        micro = scores(*(sum(col) for col in zip(*per_page[m])))
        per = [scores(*x) for x in per_page[m]]
        macro = tuple(sum(col) / len(per) for col in zip(*per))
        result[m] = {"micro": micro, "macro": macro, "pages": len(per)}
    result["_seconds"] = dict(seconds)
    result["_fallbacks"] = fallbacks
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--details", action="store_true", help="print F1 per page")
    args = parser.parse_args(argv)
    if not (args.data_dir / "original").is_dir():
        parser.error(f"{args.data_dir}/original not found")
    result = run(args.data_dir, details=args.details)
    seconds = result.pop("_seconds")
    fallbacks = result.pop("_fallbacks")
    n = next(iter(result.values()))["pages"]
    print(f"CWCE, {n} pages, character multiset P/R/F1 (non-whitespace)  data: {args.data_dir}")
    print(f"{'method':<14} {'micro P':>8} {'micro R':>8} {'micro F1':>9} {'macro P':>8} {'macro R':>8} {'macro F1':>9}")
    for m, s in result.items():
        (mp, mr, mf), (ap, ar, af) = s["micro"], s["macro"]
        print(f"{m:<14} {mp:8.3f} {mr:8.3f} {mf:9.3f} {ap:8.3f} {ar:8.3f} {af:9.3f}")
    print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()))
    print(f"pages ingest's decode() gave up on, decoded by their meta charset instead: {fallbacks}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
