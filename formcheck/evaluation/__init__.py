"""Evaluation: cross-validation, hold-out, channel-set ablations, learning curves, benchmarks, plots."""

from .channels import compare_channel_sets
from .validation import (EvaluationResult, evaluate_model, grouped_cross_validation,
                         holdout_groups, holdout_split)

__all__ = ["EvaluationResult", "grouped_cross_validation", "holdout_groups", "holdout_split",
           "evaluate_model", "compare_channel_sets"]
