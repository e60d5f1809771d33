"""Draw the commentary sentences to be labelled for the sentiment evaluation (issue 19).

    .venv/bin/python benchmarks/commentary_sample.py [EVAL_DIR] [--out PATH] [--per-article 4]

The seed dev set (tests/fixtures/sentiment_dev.tsv) is 100 sentences of five articles about one
story: too few, and too alike, to tune on and report on. This draws a larger set of commentary
and news sentences from the real pages and corpora in ../shared/eval (none of them the seeds),
by a filter fixed before any sentence was read:

* sources: the main text of every page in ``html/portals_dev/`` (84 pages, 46 sites: business
  and tech commentary, portal news, Taiwan and Hong Kong papers), of ``html/readability_zh/``
  (4 pages), the cleaned text of ``html/cwce/`` (69 pages), and 120 articles of the Citizen
  News sample (``corpora/hkcnews_trad_sample.jsonl.gz``, the first 120 whose text is at least
  300 characters; Hong Kong news and opinion). Pages go through the pipeline's own ingest and
  strip; every text through normalize (simplified script), as the sentiment stage sees it;
* sentences of 15 to 150 characters with at least 60 % CJK characters;
* at most ``--per-article`` sentences per article, chosen by the SHA-1 of the sentence text
  (the lowest hashes), so that the choice does not depend on reading them.

Writes a TSV (id, source, text). The labels are added by readers who do not see the scorer,
its rules or its output (``benchmarks/data/commentary_labels.tsv``). That file holds the first two draws:

1. the default command above (1,020 sentences, all three parts of the split), each read twice
   and a third time where the two readings differ;
2. more training sentences, read once, appended after them: the same pages' further sentences
   and 480 more Citizen News articles, train part only, the first draw left out (3,028):

       commentary_sample.py --per-article 12 --per-hk 4 --hk-articles 120 600 \
           --exclude benchmarks/data/commentary_labels.tsv --part train

   (run on the file as it was before they were appended: the first draw's 1,020 rows);
3. ``benchmarks/data/commentary_labels_draw3.tsv`` (same columns; tried in session 10, see
   docs/benchmarks.md): more training sentences again, read once (3,959): every
   further sentence of the pages and 700 more Citizen News articles, 4 each, train part only,
   the first two draws left out:

       commentary_sample.py --per-article 30 --per-hk 4 --hk-articles 600 1300 \
           --exclude benchmarks/data/commentary_labels.tsv --part train

   (run on commentary_labels.tsv as it is);
4. ``commentary_labels_draw4.tsv`` and ``commentary_labels_draw5.tsv`` (session 11): the rest of the
   Citizen News sample, 4 sentences an article, train part only, every earlier draw left out (6,412
   and 6,623), read once; a check sample of 200 of each read a second time blind (agreement 0.945,
   κ 0.91 and 0.875, κ 0.79) and a third time where the two differ (a three-way split is neu):

       commentary_sample.py --per-article 0 --per-hk 4 --hk-articles 1300 3000 --part train \
           --exclude benchmarks/data/commentary_labels.tsv --exclude benchmarks/data/commentary_labels_draw3.tsv
       commentary_sample.py --per-article 0 --per-hk 4 --hk-articles 3000 4912 --part train \
           --exclude benchmarks/data/commentary_labels.tsv --exclude benchmarks/data/commentary_labels_draw3.tsv \
           --exclude benchmarks/data/commentary_labels_draw4.tsv
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

EVAL = ROOT.parent / "shared" / "eval"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _texts(eval_dir: Path, hk_articles: tuple[int, int] = (0, 120)):
    from pipeline import strip
    from portals import pipeline_page

    rules = strip.load_rules()
    portals = eval_dir / "html" / "portals_dev"
    for row in (json.loads(line) for line in (portals / "gold.jsonl").open(encoding="utf-8")):
        path = portals / "pages" / row["file"]
        if path.exists():
            yield f"portals_dev/{row['file']}", pipeline_page(row["file"], path.read_bytes(), rules)[1]
    for page in sorted((eval_dir / "html" / "readability_zh").glob("*/source.html")):
        yield f"readability_zh/{page.parent.name}", pipeline_page("source.html", page.read_bytes(), rules)[1]
    for page in sorted((eval_dir / "html" / "cwce" / "cleaned").glob("*.txt")):
        text = page.read_text(encoding="utf-8", errors="replace")
        yield f"cwce/{page.name}", re.sub(r"\n\s*\n", "", text)
    with gzip.open(eval_dir / "corpora" / "hkcnews_trad_sample.jsonl.gz", "rt", encoding="utf-8") as fh:
        taken = 0
        for line in fh:
            row = json.loads(line)
            text = row.get("text") or ""
            if len(text) < 300:
                continue
            if taken >= hk_articles[0]:
                yield f"hkcnews/{row.get('id', taken)}", text
            taken += 1
            if taken >= hk_articles[1]:
                break


def sample(eval_dir: Path, per_article: int, *, hk_articles: tuple[int, int] = (0, 120), per_hk: int | None = None,
           exclude: frozenset[str] = frozenset(), part: str | None = None) -> list[dict]:
    from pipeline import normalize
    from sentiment_data import part as part_of

    res = normalize.load_rules()
    out, seen = [], set(exclude)
    for source, raw in _texts(eval_dir, hk_articles):
        if not raw:
            continue
        text = normalize.normalize(raw, res)
        picked = []
        for sentence in normalize.split_sentences(text):
            s = sentence["text"]
            if not 15 <= len(s) <= 150 or len(CJK.findall(s)) < 0.6 * len(s) or s in seen:
                continue
            seen.add(s)
            if part is None or part_of(s) == part:
                picked.append((hashlib.sha1(s.encode("utf-8")).hexdigest(), s))
        limit = per_hk if per_hk is not None and source.startswith("hkcnews/") else per_article
        for digest, s in sorted(picked)[:limit]:
            out.append({"id": digest[:12], "source": source, "text": s})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dir", nargs="?", type=Path, default=EVAL)
    ap.add_argument("--out", type=Path, default=Path("commentary_sentences.tsv"))
    ap.add_argument("--per-article", type=int, default=4)
    ap.add_argument("--per-hk", type=int, help="at most this many per Citizen News article (default: --per-article)")
    ap.add_argument("--hk-articles", type=int, nargs=2, default=(0, 120), metavar=("FROM", "TO"),
                    help="the Citizen News articles taken (of those with at least 300 characters, in file order)")
    ap.add_argument("--exclude", type=Path, action="append", default=[],
                    help="a TSV with a text column whose sentences are left out (those already drawn)")
    ap.add_argument("--part", choices=("train", "dev", "test"),
                    help="keep only sentences of this part of sentiment_data's split")
    args = ap.parse_args(argv)
    exclude = set()
    for path in args.exclude:
        with path.open(encoding="utf-8", newline="") as fh:
            exclude.update(r["text"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = sample(args.eval_dir, args.per_article, hk_articles=tuple(args.hk_articles), per_hk=args.per_hk,
                  exclude=frozenset(exclude), part=args.part)
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, ["id", "source", "text"], delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} sentences -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
