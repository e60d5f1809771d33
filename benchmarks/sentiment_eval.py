"""Validate the sentiment methods: accuracy and ROC AUC on held-out financial news, and the dev set.

    .venv/bin/python benchmarks/sentiment_eval.py [DATA_DIR] [--dev PATH]

DATA_DIR defaults to ../shared/eval/sentiment relative to the repository root. Files:

* fin_news_2400.csv (日期,公司,代码,正负面,标题,正文; 1,200 positive / 1,200 negative): the
  held-out test. Titles and bodies are scored separately; a body is split into sentences on
  。！？ and line breaks and its score is the mean sentence score (the stage's article rule).
  Nothing is fitted or tuned on it; the decision rule is fixed in advance: pos iff score > 0.
* fin_news_titles_7046.csv: used only to fit the logistic regression, after dropping every
  title that also appears in fin_news_2400.csv (whitespace ignored); its remaining rows are
  reported too, as the "tune" file, for the methods not fitted on it.
* tests/fixtures/sentiment_dev.tsv: 100 sentences from the seed articles, labelled by reading
  (pos / neu / neg: does it portray its subject favourably, unfavourably, or neither), split
  50 tune / 50 report. 3-class accuracy and macro-F1 (neu when |score| < the stage's neutral
  band) and binary accuracy on the pos and neg sentences (pos iff score > 0).

Methods: lexicon (the stage's default: general + domain lexicon, negation, degree, contrast),
lexicon without the domain lexicon, a HowNet word count (positive minus negative HowNet words,
no modifiers) as the peer baseline, and logistic regression on token uni- and bigrams.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import sentiment  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "sentiment"
DEFAULT_LEXICONS = ROOT.parent / "shared" / "lexicons"
DEFAULT_DEV = ROOT / "tests" / "fixtures" / "sentiment_dev.tsv"
_WS = re.compile(r"\s+")


def uni_bigrams(tokens: list[str]) -> list[str]:
    """Analyzer for the logistic regression: tokens and adjacent token pairs (module-level: picklable)."""
    words = [t for t in tokens if t.strip()]
    return words + [a + "_" + b for a, b in zip(words, words[1:])]


class Methods:
    def __init__(self, lexicons: Path):
        self.default = sentiment.TextScorer()
        self.no_domain = sentiment.TextScorer({"domain": False})
        hownet = yaml.safe_load((lexicons / "zh_common_HowNet.yaml").read_text(encoding="utf-8"))["Dictionary"]
        self.hn_pos, self.hn_neg = set(hownet["pos"]), set(hownet["neg"])
        self.logreg = None

    # each method: text -> score in [-1, 1]
    def hownet_sentence(self, text: str) -> float:
        toks = self.default.tokens(text)
        p = sum(t in self.hn_pos for t in toks)
        n = sum(t in self.hn_neg for t in toks)
        return (p - n) / (p + n) if p + n else 0.0

    def fit_logreg(self, texts: list[str], labels: list[int]) -> None:
        vec = TfidfVectorizer(analyzer=uni_bigrams, sublinear_tf=True, min_df=2)
        X = vec.fit_transform([self.default.tokens(t) for t in texts])
        clf = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(X, labels)
        self.logreg = (vec, clf)

    def logreg_sentence(self, text: str) -> float:
        vec, clf = self.logreg
        return float(2 * clf.predict_proba(vec.transform([self.default.tokens(text)]))[0, 1] - 1)

    def table(self) -> dict:
        out = {
            "lexicon (default)": (lambda t: self.default.sentence(t).score, self.default.document),
            "lexicon, no domain": (lambda t: self.no_domain.sentence(t).score, self.no_domain.document),
            "HowNet word count": (self.hownet_sentence, lambda t: _doc_mean(self, self.hownet_sentence, t)),
        }
        if self.logreg is not None:
            out["logistic regression"] = (self.logreg_sentence, lambda t: _doc_mean(self, self.logreg_sentence, t))
        return out


def _doc_mean(m: Methods, fn, text: str) -> float:
    parts = [p.strip() for p in sentiment._SENTENCE_END.split(text) if p and p.strip()]
    scores = [fn(p) for p in parts]
    return sum(scores) / len(scores) if scores else 0.0


def binary(scores, gold) -> tuple[float, float]:
    s, y = np.asarray(scores, dtype=float), np.asarray(gold, dtype=int)
    return float(((s > 0).astype(int) == y).mean()), float(roc_auc_score(y, s))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--lexicons", type=Path, default=DEFAULT_LEXICONS)
    ap.add_argument("--dev", type=Path, default=DEFAULT_DEV)
    args = ap.parse_args(argv)

    test = pd.read_csv(args.data / "fin_news_2400.csv", dtype={"标题": str, "正文": str}, keep_default_na=False)
    titles = pd.read_csv(args.data / "fin_news_titles_7046.csv", dtype={"标题": str}, keep_default_na=False)
    held = {_WS.sub("", t) for t in test["标题"]}
    keep = ~titles["标题"].map(lambda t: _WS.sub("", t)).isin(held)
    tune = titles[keep].reset_index(drop=True)
    print(f"fin_news_titles_7046.csv: {len(titles)} titles, {int((~keep).sum())} also in fin_news_2400.csv "
          f"dropped, {len(tune)} kept ({int(tune['正/负面'].sum())} positive)", file=sys.stderr)
    dev = pd.read_csv(args.dev, sep="\t", dtype=str, keep_default_na=False)

    m = Methods(args.lexicons)
    m.fit_logreg(list(tune["标题"]), list(tune["正/负面"].astype(int)))
    neutral = sentiment.DEFAULT_PARAMS["neutral"]
    rows = []
    for name, (sent_fn, doc_fn) in m.table().items():
        row = {"method": name}
        row["titles acc"], row["titles AUC"] = binary([sent_fn(t) for t in test["标题"]], test["正负面"])
        row["bodies acc"], row["bodies AUC"] = binary([doc_fn(t) for t in test["正文"]], test["正负面"])
        if name != "logistic regression":
            row["tune7046 acc"], row["tune7046 AUC"] = binary([sent_fn(t) for t in tune["标题"]], tune["正/负面"])
        for split in ("tune", "report", "all"):
            d = dev if split == "all" else dev[dev["split"] == split]
            scores = [sent_fn(t) for t in d["text"]]
            pred = [sentiment.label_for(s, neutral=neutral) for s in scores]
            gold = list(d["label"])
            row[f"dev {split} acc3"] = float(np.mean([p == g for p, g in zip(pred, gold)]))
            row[f"dev {split} F1"] = float(f1_score(gold, pred, labels=["neg", "neu", "pos"], average="macro"))
            pn = [(s, g) for s, g in zip(scores, gold) if g != "neu"]
            row[f"dev {split} acc2"] = float(np.mean([(s > 0) == (g == "pos") for s, g in pn]))
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("method")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print("fin_news_2400.csv (held out; pos iff score > 0):")
        print(frame[["titles acc", "titles AUC", "bodies acc", "bodies AUC"]])
        print("\nfin_news_titles_7046.csv minus overlap (tune file; the logistic regression is fitted on it):")
        print(frame[["tune7046 acc", "tune7046 AUC"]].dropna())
        print(f"\n{args.dev.name} (3-class neutral band |score| < {neutral}; acc2 = pos vs neg sentences only):")
        for split in ("tune", "report", "all"):
            print(frame[[f"dev {split} acc3", f"dev {split} F1", f"dev {split} acc2"]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
