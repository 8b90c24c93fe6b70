"""Input checks shared by the DTW functions and the classifiers.

:func:`check_collection` is the one validator for a collection of series: the
DTW functions (:mod:`formcheck.dtw.distance`, :mod:`formcheck.dtw.search`) and
the classifiers (:mod:`formcheck.classifiers.base`) all read their input with
it. The other checks cover the search parameters. Each raises
:class:`~formcheck.errors.InputError` (or a subclass) with a message naming the
argument, and returns the value in the form the numba kernels take.
"""

from __future__ import annotations

import functools
import numbers
import sys

import joblib
import numpy as np

from ..errors import ChannelMismatchError, InputError, MissingDataError, TooFewFramesError

#: The kernels' window modes (:func:`check_window`): no band, a radius, a fraction.
MODE_NONE = 0
MODE_RADIUS = 1
MODE_FRACTION = 2

__all__ = [
    "check_series",
    "check_same_channels",
    "check_collection",
    "concatenate",
    "check_window",
    "check_max_dist",
    "check_n_neighbors",
    "check_n_jobs",
]


def check_series(x, name="x", *, min_frames=1, univariate=False):
    """Return one series as a C-contiguous float64 ``(T, C)`` array, or raise.

    Parameters
    ----------
    x : array-like of shape (T, C)
        Time first.
    name : str, default="x"
        What to call ``x`` in messages.
    min_frames : int, default=1
        Fewest frames accepted.
    univariate : bool, default=False
        Read a 1-D ``x`` as one channel (tslearn's convention); otherwise a
        1-D ``x`` is refused, with a hint.

    Returns
    -------
    numpy.ndarray of shape (T, C)
        ``x`` itself when it already is such an array, else a converted copy.

    Raises
    ------
    InputError
        Not numeric, complex, not 2-D, or no channels.
    TooFewFramesError
        Fewer than ``min_frames`` frames.
    MissingDataError
        NaN or infinite values.

    Examples
    --------
    >>> check_series([[0, 1], [2, 3]]).dtype
    dtype('float64')
    >>> check_series([0.5, 1.5, 2.5], univariate=True).shape
    (3, 1)
    """
    array = _numeric(x, name)
    if univariate and array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        hint = " (use x.reshape(-1, 1) for a single channel)" if array.ndim == 1 else ""
        raise InputError(f"{name} must have shape (T, C), got {array.ndim} dimension(s){hint}")
    if array.shape[0] < min_frames:
        raise TooFewFramesError(f"{name} has {array.shape[0]} frame(s); it needs at least {min_frames}")
    if array.shape[1] == 0:
        raise InputError(f"{name} has no channels")
    if not np.isfinite(array).all():
        raise MissingDataError(f"{name} contains NaN or infinite values; fill the gaps first")
    return np.ascontiguousarray(array)


def check_same_channels(x, y, xname="x", yname="y"):
    """Raise :class:`~formcheck.errors.ChannelMismatchError` unless two series have as many channels."""
    if x.shape[1] != y.shape[1]:
        raise ChannelMismatchError(f"{xname} has {x.shape[1]} channels but {yname} has {y.shape[1]}")


def check_collection(X, name="X", *, min_frames=1, univariate=False):
    """Return a collection of series as a list of float64 ``(T_i, C)`` arrays, or raise.

    Parameters
    ----------
    X : list or tuple of array-like of shape (T_i, C), or array-like of shape (n, T, C)
        The series; lengths may differ, channel counts may not.
    name : str, default="X"
        What to call ``X`` in messages (series ``i`` is ``name[i]``).
    min_frames : int, default=1
        Fewest frames accepted per series.
    univariate : bool, default=False
        Also read a 2-D array ``(n, T)`` as ``n`` one-channel series and a
        1-D item of a list as one channel (tslearn's convention, which
        scikit-learn's estimator checks rely on).

    Returns
    -------
    list of numpy.ndarray
        C-contiguous float64 ``(T_i, C)`` arrays (the caller's own arrays or
        views of them when they already are such; do not modify them).

    Raises
    ------
    InputError
        Not a collection of numeric series (sparse, complex, wrong shape), no
        series, or a series with no channels.
    TooFewFramesError
        A series shorter than ``min_frames``.
    MissingDataError
        NaN or infinite values.
    ChannelMismatchError
        Series with different channel counts.

    Examples
    --------
    >>> import numpy as np
    >>> [s.shape for s in check_collection([np.zeros((4, 2)), np.ones((6, 2))])]
    [(4, 2), (6, 2)]
    >>> [s.shape for s in check_collection(np.zeros((2, 5)), univariate=True)]
    [(5, 1), (5, 1)]
    """
    if _is_sparse(X):
        raise InputError(f"{name} is a sparse matrix, but dense data is required: sparse input is not supported")
    if isinstance(X, (list, tuple)):
        return _check_list(X, name, min_frames, univariate)
    array = _numeric(X, name)
    if univariate and array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        shapes = "a list of (T, C) arrays or an array of shape (n, T, C)"
        shapes += ", or (n, T) for one-channel series" if univariate else ""
        raise InputError(f"Reshape your data: {name} must be {shapes}; got an array of shape {array.shape}")
    return _check_stacked(array, name, min_frames)


def _check_list(series, name, min_frames, univariate):
    if not series:
        raise InputError(f"{name} holds no series (need at least 1)")
    checked = [check_series(s, f"{name}[{i}]", min_frames=min_frames, univariate=univariate)
               for i, s in enumerate(series)]
    n_channels = checked[0].shape[1]
    for i, s in enumerate(checked):
        if s.shape[1] != n_channels:
            raise ChannelMismatchError(f"{name}[{i}] has {s.shape[1]} channels but {name}[0] has {n_channels}")
    return checked


def _check_stacked(array, name, min_frames):
    """:func:`check_collection` for one ``(n, T, C)`` float array, checked in one go."""
    if array.shape[0] == 0:
        raise InputError(f"{name} holds no series (need at least 1)")
    if array.shape[1] < min_frames or array.shape[2] == 0:
        check_series(array[0], f"{name}[0]", min_frames=min_frames)  # raises the right error
    finite = np.isfinite(array).all(axis=(1, 2))
    if not finite.all():
        first = int(np.argmin(finite))
        check_series(array[first], f"{name}[{first}]")  # raises
    return list(np.ascontiguousarray(array))


def _numeric(data, name):
    """``data`` as a float64 array (no copy when it already is one), or raise."""
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric: {exc}") from None
    if array.dtype.kind == "c":
        raise InputError(f"{name}: Complex data not supported")
    try:
        return array.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric: {exc}") from None


def concatenate(series):
    """Series (checked) in the layout the kernels read: ``(data, offsets)``.

    ``data`` is a new C-contiguous array of all series along time; series
    ``i`` is ``data[offsets[i]:offsets[i + 1]]``.

    Examples
    --------
    >>> import numpy as np
    >>> data, offsets = concatenate([np.zeros((2, 3)), np.ones((4, 3))])
    >>> data.shape, offsets.tolist()
    ((6, 3), [0, 2, 6])
    """
    offsets = np.zeros(len(series) + 1, dtype=np.int64)
    np.cumsum([s.shape[0] for s in series], out=offsets[1:])
    return np.concatenate(series, axis=0), offsets


def check_window(window):
    """The kernels' ``(mode, value)`` for a Sakoe-Chiba ``window``, or raise.

    ``None`` is no band, an ``int`` a radius in frames, a ``float`` in
    ``[0, 1]`` a fraction of the longer length.
    """
    if window is None:
        return MODE_NONE, 0.0
    if isinstance(window, (bool, np.bool_)):
        raise InputError("window must be None, an int radius or a float fraction in [0, 1], not a bool")
    if isinstance(window, numbers.Integral):
        if window < 0:
            raise InputError(f"window radius must be >= 0, got {window}")
        return MODE_RADIUS, float(min(window, 2**53))  # any radius >= the length is no constraint
    if isinstance(window, numbers.Real):
        window = float(window)
        if not 0.0 <= window <= 1.0:
            raise InputError(
                f"a float window is a fraction of the longer length and must be in [0, 1], got {window}"
            )
        return MODE_FRACTION, window
    raise InputError(f"window must be None, an int or a float, got {type(window).__name__}")


def check_max_dist(max_dist):
    """``max_dist`` as a float ``>= 0`` (``inf`` allowed), or raise."""
    try:
        value = float(max_dist)
    except (TypeError, ValueError):
        raise InputError(f"max_dist must be a number, got {max_dist!r}") from None
    if np.isnan(value) or value < 0:
        raise InputError(f"max_dist must be >= 0, got {max_dist!r}")
    return value


def check_n_neighbors(n_neighbors, n_train):
    """``n_neighbors`` as an int in ``1 .. n_train``, or raise."""
    if not _is_int(n_neighbors) or n_neighbors < 1:
        raise InputError(f"n_neighbors must be a positive int, got {n_neighbors!r}")
    if n_neighbors > n_train:
        raise InputError(f"n_neighbors={n_neighbors} but the training set holds only {n_train} series")
    return int(n_neighbors)


def check_n_jobs(n_jobs):
    """Threads to use for ``n_jobs`` (-1 = one per CPU available), or raise."""
    if not _is_int(n_jobs) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be -1 or a positive int, got {n_jobs!r}")
    return _cpu_count() if n_jobs == -1 else int(n_jobs)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


@functools.cache
def _cpu_count():
    return joblib.cpu_count()  # honours cgroup quotas; ~0.1 ms, hence cached


def _is_sparse(X) -> bool:
    """Whether ``X`` is a SciPy sparse matrix or array, without importing SciPy: when
    ``scipy.sparse`` is not loaded, nothing can be one."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(X))
