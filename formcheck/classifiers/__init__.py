"""Rep classifiers sharing one scikit-learn interface.

The classifiers load on first use: predicting with a learned model or the
standards never loads the DTW kernels (numba) the kNN needs.
"""

from .._lazy import lazy_names
from .base import RepClassifier, load_model

#: Public classifier -> the module that defines it.
_CLASSIFIERS = {
    "DTWKNeighborsClassifier": ".knn",
    "LearnedClassifier": ".learned",
    "StandardsClassifier": ".standards",
}

__all__ = ["RepClassifier", *_CLASSIFIERS, "load_model"]


__getattr__, __dir__ = lazy_names(__name__, _CLASSIFIERS, globals())
