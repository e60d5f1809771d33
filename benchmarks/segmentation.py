"""Segmentation benchmark: word-level P/R/F1 on SIGHAN 2005 (PKU, MSR) and speed, per backend.

    .venv/bin/python benchmarks/segmentation.py [DATA_DIR] [--repeats 5] [--corpus CCTV.jsonl.gz]

DATA_DIR holds pku_test.utf8, pku_test_gold.utf8, msr_test.utf8, msr_test_gold.utf8
(default: ../shared/eval/segmentation beside the repository). Scoring follows the SIGHAN
script's definition (a word is right when both its boundaries are): each test line is
segmented on its own, then words become character spans over the whole file with all
whitespace removed. The gold files say the same characters in the same order, but in 16
MSR lines an opening quote sits at the end of the previous gold line; whole-file spans make
that quirk harmless without touching the data.

Speed is CPU time of this one process (= per core, and robust to other load on the machine),
median over --repeats runs, in MB of UTF-8 per second. Tokenizers with a memo (rjieba's
word -> tag, is_content) start cold in every timed run, as a fresh worker would:
on the seed articles (traditional, converted with OpenCC t2s as the normalize stage does) and,
for the stage's throughput against bare ``rjieba.tag``, on the first --items items of the
CCTV corpus. Not a test: it prints tables for the README.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import segment  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/eval/segmentation"
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared/eval/corpora/cctv_xinwenlianbo.jsonl.gz"
PUBLISHED = {"pku": 81.8, "msr": 81.3}  # jieba's published F1 (SIGHAN 2005 scoring)
WHITESPACE = re.compile(r"\s+")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

# name -> (backend, user dictionary and protect pass?)
CONFIGS = {
    "jieba": ("jieba", False),
    "jieba + ours": ("jieba", True),
    "rjieba": ("rjieba", False),
    "rjieba + ours": ("rjieba", True),
}


def read_lines(path: Path) -> list[str]:
    # CRLF files: split on the line ends ourselves so no '\r' survives
    return Path(path).read_text(encoding="utf-8").splitlines()


def spans(words) -> set[tuple[int, int]]:
    """Character spans of non-whitespace words over the text with all whitespace removed."""
    lengths = [len(WHITESPACE.sub("", w)) for w in words]
    ends = list(accumulate(lengths))
    return {(e - n, e) for n, e in zip(lengths, ends) if n}


def score(predicted: set, gold: set) -> dict:
    right = len(predicted & gold)
    p, r = right / len(predicted), right / len(gold)
    return {"P": 100 * p, "R": 100 * r, "F1": 200 * p * r / (p + r)}


def evaluate(cut, lines: list[str], gold_lines: list[str]) -> dict:
    predicted = spans(w for line in lines for w in cut(line))
    gold = spans(w for line in gold_lines for w in line.split())
    return score(predicted, gold)


def median_seconds(fn, repeats: int, *, setup=None) -> float:
    """Median CPU seconds of ``fn(setup())``: per-core cost, robust to other processes on the machine."""
    times = []
    for _ in range(repeats):
        arg = setup() if setup else None
        t0 = time.process_time()
        fn(arg) if setup else fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def mb_per_s(nbytes: int, seconds: float) -> float:
    return nbytes / 1e6 / seconds


def seed_texts() -> list[str]:
    import opencc

    t2s = opencc.OpenCC("t2s")
    return [t2s.convert(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "seeds").glob("*.txt"))]


def as_normalized(i: int, text: str) -> dict:
    """A record shaped like 03_normalize's output (sentences cut at 。！？；and line ends)."""
    sentences, start = [], 0
    for piece in SENTENCE_END.split(text):
        if piece.strip():
            sentences.append({"index": len(sentences), "text": piece, "start": start, "end": start + len(piece)})
        start += len(piece)
    return {"id": str(i), "source": f"bench/{i}", "outlet": "bench", "title": "", "text": text,
            "sentences": sentences}


def read_corpus(path: Path, n: int) -> list[str]:
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if len(texts) >= n:
                break
            texts.append(json.loads(line)["text"])
    return texts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--skip-f1", action="store_true")
    args = ap.parse_args(argv)

    def make(name: str) -> segment.Tokenizer:
        backend, ours = CONFIGS[name]
        return segment.Tokenizer(backend=backend, userdict=segment.USERDICT_PATH if ours else None,
                                 protect=ours).load()

    tokenizers = {name: make(name) for name in CONFIGS}

    if not args.skip_f1:
        sets = {s: (read_lines(args.data_dir / f"{s}_test.utf8"), read_lines(args.data_dir / f"{s}_test_gold.utf8"))
                for s in ("pku", "msr")}
        print(f"## Word segmentation F1, SIGHAN 2005 ({args.data_dir})\n")
        print("| tokenizer | mode | PKU P | PKU R | PKU F1 | MSR P | MSR R | MSR F1 |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| jieba, published | cut | | | {PUBLISHED['pku']} | | | {PUBLISHED['msr']} |")
        for name, tok in tokenizers.items():
            for mode in ("cut", "tag"):
                fn = tok.cut if mode == "cut" else (lambda text, tok=tok: tok.tagged(text)[0])
                row = [evaluate(fn, *sets[s]) for s in ("pku", "msr")]
                cells = " | ".join(f"{r[k]:.1f}" for r in row for k in ("P", "R", "F1"))
                print(f"| {name} | {mode} | {cells} |", flush=True)
        print()

    seeds = seed_texts()
    seed_bytes = sum(len(t.encode("utf-8")) for t in seeds)
    print(f"## Speed on the seeds ({len(seeds)} articles, {seed_bytes / 1e6:.3f} MB simplified), "
          f"median of {args.repeats}, one core, MB/s\n")
    print("| tokenizer | cut | tag (POS) | tokens with offsets + is_content |")
    print("|---|---|---|---|")
    for name, tok in tokenizers.items():
        slow = tok.backend == "jieba"
        reps = max(1, args.repeats // 2) if slow else args.repeats
        fresh = (lambda name=name: make(name)) if not slow else (lambda tok=tok: tok)
        cut = median_seconds(lambda: [tok.cut(t) for t in seeds], reps)
        tag = median_seconds(lambda fresh_tok: [fresh_tok.tag(t) for t in seeds], reps, setup=fresh)
        full = median_seconds(lambda fresh_tok: [fresh_tok.tokens(t) for t in seeds], reps, setup=fresh)
        print(f"| {name} | {mb_per_s(seed_bytes, cut):.2f} | {mb_per_s(seed_bytes, tag):.2f} "
              f"| {mb_per_s(seed_bytes, full):.2f} |", flush=True)
    print()

    corpora = {"seeds": seeds}
    if args.corpus.exists():
        corpora[f"{args.corpus.name}, first {args.items}"] = read_corpus(args.corpus, args.items)
    print(f"## Stage throughput: process_record (default: {segment.PARAMS}) vs bare rjieba.tag, "
          f"median of {args.repeats}, one core\n")
    print("| data | MB | bare rjieba.tag MB/s | process_record MB/s | ratio (time) |")
    print("|---|---|---|---|---|")
    import rjieba

    bare = rjieba.Jieba()
    for label, texts in corpora.items():
        recs = [as_normalized(i, t) for i, t in enumerate(texts)]
        nbytes = sum(len(t.encode("utf-8")) for t in texts)
        t_bare = median_seconds(lambda: [bare.tag(t) for t in texts], args.repeats)
        t_stage = median_seconds(lambda tok: [segment.process_record(r, tok) for r in recs], args.repeats,
                                 setup=lambda: segment.load_resources(segment.PARAMS))
        print(f"| {label} | {nbytes / 1e6:.2f} | {mb_per_s(nbytes, t_bare):.2f} | {mb_per_s(nbytes, t_stage):.2f} "
              f"| {t_stage / t_bare:.2f} |", flush=True)


if __name__ == "__main__":
    main()
