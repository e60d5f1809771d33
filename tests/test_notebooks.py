"""Both notebooks run top to bottom on the outputs the test session built from the seeds."""
from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from pipeline.config import ROOT

NOTEBOOKS = ROOT / "notebooks"


@pytest.mark.parametrize("name", ["01_stages.ipynb", "02_framing.ipynb"])
def test_notebook_runs(name, seed_outputs, monkeypatch):
    monkeypatch.setenv("PIPELINE_OUTPUTS", str(seed_outputs))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), \
        "commit notebooks without outputs (python notebooks/build_notebooks.py)"
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert errors == []
    images = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/png" in out.get("data", {})]
    assert len(images) == (5 if name == "02_framing.ipynb" else 0)


def test_notebooks_match_their_generator(tmp_path, monkeypatch):
    """The committed .ipynb files are what build_notebooks.py writes (edit the generator, not the JSON)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", NOTEBOOKS / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for name in ("01_stages.ipynb", "02_framing.ipynb"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (NOTEBOOKS / name).read_text(encoding="utf-8"), name
