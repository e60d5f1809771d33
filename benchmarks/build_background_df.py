"""Build pipeline/resources/background_df.tsv.gz: document frequencies from a background corpus.

    .venv/bin/python benchmarks/build_background_df.py [CORPORA_DIR] [--min-df 3] [--out PATH]

CORPORA_DIR defaults to ../shared/eval/corpora relative to the repository root. Each item
(title + text) is one document; Hong Kong items are converted to simplified Chinese with
OpenCC t2s first. Tokens come from the segment stage itself (``Tokenizer.tokens`` with the stage's
parameters, user dictionary and stopwords), and only content tokens (``is_content == 1``)
are counted, exactly as the keywords stage counts them. The output is gzip'd TSV, deterministic
(mtime 0, terms sorted by df desc then term), with a header line:

    # n_docs=<N>	min_df=<m>	sources=<files>
    term	df
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import keywords, segment  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "eval" / "corpora"
SOURCES = (("cctv_xinwenlianbo.jsonl.gz", False), ("hkcnews_trad_sample.jsonl.gz", True))

_STATE: dict = {}


def _init() -> None:
    import opencc

    _STATE["seg"] = segment.load_resources(segment.STAGE.params)
    _STATE["t2s"] = opencc.OpenCC("t2s")


def _doc_terms(item: tuple[str, bool]) -> list[str]:
    text, traditional = item
    if traditional:
        text = _STATE["t2s"].convert(text)
    return sorted({tok[0] for tok in _STATE["seg"].tokens(text) if tok[4]})


def _items(corpora: Path):
    for name, traditional in SOURCES:
        with gzip.open(corpora / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                text = f"{obj.get('title') or ''}\n{obj.get('text') or ''}".strip()
                if text:
                    yield text, traditional


def build(corpora: Path, *, min_df: int, jobs: int) -> tuple[int, Counter]:
    df: Counter = Counter()
    n_docs = 0
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_init) as pool:
        for terms in pool.imap(_doc_terms, _items(corpora), chunksize=64):
            df.update(terms)
            n_docs += 1
    return n_docs, Counter({t: c for t, c in df.items() if c >= min_df})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="?", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--min-df", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=keywords.BACKGROUND_PATH)
    args = ap.parse_args(argv)
    n_docs, df = build(args.corpora, min_df=args.min_df, jobs=args.jobs)
    buf = io.StringIO()
    buf.write(f"# n_docs={n_docs}\tmin_df={args.min_df}\tsources={','.join(n for n, _ in SOURCES)}\n")
    buf.write("term\tdf\n")
    for term, count in sorted(df.items(), key=lambda kv: (-kv[1], kv[0])):
        buf.write(f"{term}\t{count}\n")
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(raw.getvalue())
    print(f"{args.out}: {n_docs} documents, {len(df)} terms with df >= {args.min_df}, "
          f"{len(raw.getvalue())} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
