"""Measure the sourcing stage: attributions and numeric claims against hand labels, and text
reuse on a constructed set of edited copies.

    PYTHONPATH=. .venv/bin/python benchmarks/sourcing_eval.py                  # labels
    PYTHONPATH=. .venv/bin/python benchmarks/sourcing_eval.py --reuse          # and the reuse set
    PYTHONPATH=. .venv/bin/python benchmarks/sourcing_eval.py --labels benchmarks/data/sourcing_test_labels.json \
        benchmarks/data/sourcing_test2_labels.json \
        benchmarks/data/sourcing_test3_labels.json                              # the held-out sets

The labelled articles are read from the corpora (paths are arguments), run through ingest,
strip and normalize, and the sourcing map is applied to their sentences. Matching:
- an attribution is found when a predicted one in the same sentence has an overlapping speaker
  (one contains the other) and its content covers at least half of the labelled content (or the
  labelled content half of it); one prediction matches one label;
- speaker-type accuracy is over the found attributions;
- a claim is found when a predicted claim's text overlaps the labelled text in the same sentence;
  its value is right when the number (relative 1e-6) and the approximation sign both agree.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import records, sourcing  # noqa: E402
from pipeline.run import run_pipeline  # noqa: E402

CORPORA = ROOT.parent / "shared" / "eval" / "corpora"
LABELS = ROOT / "benchmarks" / "data" / "sourcing_dev_labels.json"
OUTLETS = {"cctv": "央视新闻联播", "hkcnews": "众新闻"}


def load_articles(labels: dict, cctv: Path, hkcnews: Path) -> list[dict]:
    """The labelled articles, as the corpus rows the labels were read on."""
    wanted = {a["id"] for a in labels["articles"]}
    rows = {}
    with gzip.open(cctv, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if "cctv-" + r["id"] in wanted:
                rows["cctv-" + r["id"]] = {"id": "cctv-" + r["id"], "outlet": OUTLETS["cctv"], "title": r["title"],
                                           "published": r["date"], "text": r["text"]}
    with gzip.open(hkcnews, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            key = f"hkcnews-{r['id']}"
            if key in wanted:
                rows[key] = {"id": key, "outlet": OUTLETS["hkcnews"], "title": r["title"], "published": r.get("date"),
                             "text": r["text"]}
    missing = wanted - set(rows)
    if missing:
        raise SystemExit(f"error: labelled articles not in the corpora: {sorted(missing)}")
    return [rows[a["id"]] for a in labels["articles"]]


def normalised(articles: list[dict], folder: Path) -> dict[str, dict]:
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    run_pipeline(corpus, folder / "out", only=("ingest", "strip", "normalize"), use_cache=False, progress=False,
                 log=lambda m: None, warn=lambda m: None)
    return {r["id"]: r for r in records.read_jsonl(folder / "out" / "03_normalize" / "articles.jsonl")}


def _gold_span(article: str, sentence: dict, text: str, what: str) -> tuple[int, int]:
    """Where a labelled ``text`` lies in the article (offsets of the stage's records)."""
    at = sentence["text"].find(text)
    if at < 0:
        raise SystemExit(f"error: {article} sentence {sentence['index']}: {what} not in the sentence: {text}")
    return sentence["start"] + at, sentence["start"] + at + len(text)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def score(labels: dict, normal: dict[str, dict]) -> dict:
    rules = sourcing.load_rules()
    n_gold = n_pred = found = type_right = 0
    c_gold = c_pred = c_found = c_value = 0
    misses: list[str] = []
    confusion: dict[tuple[str, str], int] = {}
    for art in labels["articles"]:
        record = normal[art["id"]]
        sentences = {s["index"]: s for s in record["sentences"]}
        result = sourcing.source_article(record, rules)
        preds = result["attributions"]
        n_pred += len(preds)
        used: set[int] = set()
        for sent, speaker, type_, cue, content, direct in art["attributions"]:
            n_gold += 1
            gold = _gold_span(art["id"], sentences[sent], content, "label content")
            hit = None
            for k, p in enumerate(preds):
                if k in used or p["sentence"] != sent:
                    continue
                if not (speaker in p["speaker"] or (p["speaker"] and p["speaker"] in speaker)):
                    continue
                inter = _overlap(gold, (p["start"], p["end"]))
                if inter >= 0.5 * min(gold[1] - gold[0], p["end"] - p["start"]):
                    hit = k
                    break
            if hit is None:
                misses.append(f"  missed  {art['id']} s{sent} [{speaker}] {cue}: {content[:30]}")
                continue
            used.add(hit)
            found += 1
            got = preds[hit]["speaker_type"]
            type_right += got == type_
            confusion[(type_, got)] = confusion.get((type_, got), 0) + 1
            if got != type_:
                misses.append(f"  type    {art['id']} s{sent} [{preds[hit]['speaker']}] {got}, want {type_}")
        for k, p in enumerate(preds):
            if k not in used:
                misses.append(f"  extra   {art['id']} s{p['sentence']} [{p['speaker']}] {p['cue']}: {p['content'][:30]}")
        claims = result["claims"]
        c_pred += len(claims)
        c_used: set[int] = set()
        for sent, original, number, approx, unit in art["claims"]:
            c_gold += 1
            gold = _gold_span(art["id"], sentences[sent], original, "claim text")
            hit = next((k for k, c in enumerate(claims) if k not in c_used and c["sentence"] == sent
                        and _overlap(gold, (c["start"], c["end"])) > 0), None)
            if hit is None:
                misses.append(f"  missed claim {art['id']} s{sent} {original}")
                continue
            c_used.add(hit)
            c_found += 1
            c = claims[hit]
            right = abs(c["number"] - number) <= 1e-6 * max(1.0, abs(number)) and c["approx"] == approx
            c_value += right
            if not right:
                misses.append(f"  wrong value {art['id']} s{sent} {original}: {c['value']} (want {approx}{number})")
    return {
        "articles": len(labels["articles"]),
        "attributions": {"labelled": n_gold, "predicted": n_pred, "found": found,
                         "precision": round(found / n_pred, 3) if n_pred else 0.0,
                         "recall": round(found / n_gold, 3) if n_gold else 0.0,
                         "speaker_type_accuracy": round(type_right / found, 3) if found else 0.0},
        "claims": {"labelled": c_gold, "predicted": c_pred, "found": c_found, "value_right": c_value,
                   "recall_value_right": round(c_value / c_gold, 3) if c_gold else 0.0,
                   "recall_found": round(c_found / c_gold, 3) if c_gold else 0.0,
                   "precision_found": round(c_found / c_pred, 3) if c_pred else 0.0},
        "type_confusion": {f"{g} -> {p}": n for (g, p), n in sorted(confusion.items()) if g != p},
        "details": misses,
    }


# ---------------------------------------------------------------- reuse


def _edit(text: str, share: float, rng: random.Random) -> str:
    """An editor's changes: contiguous spans (a word or a clause) replaced by text from elsewhere
    in the sentence, deleted, or kept, until about ``share`` of the characters are touched."""
    chars = list(text)
    budget = max(1, int(len(chars) * share))
    while budget > 0 and len(chars) > 8:
        span = min(budget, rng.randint(2, 6))
        at = rng.randrange(0, len(chars) - span)
        if rng.random() < 0.5:
            del chars[at:at + span]
        else:
            src = rng.randrange(0, len(text) - span)
            chars[at:at + span] = text[src:src + span]
        budget -= span
    return "".join(chars)


def _exact_pairs(sigs: list[tuple], texts: dict, rules, threshold: float) -> set[frozenset]:
    """Every pair of passages of different articles whose shingle Jaccard reaches ``threshold``,
    found without LSH: a sparse shingle matrix times its transpose gives every intersection."""
    import numpy as np
    from scipy import sparse

    vocab: dict[str, int] = {}
    rows, cols = [], []
    sets = []
    for n, (aid, _, j, _) in enumerate(sigs):
        sh = sourcing.shingles(texts[(aid, j)], rules.shingle)
        sets.append(len(sh))
        for x in sh:
            rows.append(n)
            cols.append(vocab.setdefault(x, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(sigs), len(vocab)))
    inter = sparse.triu(m @ m.T, k=1).tocoo()
    size = np.asarray(sets)
    jac = inter.data / (size[inter.row] + size[inter.col] - inter.data)
    out = set()
    for i, j, v in zip(inter.row, inter.col, jac):
        if v >= threshold and sigs[i][0] != sigs[j][0]:
            out.add(frozenset([(sigs[i][0], sigs[i][2]), (sigs[j][0], sigs[j][2])]))
    return out


def reuse_benchmark(cctv: Path, *, n_articles: int = 2000, n_copies: int = 300, seed: int = 20) -> dict:
    """Copies of real sentences, edited at three levels, planted in other real articles; the
    stage's signatures, LSH candidates and verification find them (or not). The LSH pairs are
    also compared with an exact all-pairs search at the same threshold."""
    rules = sourcing.load_rules()
    rng = random.Random(seed)
    articles = []
    with gzip.open(cctv, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % 9 == 0:
                r = json.loads(line)
                sents = [s for s in _split(r["text"]) if len(s) >= 30]
                if sents:
                    articles.append((r["id"], sents))
            if len(articles) >= n_articles:
                break
    levels = {"light (10 % of characters in edited spans)": 0.10, "medium (20 %)": 0.20, "heavy (35 %)": 0.35}
    planted: dict[tuple, str] = {}
    extra: dict[str, list[str]] = {}
    for k in range(n_copies):
        src, dst = rng.randrange(len(articles)), rng.randrange(len(articles))
        if dst == src:
            continue
        level = list(levels)[k % len(levels)]
        sid, sents = articles[src]
        sentence = rng.choice(sents)
        copy = _edit(sentence, levels[level], rng)
        extra.setdefault(articles[dst][0], []).append(copy)
        planted[(sid, sentence, articles[dst][0], copy)] = level
    sigs, texts = [], {}
    t0 = time.perf_counter()
    for aid, sents in articles:
        passages = sents + extra.get(aid, [])
        for j, sig in enumerate(sourcing.signatures(passages, rules)):
            sigs.append((aid, "", j, sig))
            texts[(aid, j)] = passages[j]
    t_sign = time.perf_counter() - t0
    t0 = time.perf_counter()
    passages = sourcing.Passages.of(sigs)
    pairs = sourcing.candidates(passages.matrix, passages.article, rules)
    sims = sourcing.jaccards([texts[(s[0], s[2])] for s in sigs], pairs, rules.shingle)
    found: dict[tuple[str, str], list[tuple[int, int, float]]] = {}
    for (i, j), sim in zip(pairs.tolist(), sims):
        if sim >= rules.threshold:
            found.setdefault((sigs[i][0], sigs[j][0]), []).append((sigs[i][2], sigs[j][2], sim))
    t_match = time.perf_counter() - t0
    got_ids = {frozenset([(a, i), (b, j)]) for (a, b), ms in found.items() for i, j, _ in ms}
    got = {frozenset([(a, texts[(a, i)]), (b, texts[(b, j)])]) for (a, b), ms in found.items() for i, j, _ in ms}
    want = {frozenset([(s, st), (d, ct)]): level for (s, st, d, ct), level in planted.items()}
    per_level = {}
    for level in levels:
        mine = [k for k, v in want.items() if v == level]
        sims = sorted(sourcing.jaccard(*(sourcing.shingles(t, rules.shingle) for _, t in k)) for k in mine)
        per_level[level] = {"planted": len(mine), "found": sum(k in got for k in mine),
                            "recall": round(sum(k in got for k in mine) / len(mine), 3) if mine else 0.0,
                            "median_jaccard": round(sims[len(sims) // 2], 3) if sims else 0.0}
    t0 = time.perf_counter()
    exact = _exact_pairs(sigs, texts, rules, rules.threshold)
    t_exact = time.perf_counter() - t0
    true = sum(k in got for k in want)
    return {"articles": len(articles), "passages": len(sigs), "candidates": len(pairs), "pairs_found": len(got_ids),
            "planted": len(want), "planted_found": true, "planted_recall": round(true / len(want), 3),
            "per_level": per_level,
            "exact_pairs_at_threshold": len(exact), "lsh_recall_vs_exact": round(len(got_ids & exact) / len(exact), 3)
            if exact else 0.0, "lsh_precision_vs_exact": round(len(got_ids & exact) / len(got_ids), 3) if got_ids else 0.0,
            "candidate_precision": round(len(got_ids) / len(pairs), 3) if len(pairs) else 0.0,
            "seconds_signatures": round(t_sign, 2), "seconds_lsh_and_verify": round(t_match, 2),
            "seconds_exact_all_pairs": round(t_exact, 2)}


def _split(text: str) -> list[str]:
    import re

    return [s for s in re.split(r"(?<=[。！？])", text) if s.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", type=Path, nargs="+", default=[LABELS],
                    help="label files, each scored on its own (dev: sourcing_dev_labels.json; held-out: "
                         "sourcing_test_labels.json, sourcing_test2_labels.json, sourcing_test3_labels.json)")
    ap.add_argument("--cctv", type=Path, default=CORPORA / "cctv_xinwenlianbo.jsonl.gz")
    ap.add_argument("--hkcnews", type=Path, default=CORPORA / "hkcnews_trad_sample.jsonl.gz")
    ap.add_argument("--reuse", action="store_true", help="also run the constructed reuse set")
    ap.add_argument("--details", action="store_true", help="list every miss and extra")
    args = ap.parse_args(argv)
    for path in args.labels:
        labels = json.loads(path.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            normal = normalised(load_articles(labels, args.cctv, args.hkcnews), Path(tmp))
        result = {"labels": path.name, **score(labels, normal)}
        details = result.pop("details")
        print(json.dumps(result, ensure_ascii=False, indent=1))
        if args.details:
            print("\n".join(details))
    if args.reuse:
        print(json.dumps(reuse_benchmark(args.cctv), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
