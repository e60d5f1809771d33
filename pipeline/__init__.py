"""Chinese news framing analysis: how different outlets tell the same story.

``pipeline.load(stage, output_dir="outputs")`` returns a stage's output as a DataFrame;
``pipeline.run_pipeline(input, output)`` runs every stage.
"""
from .api import StaleOutput, kwic, load
from .run import run_pipeline

__version__ = "0.2.0"  # the same as pyproject.toml's (a test checks it)
__all__ = ["StaleOutput", "load", "kwic", "run_pipeline", "__version__"]
