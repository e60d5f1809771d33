"""Validate the sentiment methods on held-out labelled news, toward targets and per sentence.

    .venv/bin/python benchmarks/sentiment_eval.py [DATA_DIR] [--dev PATH] [--part test|dev]
        [--blend] [--neutral-study] [--tone-bands] [--baseline REV] [--no-speed | --speed-only]

DATA_DIR defaults to ../shared/eval/sentiment. The split is benchmarks/sentiment_data.py's fixed
one (SHA-1 of the text: 60 % train, 20 % dev, 20 % test); the learned model
(benchmarks/train_sentiment.py) is fitted on train, its settings and the stage's default
method are chosen on dev, and the numbers to cite are those of ``--part test`` (the default):

* cfsc_absa_part.jsonl, test part: 3-class accuracy, macro-F1 and Spearman of the sentences
  (those whose targets agree) and of the targets (what the sentence says about each).
* bdci2019_fin_entity_part.jsonl, test part: AUC of the negative entities (an entity's score is
  the mean over the sentences naming it), and the pairwise rate: within texts that have a negative
  and a not-negative entity, the share of such pairs where the negative one scores lower (ties 1/2).
* fin_news_2400.csv (held out whole): accuracy (pos iff score > 0) and AUC on titles and bodies.
* tests/fixtures/sentiment_dev.tsv: 100 seed sentences (commentary), tune half / report half:
  3-class accuracy, macro-F1, Spearman; and the same on its sentences that name 智谱 (29 per half),
  scored toward 智谱, their label read as the label toward it.
* Speed: sentences per CPU second of the process (one core; CPU time, so that the other work of a
  shared machine counts less than in wall-clock time), tokens given (as in the stage), per method
  and for the stage's defaults; ``--baseline REV`` times the stage's code at git revision REV in
  the same run, interleaved.
* ``--blend``: the target criteria of combined for each model weight (the default's weight is
  chosen on ``--part dev``); ``--neutral-study``: the neutral-first gates tried (dev data only);
  ``--tone-bands``: the combined tone's label by a band on its score against the stage's rule (session 13).

Methods: "sentence tone" is the lexicon before issue 19 toward a target (the score of the
whole sentence); "lexicon" reads the clauses toward the target (score_toward); "model" is the
learned scorer; "combined" the weighted mean of lexicon and model (``model_weight``).
"""
from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import f1_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import sentiment_data as data  # noqa: E402
from sentiment_data import pairwise  # noqa: E402
from pipeline import sentiment  # noqa: E402

NAMES = {-1: "neg", 0: "neu", 1: "pos"}
VALUE = {"neg": -1, "neu": 0, "pos": 1}


class Methods:
    """Each method scores tokens (a sentence) and tokens toward a target: (score, label)."""

    def __init__(self, extra: dict | None = None):
        self.scorer = sentiment.TextScorer({"method": "lexicon"})
        self.extra = dict(extra or {})  # e.g. {"_target_model": path}: a model to try toward a target
        self.res = {m: sentiment.load_resources({"method": m, "target_method": m, **self.extra})
                    for m in sentiment.METHODS}
        self._tokens: dict[str, list[str]] = {}

    def tokens(self, text: str) -> list[str]:
        if text not in self._tokens:
            self._tokens[text] = self.scorer.tokens(text)
        return self._tokens[text]

    def names(self) -> list[str]:
        return ["sentence tone", *sentiment.METHODS]

    def sentence(self, method: str, text: str) -> tuple[float, str]:
        res = self.res["lexicon" if method == "sentence tone" else method]
        s = sentiment.score_sentence(self.tokens(text), res)
        return s.score, s.label

    def toward(self, method: str, text: str, target: str, others=()) -> tuple[float, str]:
        if method == "sentence tone":
            return self.sentence(method, text)
        t = sentiment.score_target(self.tokens(text), self.res[method], sentiment.needles([target]),
                                   tuple(o.casefold() for o in others if o))
        return t.score, t.label

    def sentences_naming(self, text: str, entity: str) -> list[str]:
        parts = [p.strip() for p in sentiment._SENTENCE_END.split(self.scorer._t2s.convert(text)) if p and p.strip()]
        return [p for p in parts if entity.casefold() in p.casefold()]


def three_class(scores, labels, gold) -> dict[str, float]:
    gold_names = [NAMES[g] if isinstance(g, (int, np.integer)) else g for g in gold]
    return {"acc3": float(np.mean([p == g for p, g in zip(labels, gold_names)])),
            "F1": float(f1_score(gold_names, labels, labels=["neg", "neu", "pos"], average="macro")),
            "Spearman": float(spearmanr(scores, [VALUE[g] for g in gold_names]).statistic)}


def evaluate(m: Methods, root: Path, dev_path: Path, part: str, methods=None,
             commentary_path: Path = data.DEFAULT_COMMENTARY) -> dict[str, dict[str, float]]:
    cfsc = [r for r in data.cfsc(root) if r["part"] == part]
    commentary = data.commentary(commentary_path) if commentary_path.exists() else None
    bdci = [r for r in data.bdci(root) if r["part"] == part]
    fin = data.fin2400(root)
    seed = data.seed_dev(dev_path)
    rows = {}
    for method in methods or m.names():
        row = {}
        sent = [r for r in cfsc if r["sentence_label"] is not None]
        out = [m.sentence(method, r["text"]) for r in sent]
        for k, v in three_class([s for s, _ in out], [lab for _, lab in out], [r["sentence_label"] for r in sent]).items():
            row[f"cfsc sentences {k}"] = v
        # Toward a target, the other labelled entities of the text are its other parties, as a story file's
        # others = [...] names them; "(no others)": as a story that names none (a single target, no others).
        for suffix, named in (("", True), (" (no others)", False)):
            out, gold = [], []
            for r in cfsc:
                names = [t for t, _ in r["targets"]]
                for target, label in r["targets"]:
                    out.append(m.toward(method, r["text"], target, [n for n in names if n != target] if named else ()))
                    gold.append(label)
            for k, v in three_class([s for s, _ in out], [lab for _, lab in out], gold).items():
                row[f"cfsc targets {k}{suffix}"] = v
            groups, scores, ys = [], [], []
            for r in bdci:
                names = [e for e, _ in r["entities"]]
                entities = []
                for entity, negative in r["entities"]:
                    others = [n for n in names if n != entity] if named else ()
                    found = [m.toward(method, s, entity, others)[0] for s in m.sentences_naming(r["text"], entity)]
                    score = float(np.mean(found)) if found else 0.0
                    entities.append((score, negative))
                    scores.append(score)
                    ys.append(negative)
                groups.append(entities)
            row[f"bdci AUC{suffix}"] = float(roc_auc_score(ys, -np.asarray(scores)))
            row[f"bdci pairwise{suffix}"] = pairwise(groups)
        if part == "test":
            s = np.array([m.sentence(method, t)[0] for t in fin["标题"]])
            row["fin2400 titles acc"] = float(((s > 0).astype(int) == fin["正负面"]).mean())
            row["fin2400 titles AUC"] = float(roc_auc_score(fin["正负面"], s))
            bodies = []
            for text in fin["正文"]:
                parts = [p.strip() for p in sentiment._SENTENCE_END.split(text) if p and p.strip()]
                bodies.append(np.mean([m.sentence(method, p)[0] for p in parts]) if parts else 0.0)
            b = np.array(bodies)
            row["fin2400 bodies acc"] = float(((b > 0).astype(int) == fin["正负面"]).mean())
            row["fin2400 bodies AUC"] = float(roc_auc_score(fin["正负面"], b))
        if commentary is not None:
            d = commentary[commentary["part"] == part]
            out = [m.sentence(method, t) for t in d["text"]]
            for k, v in three_class([s for s, _ in out], [lab for _, lab in out], list(d["label"])).items():
                row[f"commentary {k}"] = v
            for source in ("portals_dev", "cwce", "hkcnews"):  # the same scores, by where the sentence came from
                mask = d["source"].str.startswith(source).to_numpy()
                row[f"commentary {source} acc3"] = float(np.mean(
                    [lab == gold for (_, lab), gold, keep in zip(out, d["label"], mask) if keep]))
        for split in ("tune", "report", "all") if part == "test" else ("tune",):  # dev: never the report half
            d = seed if split == "all" else seed[seed["split"] == split]
            out = [m.sentence(method, t) for t in d["text"]]
            for k, v in three_class([s for s, _ in out], [lab for _, lab in out], list(d["label"])).items():
                row[f"seed {split} {k}"] = v
            # the sentences that name the seeds' target: their label (how the sentence portrays its
            # subject, mostly 智谱) read as the label toward 智谱
            named = d[d["text"].str.contains("智谱|Zhipu", case=False)]
            out = [m.toward(method, t, "智谱") for t in named["text"]]
            for k, v in three_class([s for s, _ in out], [lab for _, lab in out], list(named["label"])).items():
                row[f"seed targets {split} {k}"] = v
        rows[method] = row
    return rows


BLEND_WEIGHTS = (0.5, 0.6, 0.67, 0.75, 0.8, 0.9, 1.0)
TARGET_CRITERIA = ("cfsc targets acc3", "bdci pairwise", "seed targets tune acc3")


def blend(m: Methods, root: Path, dev_path: Path, part: str) -> pd.DataFrame:
    """The combined method toward a target for each model weight (1: the model alone): the target
    criteria the default is chosen by (on ``--part dev``) and their mean."""
    rows = {}
    for w in BLEND_WEIGHTS:
        m.res["combined"] = sentiment.load_resources({"method": "combined", "target_method": "combined",
                                                     "model_weight": w, **m.extra})
        r = evaluate(m, root, dev_path, part, methods=["combined"])["combined"]
        rows[w] = {k: r[k] for k in (*TARGET_CRITERIA, "cfsc targets Spearman", "bdci AUC")}
        rows[w]["mean of the criteria"] = float(np.mean([r[k] for k in TARGET_CRITERIA]))
    m.res["combined"] = sentiment.load_resources({"method": "combined", "target_method": "combined", **m.extra})
    return pd.DataFrame(rows).T.rename_axis("model weight")


def speed(m: Methods, texts: list[str], *, repeat: int = 5) -> dict[str, float]:
    """Sentences scored per CPU second of this process (one core), tokens given (the stage's case), by
    each method as the sentence tone: the median of ``repeat`` runs, the methods interleaved."""
    tokens = [m.tokens(t) for t in texts]
    times: dict[str, list[float]] = {method: [] for method in sentiment.METHODS}
    for _ in range(repeat):
        for method in sentiment.METHODS:
            res = m.res[method]
            start = time.process_time()
            for toks in tokens:
                sentiment.score_sentence(toks, res)
            times[method].append(time.process_time() - start)
    out = {method: len(tokens) / float(np.median(v)) for method, v in times.items()}
    return out


# Neutral first (issue 19, error class 1): gates that decide whether a sentence evaluates anything
# before its direction, tried on the lexicon's sentence and target scores. A gate maps (score,
# matched words, text, part-of-speech tags) to a label. Study them on dev data only (--part dev).
_DIGIT = re.compile(r"\d")
_REPORTING = re.compile("表示|透露|称|报道|显示|据|介绍|宣布|发布|公布")


def _band(pos: float, neg: float):
    return lambda score, matched, text, tags: "pos" if score >= pos else "neg" if score <= -neg else "neu"


def _weak_single(limit: float):
    """One matched word of at most ``limit`` weight: too little evidence, neu."""
    def gate(score, matched, text, tags):
        if len(matched) == 1 and abs(matched[0][1]) <= limit:
            return "neu"
        return sentiment.label_for(score, neutral=0.1)
    return gate


def _factual(limit: float):
    """A factual report (a number, or a reporting verb) with one matched word of at most ``limit``: neu."""
    def gate(score, matched, text, tags):
        if (_DIGIT.search(text) or _REPORTING.search(text)) and len(matched) <= 1 and \
                all(abs(v) <= limit for _, v in matched):
            return "neu"
        return sentiment.label_for(score, neutral=0.1)
    return gate


def _pos_filter(prefixes: tuple[str, ...]):
    """Matched words jieba tags as one of ``prefixes`` (n: nouns, nr/ns/nt/nz: names) do not score."""
    def gate(score, matched, text, tags):
        raw = sum(v for term, v in matched if not tags.get(term, "x").startswith(prefixes))
        return sentiment.label_for(sentiment.normalise(raw, alpha=4.0), neutral=0.1)
    return gate


NEUTRAL_GATES = {
    "today (band 0.1)": _band(0.1, 0.1),
    **{f"band {b}": _band(b, b) for b in (0.2, 0.3, 0.4, 0.5)},
    **{f"band pos {p} / neg 0.1": _band(p, 0.1) for p in (0.3, 0.5)},
    "one word of weight <= 0.75": _weak_single(0.75),
    "one word of weight <= 1": _weak_single(1.0),
    "factual report, <= 1 word of weight <= 1": _factual(1.0),
    "POS filter: nouns": _pos_filter(("n",)),
    "POS filter: names": _pos_filter(("nr", "ns", "nt", "nz")),
    "POS filter: verbal nouns": _pos_filter(("vn",)),
}


def neutral_study(m: Methods, root: Path, dev_path: Path, part: str,
                  commentary_path: Path = data.DEFAULT_COMMENTARY) -> pd.DataFrame:
    """3-class accuracy of each of NEUTRAL_GATES on the CFSC sentences and targets and the commentary
    sentences of ``part`` and the seed dev set's tune half (the report half is never used here), from
    the lexicon's scores."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    cfsc = [r for r in data.cfsc(root) if r["part"] == part]
    seed = data.seed_dev(dev_path)
    seed = seed[seed["split"] == "tune"]
    res = m.res["lexicon"]
    sets: dict[str, list] = {"seed tune half": [], "commentary": [], "CFSC sentences": [], "CFSC targets": []}
    if commentary_path.exists():
        com = data.commentary(commentary_path)
        for text, label in zip(com["text"][com["part"] == part], com["label"][com["part"] == part]):
            sets["commentary"].append((sentiment.score_sentence(m.tokens(text), res), text, label))
    for text, label in zip(seed["text"], seed["label"]):
        sets["seed tune half"].append((sentiment.score_sentence(m.tokens(text), res), text, label))
    for r in cfsc:
        if r["sentence_label"] is not None:
            sets["CFSC sentences"].append((sentiment.score_sentence(m.tokens(r["text"]), res), r["text"],
                                           NAMES[r["sentence_label"]]))
        names = [t for t, _ in r["targets"]]
        for target, label in r["targets"]:
            others = tuple(n.casefold() for n in names if n != target)
            t = sentiment.score_target(m.tokens(r["text"]), res, sentiment.needles([target]), others)
            sets["CFSC targets"].append((t, r["text"], NAMES[label]))
    tags = {}
    for rows in sets.values():
        for _, text, _ in rows:
            if text not in tags:
                tags[text] = dict((w, f) for w, f in jieba.posseg.lcut(m.scorer._t2s.convert(text)))
    out = {}
    for name, gate in NEUTRAL_GATES.items():
        out[name] = {k: float(np.mean([gate(s.score, s.matched, text, tags[text]) == gold for s, text, gold in rows]))
                     for k, rows in sets.items()}
    return pd.DataFrame(out).T


TONE_BANDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


def _tone_sets(root: Path, dev_path: Path, part: str, commentary_path: Path) -> dict[str, tuple[list, list]]:
    """The labelled sentences the tone criterion reads: {name: (texts, gold labels)} for the CFSC sentences and
    the commentary sentences of ``part`` and the seed dev set's tune half."""
    cfsc = [r for r in data.cfsc(root) if r["part"] == part and r["sentence_label"] is not None]
    sets = {"cfsc sentences": ([r["text"] for r in cfsc], [r["sentence_label"] for r in cfsc])}
    if commentary_path.exists():
        com = data.commentary(commentary_path)
        com = com[com["part"] == part]
        sets["commentary"] = (list(com["text"]), list(com["label"]))
    seed = data.seed_dev(dev_path)
    seed = seed[seed["split"] == "tune"]
    sets["seed tune"] = (list(seed["text"]), list(seed["label"]))
    return sets


def tone_bands(m: Methods, root: Path, dev_path: Path, part: str,
               commentary_path: Path = data.DEFAULT_COMMENTARY) -> pd.DataFrame:
    """The combined tone's 3-class accuracy on the CFSC sentences and the commentary sentences of ``part`` and
    the seed dev set's tune half, by the stage's label rule (the model's neu, else the combined score's sign)
    and by a band on the combined score alone (neu when |score| < b, :data:`TONE_BANDS`), with the tone
    criterion (:data:`TONE_CRITERIA`: those accuracies and the three Spearman figures, which labels do not
    move). Session 13 chose between them on dev (docs/benchmarks.md)."""
    res = m.res["combined"]
    sets = _tone_sets(root, dev_path, part, commentary_path)
    out: dict = {rule: {} for rule in ("the stage's rule", *TONE_BANDS)}
    spearman = []
    for name, (texts, gold) in sets.items():
        scored = [sentiment.score_sentence(m.tokens(t), res) for t in texts]
        scores = [s.score for s in scored]
        stage = three_class(scores, [s.label for s in scored], gold)
        out["the stage's rule"][f"{name} acc3"] = stage["acc3"]
        spearman.append(stage["Spearman"])
        for band in TONE_BANDS:
            labels = ["neu" if abs(x) < band else "pos" if x > 0 else "neg" for x in scores]
            out[band][f"{name} acc3"] = three_class(scores, labels, gold)["acc3"]
    frame = pd.DataFrame(out).T
    frame["criterion"] = (frame.sum(axis=1) + sum(spearman)) / (2 * len(sets))
    return frame


NEUTRAL_MARGINS = (-0.15, -0.1, -0.05, 0.0, 0.05, 0.1, 0.15)


def neutral_margins(m: Methods, root: Path, dev_path: Path, part: str,
                    commentary_path: Path = data.DEFAULT_COMMENTARY) -> pd.DataFrame:
    """The combined tone's 3-class accuracy, as :func:`tone_bands` reads it, with a neutral margin d
    (:data:`NEUTRAL_MARGINS`): neu when the tone model's P(neu) - max(P(neg), P(pos)) >= d or its band holds,
    else the combined score's sign (d = 0: the stage's rule), and the tone criterion. Session 15's study
    (docs/benchmarks.md: the rule was written before it ran)."""
    from pipeline import sentiment_model

    res = m.res["combined"]
    model = res.learned()
    w = res.model_weight
    sets = _tone_sets(root, dev_path, part, commentary_path)
    out: dict = {d: {} for d in NEUTRAL_MARGINS}
    spearman = []
    for name, (texts, gold) in sets.items():
        rows = []
        for t in texts:
            tokens = m.tokens(t)
            lexical = sentiment.score_tokens(tokens, res.lexicon, alpha=res.alpha, neutral=res.neutral)
            probs, _ = model.predict(*sentiment_model.signals(tokens, res.lexicon, sentence=lexical))
            score = w * (probs[2] - probs[0]) + (1 - w) * lexical.score
            rows.append((probs, score, sentiment.score_sentence(tokens, res)))
        scores = [score for _, score, _ in rows]
        spearman.append(three_class(scores, [s.label for _, _, s in rows], gold)["Spearman"])
        for d in NEUTRAL_MARGINS:
            labels = []
            for (p_neg, p_neu, p_pos), score, stage in rows:
                if p_neu - max(p_neg, p_pos) >= d or abs(p_pos - p_neg) < model.neutral:
                    labels.append("neu")
                else:
                    labels.append(sentiment.label_for(score, neutral=model.neutral * w))
                if d == 0.0:  # the stage's own rule, as a check of this reading of it
                    assert labels[-1] == stage.label and abs(score - stage.score) < 1e-9, (labels[-1], stage)
            out[d][f"{name} acc3"] = three_class(scores, labels, gold)["acc3"]
    frame = pd.DataFrame(out).T.rename_axis("neutral margin")
    frame["criterion"] = (frame.sum(axis=1) + sum(spearman)) / (2 * len(sets))
    return frame


def baseline_module(rev: str):
    """The sentiment module of the pipeline at git revision ``rev``, imported beside today's as
    ``pipeline_<rev>`` (a copy of its pipeline/ in a temporary folder: the package imports relatively)."""
    folder = Path(tempfile.mkdtemp(prefix="sentiment-baseline-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "pipeline"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    name = "pipeline_" + "".join(ch for ch in rev if ch.isalnum())
    (folder / "pipeline").rename(folder / name)
    sys.path.insert(0, str(folder))
    return importlib.import_module(f"{name}.sentiment")


# The stage's settings timed by stage_speed: its defaults, the model as the sentence tone and toward the target
# (what a story sets with [sentiment] method = "model"), and combined as the sentence tone with the default
# toward the target (the best tone on dev, session 12).
STAGE_SETTINGS = {"defaults": {}, "method = model": {"method": "model"}, "tone = combined": {"method": "combined"}}
# The default sentence tone is chosen on dev by the mean of these (session 12, decided before the refit):
# 3-class accuracy and Spearman, the goal's two measures, on CFSC sentences, commentary and the seed tune half
TONE_CRITERIA = ("cfsc sentences acc3", "cfsc sentences Spearman", "commentary acc3", "commentary Spearman",
                 "seed tune acc3", "seed tune Spearman")


def stage_speed(m: Methods, texts: list[str], *, repeat: int = 5, modules=None,
                settings=None) -> dict[tuple[str, str], tuple[float, float]]:
    """Sentences per second of process_record with the seeds' target, for each of ``modules`` ({label:
    sentiment module}, by default today's) and each of ``settings`` ({label: params over the stage's
    defaults}, by default :data:`STAGE_SETTINGS`), the runs interleaved so that a busy machine slows them
    alike, timed in CPU seconds of this process: {(module, setting): (median sentences per CPU second,
    share of sentences naming the target)}."""
    modules = modules or {"today": sentiment}
    settings = settings or STAGE_SETTINGS
    target = {"name": "智谱", "aliases": ["智谱", "智谱AI", "智谱清言", "Zhipu"]}
    res = {(k, s): mod.load_resources({"targets": [target], **params})
           for k, mod in modules.items() for s, params in settings.items()}
    record = {"id": "x", "source": "x", "sentences": [{"index": i, "text": t, "tokens": m.tokens(t)}
                                                      for i, t in enumerate(texts)]}
    times: dict[tuple[str, str], list[float]] = {key: [] for key in res}
    share = {}
    for _ in range(repeat):
        for (k, s), r in res.items():
            start = time.process_time()  # CPU time: what one core spends, whatever else the machine runs
            out = modules[k].process_record(record, r)
            times[k, s].append(time.process_time() - start)
            share[k, s] = out["target_n_sentences"] / len(texts)
    return {key: (len(texts) / float(np.median(v)), share[key]) for key, v in times.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path, default=data.DEFAULT_DATA)
    ap.add_argument("--dev", type=Path, default=data.DEFAULT_DEV)
    ap.add_argument("--commentary", type=Path, default=data.DEFAULT_COMMENTARY,
                    help="the commentary sentences labelled by reading (benchmarks/commentary_sample.py)")
    ap.add_argument("--part", choices=("test", "dev"), default="test")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--speed-only", action="store_true", help="only the speed part")
    ap.add_argument("--speed-repeat", type=int, default=5, metavar="N",
                    help="interleaved runs of the stage's speed, of which the median is reported (default 5)")
    ap.add_argument("--baseline", metavar="REV",
                    help="also time the stage's sentiment code at this git revision, interleaved with today's")
    ap.add_argument("--neutral-study", action="store_true",
                    help="also the neutral-first gates' accuracy (dev parts and the seed tune half only)")
    ap.add_argument("--tone-bands", action="store_true",
                    help="also the combined tone's accuracy by a band on its score against the stage's label rule")
    ap.add_argument("--neutral-margins", action="store_true",
                    help="also the combined tone's accuracy with a neutral margin on the model's P(neu) (choose on "
                         "--part dev; session 15)")
    ap.add_argument("--blend", action="store_true",
                    help="also the target criteria of combined for each model weight (choose on --part dev)")
    ap.add_argument("--target-model", type=Path, metavar="PATH",
                    help="score toward a target with this model file instead of the shipped "
                         "sentiment_target_model.tsv (e.g. a refit to compare; the tone's model is unchanged)")
    ap.add_argument("--model", type=Path, metavar="PATH",
                    help="score the tone (and, without --target-model, nothing else) with this model file instead of "
                         "the shipped sentiment_model.tsv")
    args = ap.parse_args(argv)
    extra = {"_model": str(args.model)} if args.model else {}
    if args.target_model:
        extra["_target_model"] = str(args.target_model)
    m = Methods(extra)
    frame = pd.DataFrame() if args.speed_only else pd.DataFrame(evaluate(m, args.data, args.dev, args.part,
                                                                             commentary_path=args.commentary)).T
    groups = {"CFSC sentences": "cfsc sentences", "CFSC targets": "cfsc targets", "BDCI entities": "bdci",
              "fin_news_2400.csv": "fin2400",
              f"commentary sentences ({args.part} part; by source: 3-class accuracy)": "commentary",
              "seed dev, tune half": "seed tune",
              "seed dev, report half": "seed report", "seed dev, all": "seed all",
              "seed dev sentences naming 智谱, toward 智谱, tune half": "seed targets tune",
              "... report half": "seed targets report", "... all": "seed targets all"}
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(f"part: {args.part}; default method: {sentiment.DEFAULT_PARAMS['method']} for sentences, "
              f"{sentiment.DEFAULT_PARAMS['target_method']} toward a target")
        for title, prefix in groups.items():
            cols = [c for c in frame.columns if c.startswith(prefix)]
            if cols:
                print(f"\n{title}:")
                print(frame[cols].rename(columns=lambda c: c[len(prefix):].strip()))
    if not frame.empty:
        tone = frame[list(TONE_CRITERIA)].mean(axis=1).drop("sentence tone")
        print(f"\nsentence tone, mean of {', '.join(TONE_CRITERIA)} ({args.part} part): "
              + ", ".join(f"{k} {v:.4f}" for k, v in tone.items()) + f"; best {tone.idxmax()}"
              + ("" if args.part == "dev" else " -- reported, never chosen on"))
    studies = [(args.neutral_study, neutral_study, "{:.3f}",
                f"neutral first, lexicon, 3-class accuracy (CFSC: {args.part} part; seed: tune half)"),
               (args.tone_bands, tone_bands, "{:.4f}",
                f"the combined tone's label, 3-class accuracy and the tone criterion ({args.part} part; seed: tune half)"),
               (args.neutral_margins, neutral_margins, "{:.4f}",
                f"the combined tone with a neutral margin, 3-class accuracy and the tone criterion ({args.part} part; "
                "seed: tune half)")]
    for wanted, study, floats, title in studies:
        if wanted:
            with pd.option_context("display.width", 250, "display.max_columns", 10,
                                   "display.float_format", floats.format):
                print(f"\n{title}:")
                print(study(m, args.data, args.dev, args.part, args.commentary))
    if args.blend:
        with pd.option_context("display.width", 250, "display.max_columns", 10,
                               "display.float_format", "{:.3f}".format):
            print(f"\ncombined toward a target by model weight ({args.part} part; default "
                  f"{sentiment.DEFAULT_PARAMS['model_weight']}):")
            table = blend(m, args.data, args.dev, args.part)
            print(table)
            means = table["mean of the criteria"]
            best = means.index[int(np.argmax(means.to_numpy()))]  # the first of equal means, as the rule takes it
            print(f"best mean of the criteria on this part: model weight {best} ({means[best]:.6f}; the model "
                  f"alone {means[1.0]:.6f})" + ("" if args.part == "dev" else " -- reported, never chosen on"))
    if not args.no_speed:
        texts = list(data.seed_dev(args.dev)["text"]) * 20
        for method, rate in speed(m, texts).items():
            default = " (default for sentences)" if method == sentiment.DEFAULT_PARAMS["method"] else \
                " (default toward a target)" if method == sentiment.DEFAULT_PARAMS["target_method"] else ""
            print(f"speed {method}{default}, as the sentence tone: {rate:,.0f} sentences per CPU second "
                  f"(tokens given, median of 5)")
        modules = {"today": sentiment}
        if args.baseline:
            modules[args.baseline] = baseline_module(args.baseline)
        rates = stage_speed(m, texts, modules=modules, repeat=args.speed_repeat)
        for (label, setting), (rate, share) in rates.items():
            print(f"speed of the stage, {setting} ({label}) on the seed dev sentences, target 智谱 "
                  f"({share:.0%} of them name it): {rate:,.0f} sentences per CPU second (tokens given, "
                  f"median of {args.speed_repeat})")
        if args.baseline:
            for setting in STAGE_SETTINGS:
                print(f"{setting}: today / {args.baseline}: "
                      f"{rates['today', setting][0] / rates[args.baseline, setting][0]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
