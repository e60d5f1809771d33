"""The story file: validation, init/check, and a second story run end to end.

The second story (tests/fixtures/story_mtr/) is a dozen short articles written for these
tests about Hong Kong's MTR, in traditional script, grouped by a column of the corpus
(``section``), with a target whose aliases are in traditional script and frames of its own.
"""
from __future__ import annotations

import contextlib
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import grouping
from pipeline import story as stories
from pipeline.config import ROOT, SEEDS
from pipeline.run import run_pipeline

FIXTURE = Path(__file__).parent / "fixtures" / "story_mtr"


def quiet(message: str) -> None:
    pass


def write(folder: Path, text: str, name: str = "story.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("text, needle", [
    ('titel = "x"\n', "titel: unknown key"),
    ('title = 3\n', "title: must be a string"),
    ('[frames]\nfile = "nowhere.yaml"\n', "frames.file: file not found"),
    ('[frames]\ncodebook = "nope"\n', "frames.codebook: no shipped codebook 'nope'"),
    ('[frames]\ncodebook = "generic"\nfile = "f.yaml"\n', "give either codebook or file"),
    ('[[targets]]\nname = "甲"\naliases = ["乙", ""]\n', "aliases: an item is empty"),
    ('[[targets]]\naliases = ["乙"]\n', "needs a non-empty name"),
    ('[[targets]]\nname = "甲"\ncolour = "red"\n', "targets[0].colour: unknown key"),
    ('[[targets]]\nname = "甲"\nothers = ["乙", 3]\n', "others: every item must be a string"),
    ('[[targets]]\nname = "甲"\naliases = ["甲公司"]\nothers = ["甲公司"]\n', "'甲公司' is one of the target's own names"),
    ('[keywords]\nidf = "tf"\n', "keywords.idf: must be one of background, corpus"),
    ('[strip]\nduplicates = "merge"\n', "strip.duplicates: must be one of drop, keep, not 'merge'"),
    ('[strip]\nduplicates = false\n', "strip.duplicates: must be a string"),
    ('[time]\nbin = "decade"\n', "time.bin: must be one of"),
    ('[sentiment]\ndomain_lexicon = "yes"\n', "sentiment.domain_lexicon: must be true or false"),
    ('[sentiment]\nmethod = "vibes"\n', "sentiment.method: 'vibes' is not one of lexicon, model, combined"),
    ('[sentiment]\nmodel_weight = 1.5\n', "sentiment.model_weight: 1.5 is not between 0 and 1"),
    ('[sentiment]\nmodel_weight = "half"\n', "sentiment.model_weight: must be"),
    ('title = "unclosed\n', "not valid TOML"),
    ('[figures]\nformats = ["svg"]\n', 'figures.formats: must include "png"'),
    ('[figures]\nformats = ["png", "jpg"]\n', "figures.formats: 'jpg' is not one of png, svg, pdf"),
    ('[figures]\ndpi = 20\n', "figures.dpi: 20 is not between 50 and 1200"),
    ('[figures]\ndpi = 300.5\n', "figures.dpi: must be an integer"),
])
def test_a_bad_story_file_names_the_key_and_line(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(stories.StoryError) as err:
        stories.load(path)
    assert needle in str(err.value)
    assert str(path) in str(err.value)


def test_the_error_gives_the_line(tmp_path):
    path = write(tmp_path, 'title = "ok"\n\n[keywords]\nidf = "tf"\n')
    with pytest.raises(stories.StoryError, match=r"line 4: keywords.idf"):
        stories.load(path)


def test_a_frames_file_that_cannot_be_used_fails_before_any_work(tmp_path):
    write(tmp_path, "frames: [1, 2\n", "frames.yaml")
    with pytest.raises(stories.StoryError, match="frames.file: frames.yaml cannot be used"):
        stories.load(write(tmp_path, '[frames]\nfile = "frames.yaml"\n'))


def test_group_by_must_be_a_column_of_the_input(tmp_path):
    story = stories.load(write(tmp_path, 'group_by = "sektion"\n'))
    with pytest.raises(stories.StoryError, match="group_by: no column 'sektion'"):
        stories.check_group_by(story, FIXTURE / "corpus.jsonl")
    stories.check_group_by(stories.load(write(tmp_path, 'group_by = "section"\n')), FIXTURE / "corpus.jsonl")
    stories.check_group_by(stories.load(write(tmp_path, 'group_by = "quarter"\n')), FIXTURE / "corpus.jsonl")


def test_aliases_and_words_are_converted_to_the_texts_script(tmp_path):
    story = stories.load(FIXTURE / "story.toml")
    assert story.targets[0].name == "港鐵"
    assert story.targets[0].aliases == ("港铁", "港铁公司", "MTR")
    assert "港铁 nt" in story.words


def test_a_targets_other_parties_are_read_in_the_texts_script_and_reach_the_sentiment_stage(tmp_path):
    story = stories.load(write(tmp_path, '[[targets]]\nname = "港鐵"\nothers = ["九巴", "九巴", "城巴"]\n'))
    assert story.targets[0].others == ("九巴", "城巴")  # converted (巴 is the same in both scripts), once each
    params, _ = stories.stage_settings("sentiment", story)
    assert params["targets"] == [{"name": "港鐵", "aliases": ["港铁"], "others": ["九巴", "城巴"]}]
    assert "other parties: 九巴, 城巴" in stories.describe(story)
    assert stories.from_json(story.as_json()).targets == story.targets  # as story.json keeps it
    plain = stories.load(write(tmp_path, '[[targets]]\nname = "港鐵"\n'))
    assert "others" not in stories.stage_settings("sentiment", plain)[0]["targets"][0]  # settings as before


def test_the_seeds_story_carries_the_reference_settings():
    story = stories.resolve(SEEDS)
    assert story.path == (SEEDS / "story.toml").resolve()
    assert story.frames_path == (SEEDS / "frames.yaml").resolve() and not story.discovers
    assert story.targets[0].aliases == ("智谱", "智谱AI", "智谱清言", "Zhipu")
    assert stories.input_files(story, SEEDS) == {"story.toml", "frames.yaml", "userdict.txt"}


def test_without_a_story_file_the_defaults_are_story_neutral(tmp_path):
    story = stories.resolve(tmp_path)
    assert story.path is None and story.targets == () and story.codebook == "generic"
    assert story.discovers
    for name, stage in [("sentiment", None), ("framing", None)]:
        params, _ = stories.stage_settings(name, story)
        assert "智谱" not in json.dumps(params, ensure_ascii=False)


def test_no_package_default_mentions_the_reference_story():
    """Nothing about Zhipu or AI companies is left in the package's defaults: the codebooks,
    the project dictionary, the stages' default parameters (code comments may use examples)."""
    from pipeline import stages
    from pipeline.config import RESOURCES

    texts = {p.name: p.read_text(encoding="utf-8") for p in [*RESOURCES.rglob("*.yaml"), RESOURCES / "userdict.txt"]}
    for name in stages.ORDER:
        texts[name] = json.dumps(stages.module(name).STAGE.params, ensure_ascii=False)
    texts["story"] = json.dumps(stories.DEFAULT.as_json(), ensure_ascii=False)
    for name, text in texts.items():
        for word in ("智谱", "Zhipu", "ChatGLM", "大模型", "DeepSeek"):
            assert word not in text, f"{name} mentions {word}"


# ---------------------------------------------------------------- init and check


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_init_writes_a_template_that_check_accepts(tmp_path):
    done = cli("init", str(tmp_path / "new"))
    assert done.returncode == 0, done.stderr
    template = tmp_path / "new" / "story.toml"
    assert template.read_text(encoding="utf-8") == stories.TEMPLATE
    checked = cli("check", "--story", str(template))
    assert checked.returncode == 0, checked.stderr
    assert "group_by: outlet" in checked.stdout and "ok: the story file is valid" in checked.stdout
    again = cli("init", str(tmp_path / "new"))  # never over an existing file
    assert again.returncode == 2 and "already exists" in again.stderr
    assert template.read_text(encoding="utf-8") == stories.TEMPLATE


def test_check_reports_a_bad_file_in_one_line_with_exit_2(tmp_path):
    path = write(tmp_path, '[frames]\nfile = "missing.yaml"\n')
    done = cli("check", "--story", str(path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "frames.file: file not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_with_a_bad_story_writes_nothing(tmp_path):
    path = write(tmp_path, 'group_by = 1\n')
    done = cli("run", "--input", str(FIXTURE / "corpus.jsonl"), "--output", str(tmp_path / "out"),
               "--story", str(path), "--jobs", "1")
    assert done.returncode == 2 and "group_by: must be a string" in done.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- a second story, end to end


@pytest.fixture(scope="module")
def mtr(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("mtr") / "in"
    shutil.copytree(FIXTURE, folder)
    out = folder.parent / "out"
    run_pipeline(folder, out, jobs=1, progress=False, warn=quiet, log=quiet)
    return folder, out


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_second_story_measures_its_own_target(mtr):
    _, out = mtr
    rows = [json.loads(line) for line in open(out / "06_sentiment" / "articles.jsonl", encoding="utf-8")]
    assert len(rows) == 12  # the story file and the frames file are not articles
    assert all(r["target_n_sentences"] >= 1 and r["target_score"] is not None for r in rows)


def test_the_second_story_uses_its_own_frames_and_groups(mtr):
    _, out = mtr
    frames = json.loads((out / "07_framing" / "frames.json").read_text(encoding="utf-8"))
    assert [f["id"] for f in frames] == ["fares", "service", "accountability"]
    by_group = read_csv(out / "07_framing" / "frames_by_outlet.csv")
    assert {r["outlet"] for r in by_group} == {"报章", "网媒"}  # the section column, in one script
    assert all(r["articles"] == "6" for r in by_group)
    hits = {(r["outlet"], r["frame"]): int(r["hits"]) for r in by_group}
    assert hits[("报章", "fares")] > 0 and hits[("网媒", "service")] > 0
    distinctive = read_csv(out / "05_keywords" / "distinctive.csv")
    assert {r["outlet"] for r in distinctive} == {"报章", "网媒"}
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["story"]["group_by"] == "section" and run["story_warnings"] == []
    manifest = json.loads((out / "07_framing" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["story"]["frames"]["file"] == "frames.yaml"
    assert "报章" in (out / "report.html").read_text(encoding="utf-8")


def test_editing_the_frames_file_recomputes_framing_and_nothing_else(mtr, tmp_path):
    folder, _ = mtr
    mine = tmp_path / "in"
    shutil.copytree(folder, mine)
    out = tmp_path / "out"
    run_pipeline(mine, out, jobs=1, progress=False, warn=quiet, log=quiet)
    before = read_csv(out / "07_framing" / "frames_by_outlet.csv")
    frames = mine / "frames.yaml"
    frames.write_text(frames.read_text(encoding="utf-8").replace("[故障,", "[乘客, 故障,"), encoding="utf-8")
    manifests = run_pipeline(mine, out, jobs=1, progress=False, warn=quiet, log=quiet)
    after = read_csv(out / "07_framing" / "frames_by_outlet.csv")
    service = lambda rows: sum(int(r["hits"]) for r in rows if r["frame"] == "service")  # noqa: E731
    assert service(after) > service(before)
    for name in ("ingest", "strip", "normalize", "segment", "keywords", "sentiment"):
        assert manifests[name]["cache_hits"] == manifests[name]["counts"]["done"] == 12, name
    assert manifests["framing"]["cache_hits"] == 0


def test_settings_that_do_not_fit_are_warned(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURE / "corpus.jsonl", folder / "corpus.jsonl")
    write(folder, "version: 1\nframes:\n  - id: space\n    label: 太空\n    label_en: Space\n"
                  "    description: x\n    terms: [火箭, 卫星]\n", "frames.yaml")
    write(folder, 'group_by = "author"\n[[targets]]\nname = "長江實業"\n[frames]\nfile = "frames.yaml"\n'
                  'discover = false\n')
    said: list[str] = []
    run_pipeline(folder, tmp_path / "out", jobs=1, progress=False, warn=said.append, log=quiet)
    joined = "\n".join(said)
    assert "target '長江實業' is mentioned in no sentence" in joined
    assert "the frames match 0 of" in joined
    assert "12 group(s) have a single article" in joined
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert len(run["story_warnings"]) == 3
    assert "is mentioned in no sentence" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_discovery_suggests_frames_in_the_frames_format(tmp_path):
    from pipeline.framing import load_lexicon

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURE / "corpus.jsonl", folder / "corpus.jsonl")
    write(folder, 'group_by = "section"\n[frames]\ncodebook = "policy"\ntopics = 3\n')
    run_pipeline(folder, tmp_path / "out", jobs=1, progress=False, warn=quiet, log=quiet)
    suggested = tmp_path / "out" / "07_framing" / "suggested_frames.yaml"
    lexicon = load_lexicon(suggested)  # ready to pass back through the story file
    assert len(lexicon.frames) == 3 and all(f.terms for f in lexicon.frames)
    rows = read_csv(tmp_path / "out" / "07_framing" / "topics_by_group.csv")
    assert {r["group"] for r in rows} == {"报章", "网媒"}
    for group in ("报章", "网媒"):
        assert sum(float(r["share"]) for r in rows if r["group"] == group) == pytest.approx(1.0, abs=1e-3)


def _themed_corpus(*, seed, themes, words, articles, main, other, step, every):
    """Token lists drawn from ``themes`` word lists: each article ``main`` words of its theme and
    ``other`` of the theme ``step`` further on; two groups (every ``every``-th article in 乙)."""
    import random

    rng = random.Random(seed)
    vocab = [[f"词{t}{i}" for i in range(words)] for t in range(themes)]
    docs = [[rng.choice(vocab[n % themes]) for _ in range(main)]
            + [rng.choice(vocab[(n + step) % themes]) for _ in range(other)] for n in range(articles)]
    ids = [f"d{n}" for n in range(articles)]
    return ids, docs, {id_: "甲" if n % every else "乙" for n, id_ in enumerate(ids)}


def test_the_number_of_topics_is_chosen_alike_in_one_process_or_several():
    """The candidates' fits run side by side with jobs > 1 (the reduce's serial part shrinks);
    each fit is seeded, so the choice, the scores and the topics are the same."""
    from pipeline import discover

    ids, docs, groups = _themed_corpus(seed=7, themes=4, words=12, articles=90, main=40, other=5, step=1, every=2)
    one = discover.discover(ids, docs, groups, jobs=1)
    assert len(one["coherence"]) > 2
    assert discover.discover(ids, docs, groups, jobs=2) == one


def test_the_topics_are_the_same_on_one_blas_thread_as_on_many(monkeypatch):
    """The topic fits run on one BLAS thread (threads on top of the runner's processes cost ten
    times the CPU on a busy machine); the topics, shares and scores are those of BLAS's own
    thread count."""
    import threadpoolctl

    from pipeline import discover

    ids, docs, groups = _themed_corpus(seed=11, themes=5, words=15, articles=150, main=50, other=9, step=2, every=3)
    one_thread = discover.discover(ids, docs, groups, jobs=1)
    monkeypatch.setattr(threadpoolctl, "threadpool_limits", lambda **kw: contextlib.nullcontext())
    assert discover.discover(ids, docs, groups, jobs=1) == one_thread


def test_the_documents_read_by_ranges_in_workers_are_the_ones_read_here(seed_outputs, monkeypatch):
    """discover reads 04_segment's content words by ranges; in two processes, in small ranges,
    the documents are the same, in the same order."""
    from pipeline import discover
    from pipeline.runner import map_ranges, ranges

    def documents(jobs):  # as discover's _counted_documents reads them, before counting
        parts = list(map_ranges(discover._documents_range, seed_outputs / "04_segment" / "articles.jsonl", jobs=jobs,
                                fine=True))
        return [i for ids, _ in parts for i in ids], [d for _, docs in parts for d in docs]

    here = documents(1)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 5000)
    assert len(ranges.byte_ranges(seed_outputs / "04_segment" / "articles.jsonl", 5000)) > 2
    assert documents(2) == here
    assert len(here[0]) == len(here[1]) >= 5 and all(here[1])


def test_the_groups_read_by_ranges_in_workers_are_the_ones_read_here(seed_outputs, monkeypatch):
    from pipeline import discover, grouping
    from pipeline.runner import ranges

    groups = grouping.load(seed_outputs, "outlet")
    here = discover._outlets(seed_outputs, groups)
    monkeypatch.setattr(ranges, "REDUCE_SERIAL_BELOW", 0)
    monkeypatch.setattr(ranges, "REDUCE_MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(ranges, "REDUCE_RANGE_BYTES", 1)
    by_ranges = discover._outlets(seed_outputs, groups, jobs=2)
    assert list(by_ranges.items()) == list(here.items()) and len(here) >= 5 and len(set(here.values())) >= 3



@pytest.mark.parametrize("max_features, split", [(30, 7), (5000, 1), (5000, 13), (200, 50)])
def test_tfidf_of_counts_by_ranges_is_scikit_learns(max_features, split):
    """discover counts each range's terms where the range is read and builds the TF-IDF matrix
    from the counts: the same matrix (values, their order, the terms) as TfidfVectorizer over all
    the documents, with ties in term frequency at the max_features cut."""
    import random

    from sklearn.feature_extraction.text import TfidfVectorizer

    from pipeline import discover

    rng = random.Random(max_features + split)
    words = [f"词{i}" for i in range(400)] + ["Ab", "ab", "中", "共同"]
    docs = [[rng.choice(words[: rng.randrange(5, len(words))]) for _ in range(rng.randrange(0, 60))]
            for _ in range(120)]
    parts = [discover.count_terms(docs[i:i + split]) for i in range(0, len(docs), split)]
    matrix, terms = discover.tfidf(parts, max_features=max_features)
    vectorizer = TfidfVectorizer(analyzer=discover._identity, min_df=2, max_df=0.6, max_features=max_features,
                                 sublinear_tf=True, norm="l2")
    expected = vectorizer.fit_transform(docs)
    assert type(matrix) is type(expected) and matrix.shape == expected.shape
    for name in ("indptr", "indices", "data"):
        assert getattr(matrix, name).tolist() == getattr(expected, name).tolist(), name
    assert list(terms) == list(vectorizer.get_feature_names_out())
    with pytest.raises(ValueError):
        discover.tfidf([discover.count_terms([["独"], ["有"]])])


# ---------------------------------------------------------------- groups


@pytest.mark.parametrize("published, bin_, expected", [
    ("2024-03-05 10:00", "day", "2024-03-05"),
    ("2024-03-05", "week", "2024-W10"),
    ("2024年3月5日", "month", "2024-03"),
    ("2024/11/30", "quarter", "2024-Q4"),
    ("2024-03-05T10:00:00+08:00", "year", "2024"),
    ("", "month", ""),
    ("2024-02-30", "month", ""),
])
def test_periods(published, bin_, expected):
    assert grouping.period(published, bin_) == expected


def test_a_real_value_never_merges_with_the_missing_group():
    assert grouping.label("", "outlet") == grouping.UNKNOWN_OUTLET
    assert grouping.label(grouping.UNKNOWN_OUTLET, "outlet") != grouping.UNKNOWN_OUTLET
    assert grouping.label(None, "author") == "unknown (no author)"


def test_an_outlet_named_like_the_missing_group_stays_its_own_group(tmp_path):
    corpus = tmp_path / "c.jsonl"
    rows = [{"id": "a", "outlet": grouping.UNKNOWN_OUTLET, "text": "政府今天宣布新的政策，市民普遍欢迎。"},
            {"id": "b", "text": "法院审理了这宗案件，被告否认指控。"}]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    run_pipeline(corpus, out, jobs=1, progress=False, warn=quiet, log=quiet)
    groups = {r["outlet"]: r["articles"] for r in read_csv(out / "07_framing" / "frames_by_outlet.csv")}
    assert groups == {grouping.UNKNOWN_OUTLET: "1", grouping.UNKNOWN_OUTLET + " (named)": "1"}


def test_the_sentiment_method_reaches_the_stage(tmp_path):
    """Issue 19: [sentiment] method sets how sentences and target mentions are scored."""
    story = stories.load(write(tmp_path, '[sentiment]\nmethod = "lexicon"\n'))
    params, _ = stories.stage_settings("sentiment", story)
    assert params["method"] == params["target_method"] == "lexicon"
    assert story.resolved()["sentiment"]["method"] == "lexicon"
    (tmp_path / "none").mkdir()
    default, _ = stories.stage_settings("sentiment", stories.resolve(tmp_path / "none"))
    assert "method" not in default and "target_method" not in default


def test_the_model_weight_of_combined_reaches_the_stage(tmp_path):
    """[sentiment] model_weight sets the model's share of the combined score, and so the cache key."""
    story = stories.load(write(tmp_path, '[sentiment]\nmodel_weight = 1\n'))
    params, _ = stories.stage_settings("sentiment", story)
    assert params["model_weight"] == 1.0 and isinstance(params["model_weight"], float)
    assert story.resolved()["sentiment"]["model_weight"] == 1.0
    (tmp_path / "none").mkdir()
    default, _ = stories.stage_settings("sentiment", stories.resolve(tmp_path / "none"))
    assert "model_weight" not in default


def test_the_figures_formats_and_resolution_reach_the_plots(tmp_path):
    """[figures] formats and dpi: PNG alone (or with one vector format) and another resolution; the
    default story leaves the plots' settings, story.json and run.json as they were before the setting."""
    from pipeline import plots

    assert (stories.DEFAULT_FIGURE_FORMATS, stories.DEFAULT_FIGURE_DPI) == (plots.FORMATS,
                                                                            plots.DEFAULT_PARAMS["dpi"])
    story = stories.load(write(tmp_path, '[figures]\nformats = ["pdf", "png"]\ndpi = 150\n'))
    params, _ = stories.stage_settings("plots", story)
    assert params["formats"] == ["png", "pdf"] and params["dpi"] == 150
    assert story.resolved()["figures"] == {"formats": ["png", "pdf"], "dpi": 150}
    assert stories.from_json(json.loads(json.dumps(story.as_json()))) == story
    (tmp_path / "none").mkdir()
    default = stories.resolve(tmp_path / "none")
    params, _ = stories.stage_settings("plots", default)
    assert "formats" not in params and "dpi" not in params
    assert "figures" not in default.resolved() and "figure_formats" not in default.as_json()["_story"]
    template = stories.load(stories.write_template(tmp_path / "template"))
    assert (template.figure_formats, template.figure_dpi) == (plots.FORMATS, 300)


def plots_figures() -> tuple[str, ...]:
    from pipeline import plots

    return plots.FIGURES


def test_a_run_with_png_alone_writes_no_vector_figures(tmp_path):
    corpus = tmp_path / "in"
    shutil.copytree(SEEDS, corpus)
    write(corpus, '[figures]\nformats = ["png"]\ndpi = 60\n')
    out = tmp_path / "out"
    run_pipeline(corpus, out, jobs=1, progress=False, warn=quiet, log=quiet)
    written = sorted(p.name for p in (out / "figures").iterdir() if p.suffix in (".png", ".svg", ".pdf"))
    assert written and all(name.endswith(".png") for name in written)
    manifest = json.loads((out / "figures" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["figures"]) == written and len(written) == len(plots_figures())
    from PIL import Image

    with Image.open(out / "figures" / "frames_heatmap.png") as image:
        assert round(image.info["dpi"][0]) == 60
    assert "data:image/png;base64," in (out / "report.html").read_text(encoding="utf-8")


def test_a_targets_other_party_never_named_beside_it_is_warned(tmp_path):
    """An other party that no sentence naming its target names changes no score: a misspelling would pass
    unseen, so the run says so (single and several targets)."""
    from pipeline import fit

    rows = [{"id": "a", "target_n_sentences": 1, "targets": [{"name": "甲", "n_sentences": 1}],
             "sentences": [{"text": "甲公司起诉乙平台", "mentions_target": True, "targets": ["甲"]},
                           {"text": "丙公司上市", "mentions_target": False}]}]
    (tmp_path / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                             encoding="utf-8")
    one = [{"name": "甲", "aliases": ["甲"], "others": ["乙平台", "丙公司", "丁"]}]
    said = fit.target_warnings(tmp_path, one)
    assert said == ["other parties of target '甲' named in no sentence that names the target (丙公司, 丁): they "
                    "change no score; check their spelling in the story file"]
    several = [*one, {"name": "戊", "aliases": ["戊"], "others": ["乙平台"]}]
    assert any("other parties of target '甲'" in m for m in fit.target_warnings(tmp_path, several))
    assert not any("other part" in m and "'戊'" in m for m in fit.target_warnings(tmp_path, several))  # 戊: not named
    assert fit.target_warnings(tmp_path, [{"name": "甲", "aliases": ["甲"], "others": ["乙平台"]}]) == []
    assert fit.target_warnings(tmp_path, [{"name": "甲", "aliases": ["甲"], "others": ["丁"]}]) == [
        "other party of target '甲' named in no sentence that names the target (丁): it changes no score; check its "
        "spelling in the story file"]
