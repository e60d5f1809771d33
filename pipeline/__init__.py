"""Chinese news framing analysis: how different outlets tell the same story.

``pipeline.load(stage, output_dir="outputs")`` returns a stage's output as a DataFrame;
``pipeline.run_pipeline(input, output)`` runs every stage.
"""
from .api import StaleOutput, load
from .run import run_pipeline

__all__ = ["StaleOutput", "load", "run_pipeline"]
