"""Evaluation: cross-validation, hold-out, learning curves, the benchmark harness, plots."""

from .validation import EvaluationResult, evaluate_model, grouped_cross_validation, holdout_split

__all__ = ["EvaluationResult", "grouped_cross_validation", "holdout_split", "evaluate_model"]
