"""The package as users adopt it: version, licence, citation, changelog, the run's last line."""
from __future__ import annotations

import tomllib

import pipeline
from pipeline.config import ROOT


def test_version_is_one_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pipeline.__version__ == project["version"]
    assert f'version: "{pipeline.__version__}"' in (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert f"## {pipeline.__version__}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_licence_and_citation_are_shipped():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert citation.startswith("cff-version: 1.2.0") and "title:" in citation and "authors:" in citation


def test_defaults_are_folders_of_the_current_directory():
    """Installed with pip, the package never writes inside itself."""
    from pipeline import config
    from pipeline.__main__ import parser

    assert not config.OUTPUTS.is_absolute() and not config.DEFAULT_INPUT.is_absolute()
    args = parser().parse_args(["run"])
    assert args.output == config.OUTPUTS and args.input == config.DEFAULT_INPUT


def test_articles_table_joins_every_stage(seed_outputs):
    articles = pipeline.load("articles", seed_outputs)
    assert len(articles) == 5 and articles["id"].is_unique
    assert {"group", "removed_share", "script", "n_tokens", "score", "target_score"} <= set(articles.columns)
    assert any(c.startswith("frame_") for c in articles.columns)
    assert articles["n_tokens"].gt(0).all() and articles["target_score"].notna().all()
    row = articles.set_index("id").loc["002_15155710bce3e603"]
    assert row["group"] == "光锥智能"


def test_kwic_is_sentence_bounded_and_token_based(seed_outputs):
    hits = pipeline.kwic("裁员", seed_outputs, window=8)
    assert len(hits) > 5 and set(hits["match"]) == {"裁员"}
    assert list(hits.columns) == ["id", "group", "sentence", "left", "match", "right", "start", "end"]
    assert hits["left"].str.len().le(8).all() and hits["right"].str.len().le(8).all()
    traditional = pipeline.kwic("裁員", seed_outputs)  # converted as the text was
    assert len(traditional) == len(pipeline.kwic("裁员", seed_outputs))
    assert pipeline.kwic("不存在的词语", seed_outputs).empty


def test_the_run_ends_by_saying_where_the_report_is(tmp_path, monkeypatch, capsys):
    import pipeline.run
    from pipeline.__main__ import main

    monkeypatch.setattr(pipeline.run, "run_pipeline", lambda *a, **k: {})
    assert main(["run", "--input", str(tmp_path), "--output", str(tmp_path / "out")]) in (0, None)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"report: {tmp_path / 'out' / 'report.html'}") and "pipeline.load" in last


def test_the_readme_leads_with_the_users_path():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first = "\n".join(lines[:300])
    for heading in ("## Two commands", "## Your own story", "## Reading the report", "## Outputs", "## Notebooks"):
        assert heading in first, heading
    assert "pip install" in first and "Windows" in first and "Tested on Python 3.11" in first
    assert "make test-fast" in first and "make notebooks" in first


def test_make_has_the_users_and_the_developers_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("setup", "pipeline", "test", "test-fast", "notebooks", "snapshots", "benchmarks", "clean"):
        assert f"\n## {target}: " in makefile and f"\n{target}:" in makefile, target
    assert '-m "not slow"' in makefile.split("\ntest-fast:")[1].split("\n\n")[0]
