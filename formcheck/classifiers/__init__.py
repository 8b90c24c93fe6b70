"""Rep classifiers sharing one scikit-learn interface."""

from .base import RepClassifier, load_model
from .knn import DTWKNeighborsClassifier
from .learned import LearnedClassifier
from .standards import StandardsClassifier

__all__ = ["RepClassifier", "DTWKNeighborsClassifier", "LearnedClassifier", "StandardsClassifier",
           "load_model"]
