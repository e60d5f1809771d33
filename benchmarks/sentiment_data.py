"""The labelled sentiment data and its fixed split, shared by train_sentiment.py and sentiment_eval.py.

Every item goes to ``train``, ``dev`` or ``test`` by the SHA-1 of its whitespace-free text
(buckets 0-5 / 6-7 / 8-9 of ten), so a text repeated in a file, or in two files, always lands in
the same part, and the split never depends on file order or on a random seed. The model is fitted
on ``train``; its settings (regularisation, neutral band, the default method) are chosen on
``dev``; ``test`` is only reported. fin_news_2400.csv is held out whole, and the titles it shares
with fin_news_titles_7046.csv are dropped from the latter.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "sentiment"
DEFAULT_DEV = ROOT / "tests" / "fixtures" / "sentiment_dev.tsv"
DEFAULT_COMMENTARY = ROOT / "benchmarks" / "data" / "commentary_labels.tsv"
# Every file of labelled commentary the model trains on (their train part): the first two draws, whose
# dev and test parts are the evaluation's, and the later draws (train part only; commentary_sample.py)
COMMENTARY_TRAIN = (DEFAULT_COMMENTARY, *(DEFAULT_COMMENTARY.with_name(f"commentary_labels_draw{n}.tsv") for n in (3, 4, 5)))
_WS = re.compile(r"\s+")
LABELS = {-1: "neg", 0: "neu", 1: "pos"}


def part(text: str) -> str:
    bucket = int(hashlib.sha1(_WS.sub("", text).encode("utf-8")).hexdigest()[:8], 16) % 10
    return "train" if bucket < 6 else "dev" if bucket < 8 else "test"


def cfsc(data: Path = DEFAULT_DATA) -> list[dict]:
    """Sentences with their targets: text, targets [(target, label -1/0/1)] (repeats dropped), sentence_label, part."""
    out = []
    for line in (Path(data) / "cfsc_absa_part.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        seen, targets = set(), []
        for t in r["targets"]:
            if t["target"] not in seen:
                seen.add(t["target"])
                targets.append((t["target"], int(t["label"])))
        out.append({"text": r["text"], "targets": targets, "sentence_label": r["sentence_label"],
                    "part": part(r["text"])})
    return out


def bdci(data: Path = DEFAULT_DATA) -> list[dict]:
    """Texts with the entities that occur in them: text, entities [(entity, negative 0/1)], part.
    Of nested names only the longest is labelled in the source, so a name inside another listed
    name of the same text is dropped."""
    out, seen = [], set()
    for line in (Path(data) / "bdci2019_fin_entity_part.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        if r["text"] in seen:
            continue
        seen.add(r["text"])
        names = [e for e in dict.fromkeys(r["entities"]) if e and e in r["text"]]
        names = [e for e in names if not any(e != o and e in o for o in names)]
        negative = set(r["negative_entities"])
        if names:
            out.append({"text": r["text"], "entities": [(e, int(e in negative)) for e in names],
                        "part": part(r["text"])})
    return out


def fin2400(data: Path = DEFAULT_DATA) -> pd.DataFrame:
    return pd.read_csv(Path(data) / "fin_news_2400.csv", dtype={"标题": str, "正文": str}, keep_default_na=False)


def titles(data: Path = DEFAULT_DATA) -> pd.DataFrame:
    """fin_news_titles_7046.csv minus the titles also in fin_news_2400.csv; columns text, label (1/0), part."""
    frame = pd.read_csv(Path(data) / "fin_news_titles_7046.csv", dtype={"标题": str}, keep_default_na=False)
    held = {_WS.sub("", t) for t in fin2400(data)["标题"]}
    frame = frame[~frame["标题"].map(lambda t: _WS.sub("", t)).isin(held)]
    return pd.DataFrame({"text": frame["标题"].to_numpy(), "label": frame["正/负面"].astype(int).to_numpy(),
                         "part": [part(t) for t in frame["标题"]]})


def seed_dev(path: Path = DEFAULT_DEV) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def commentary(path: Path = DEFAULT_COMMENTARY) -> pd.DataFrame:
    """The commentary and news sentences drawn by commentary_sample.py and labelled by reading
    (benchmarks/data/commentary_labels.tsv): columns id, source, text, label (the readers' majority)
    and part (the same SHA-1 split as the other files)."""
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    frame["part"] = [part(t) for t in frame["text"]]
    return frame


def pairwise(groups) -> float:
    """Share of (negative, not-negative) entity pairs within a text where the negative scores lower (ties
    count half): ``groups``, one list per text of its entities' (score, negative). BDCI's pairwise rate, as
    sentiment_eval.py reports it and train_sentiment.py --pairwise weighs it."""
    wins, total = 0.0, 0
    for entities in groups:
        neg = [s for s, y in entities if y]
        pos = [s for s, y in entities if not y]
        for a in neg:
            for b in pos:
                wins += 1.0 if a < b else 0.5 if a == b else 0.0
                total += 1
    return wins / total if total else float("nan")
