"""Rep classifiers sharing one scikit-learn interface."""

from .base import RepClassifier, load_model
from .knn import DTWKNeighborsClassifier
from .learned import LearnedClassifier

__all__ = ["RepClassifier", "DTWKNeighborsClassifier", "LearnedClassifier", "load_model"]
