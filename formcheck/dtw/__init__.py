"""Dynamic time warping between multichannel series, and exact k-NN search under it.

The stage under the classifiers: it compares reps of unequal length frame by
frame. :mod:`~formcheck.dtw.validation` checks input (and is the classifiers'
validator for a collection of series too), :mod:`~formcheck.dtw.distance`
compares two series or two collections, :mod:`~formcheck.dtw.search` finds
exact nearest neighbours; the numba kernels are private (``_dp``: the
recurrence and dynamic programmes, ``_bounds``: lower bounds, ``_knn``: the
search).

Definition used everywhere in formcheck (the DTW "distance"):

* series are float arrays of shape ``(T, C)``, time first; lengths may differ,
  channel counts may not;
* the cost of matching frame ``x[i]`` with frame ``y[j]`` is the squared
  Euclidean distance over channels (dependent, multivariate DTW);
* the distance is the sum of costs along the cheapest warping path.
  **No square root is taken**: the value is the square of what
  :func:`tslearn.metrics.dtw` returns, so neighbours rank the same;
* ``window`` is a Sakoe-Chiba band: an ``int`` is a radius ``r`` in frames, a
  ``float`` in ``[0, 1]`` is ``r = floor(window * max(n, m))``, ``None`` is no
  constraint. For ``n <= m`` cell ``(i, j)`` is allowed when
  ``i - r <= j <= i + (m - n) + r`` (tslearn's band for unequal lengths); for
  ``n > m`` the roles are swapped, so ``dtw_distance(x, y) ==
  dtw_distance(y, x)`` exactly.

Each public function validates its input and raises
:class:`~formcheck.errors.InputError` (or a subclass) with a clear message.

The compiled kernels are cached on disk in formcheck's cache (see
:mod:`~formcheck.dtw._jit`), so only a first run compiles them; numba itself
loads with the first public name used (they are loaded on first use).
"""

from .._lazy import lazy_names

#: Public name -> the module that defines it, loaded on first use: importing
#: :mod:`formcheck.dtw.validation` (as every classifier does) compiles no kernel
#: and loads no numba.
_PUBLIC = {
    "dtw_distance": ".distance",
    "dtw_path": ".distance",
    "pairwise_dtw": ".distance",
    "lb_kim": ".distance",
    "lb_keogh": ".distance",
    "band_radius": ".distance",
    "TrainingSet": ".search",
    "prepare_training": ".search",
    "pack_training": ".search",
    "knn_search": ".search",
    "knn_upper_bounds": ".search",
}

__all__ = list(_PUBLIC)


__getattr__, __dir__ = lazy_names(__name__, _PUBLIC, globals())
