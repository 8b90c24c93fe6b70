"""Errors raised by formcheck.

Every error the library raises on purpose is a :class:`FormcheckError`, so an
application can catch them all at once; the subclasses say what went wrong.
The command-line interface turns any of them into one line and exit code 2.

:class:`NotFittedError` is also scikit-learn's ``NotFittedError`` (its checks
expect that class). It is created on first use, so that importing this module,
as the command line does before every command, does not import scikit-learn.
"""

__all__ = [
    "FormcheckError",
    "InputError",
    "ParameterError",
    "PoseShapeError",
    "LayoutError",
    "ExerciseError",
    "MissingDataError",
    "TooFewFramesError",
    "ChannelMismatchError",
    "NotFittedError",
    "ModelFileError",
    "VideoError",
    "NoPersonError",
    "DependencyError",
    "DatasetError",
    "OutputError",
    "ExportError",
    "FormcheckWarning",
]


class FormcheckError(Exception):
    """Root of every error formcheck raises on purpose."""

class InputError(FormcheckError, ValueError):
    """An argument or an input array is not what the function accepts."""

class ParameterError(InputError):
    """A hyper-parameter of an estimator has the wrong type or a value out of its range."""

class PoseShapeError(InputError):
    """A landmark array has the wrong shape, dtype or number of joints."""

class LayoutError(InputError):
    """An unknown keypoint layout, or one that lacks the joints a feature needs."""

class ExerciseError(InputError):
    """An unknown exercise, or an exercise definition that is not valid."""

class MissingDataError(InputError):
    """Too many landmarks are missing (NaN or low visibility), or the data holds NaN/inf."""

class TooFewFramesError(InputError):
    """A sequence is too short for the requested operation."""

class ChannelMismatchError(InputError):
    """Series do not all have the same channels, or not those the model was fitted on."""


class ModelFileError(FormcheckError):
    """A model or dataset file is missing, corrupt, truncated or from a newer formcheck."""

class VideoError(FormcheckError):
    """A video file is missing, unreadable, not a video, or has no frames."""

class NoPersonError(FormcheckError):
    """The pose estimator found no person in any frame."""

class DependencyError(FormcheckError, ImportError):
    """An optional dependency is needed but not installed."""

class DatasetError(FormcheckError):
    """A labelled folder, annotation CSV or RepDataset is not usable."""


class OutputError(FormcheckError, OSError):
    """A file cannot be written: its folder is read-only or a file, or the disk is full.

    Also an ``OSError``; the previous version of the file, if any, is left intact.
    """


class ExportError(FormcheckError):
    """A model cannot be exported to ONNX: a kNN, or feature settings the graph does not compute."""


class FormcheckWarning(UserWarning):
    """formcheck assumed something a file did not say, which may change a result (its frame rate).

    The command line prints these as ``formcheck: warning: ...`` lines.
    """


def __getattr__(name):
    """Create :class:`NotFittedError`, a subclass of scikit-learn's, on first access."""
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(FormcheckError, SklearnNotFittedError):
        """A classifier was used before ``fit`` (also a scikit-learn ``NotFittedError``)."""

    NotFittedError.__qualname__ = "NotFittedError"
    globals()["NotFittedError"] = NotFittedError
    return NotFittedError
