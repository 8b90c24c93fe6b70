"""The text report of an evaluation, as ``formcheck evaluate`` prints it."""

import numpy as np

from formcheck.evaluation.validation import EvaluationResult


def test_confusion_matrix_columns_line_up_under_their_numbers():
    """Class names of different lengths (the longest used to push its row two columns right)."""
    classes = np.array(["push-up/correct", "push-up/wrong", "x"])
    truth = np.array(["push-up/correct"] * 15 + ["push-up/wrong"] * 9 + ["x"] * 3)
    pred = truth.copy()
    pred[:5] = "push-up/wrong"
    proba = (pred[:, None] == classes).astype(float)
    report = EvaluationResult(classes, truth, pred, proba, np.arange(len(truth)).astype(str))
    lines = report.report().splitlines()
    header = lines.index("confusion matrix (rows: true, columns: predicted)") + 1
    rows = lines[header + 1:header + 1 + len(classes)]
    assert [row.split() for row in rows] == [["push-up/correct", "0", "10", "5", "0"],
                                             ["push-up/wrong", "1", "0", "9", "0"],
                                             ["x", "2", "0", "0", "3"]]
    ends = [[m for m in range(len(line)) if line[m] != " " and (m + 1 == len(line)
                                                                or line[m + 1] == " ")][-3:]
            for line in [lines[header], *rows]]
    assert all(row_ends == ends[0] for row_ends in ends), "\n".join([lines[header], *rows])
