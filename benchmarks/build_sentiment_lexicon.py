"""Build pipeline/resources/sentiment_lexicon.tsv from the general lexicons in ../shared/lexicons.

    .venv/bin/python benchmarks/build_sentiment_lexicon.py [LEXICON_DIR]

Sources (cntext 2.2.1 copies; original citations in pipeline/resources/README.md):
HowNet pos/neg, NTUSD positive/negative, Chinese Financial Sentiment Dictionary
(Jiang et al. 2019) pos/neg, Tsinghua praise/degrade. Each source votes +1 or -1 for a
word; a word is kept when the votes agree in sign (sum != 0, no source voting both ways
counted), with weight +-1.0 when at least two sources agree and +-0.75 when only one
lists it. One-character words need two agreeing sources. Only all-CJK entries are kept. Words that are modifiers (negators, degree adverbs, contrast words in
sentiment_modifiers.tsv) are left out: the scorer handles them as modifiers. So are the
segment stage's stopwords (pipeline/resources/stopwords.txt): function words such as 和, 是,
对, 上, 要, 通过 that HowNet or NTUSD list with a polarity but that carry none in news.
Not used: the Chinese Loughran-McDonald list (machine-translated; it lists 不 as negative)
and DUTIR (emotion categories, not polarity).

Output columns: term, weight, sources (comma-separated short names). Sorted by term.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = ROOT.parent / "shared" / "lexicons"
OUT = ROOT / "pipeline" / "resources" / "sentiment_lexicon.tsv"
MODIFIERS = ROOT / "pipeline" / "resources" / "sentiment_modifiers.tsv"
STOPWORDS = ROOT / "pipeline" / "resources" / "stopwords.txt"  # the segment stage's list

SOURCES = {  # short name -> (file, positive key, negative key)
    "hownet": ("zh_common_HowNet.yaml", "pos", "neg"),
    "ntusd": ("zh_common_NTUSD.yaml", "positive", "negative"),
    "finsenti": ("zh_common_FinanceSenti.yaml", "pos", "neg"),
    "tsinghua": ("zh_common_TsinghuaPraiseDegrade.yaml", "praise", "degrade"),
}
SINGLE_SOURCE_WEIGHT = 0.75
CJK_WORD = re.compile(r"^[\u4e00-\u9fff]+$")  # drops stray entries such as "##new addd"


def build(lex_dir: Path, modifiers: set[str]) -> list[tuple[str, float, str]]:
    votes: dict[str, dict[str, int]] = defaultdict(dict)
    for name, (fname, pos_key, neg_key) in SOURCES.items():
        data = yaml.safe_load((lex_dir / fname).read_text(encoding="utf-8"))["Dictionary"]
        for key, sign in ((pos_key, 1), (neg_key, -1)):
            for word in data[key]:
                word = str(word).strip()
                if CJK_WORD.match(word):
                    votes[word][name] = votes[word].get(name, 0) + sign
    rows = []
    for word, by_source in votes.items():
        if word in modifiers:
            continue
        signs = [1 if v > 0 else -1 for v in by_source.values() if v != 0]
        if not signs or len(set(signs)) > 1:
            continue  # listed both ways: ambiguous, left out
        if len(word) == 1 and len(signs) < 2:
            continue  # one-character words are too ambiguous on one source's word (仁, 乐, 泛, 混)
        weight = (1.0 if len(signs) >= 2 else SINGLE_SOURCE_WEIGHT) * signs[0]
        rows.append((word, weight, ",".join(sorted(n for n, v in by_source.items() if v != 0))))
    return sorted(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lex_dir = Path(argv[0]) if argv else DEFAULT_DIR
    modifiers = set()
    for line in MODIFIERS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and not line.startswith("term\t"):
            modifiers.add(line.split("\t")[0])
    for line in STOPWORDS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            modifiers.add(line.strip())
    rows = build(lex_dir, modifiers)
    lines = ["term\tweight\tsources"] + [f"{t}\t{w:g}\t{s}" for t, w, s in rows]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pos = sum(1 for _, w, _ in rows if w > 0)
    print(f"{OUT}: {len(rows)} terms ({pos} positive, {len(rows) - pos} negative)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
