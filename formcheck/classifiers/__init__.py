"""Rep classifiers sharing one scikit-learn interface."""

from .base import RepClassifier, load_model
from .learned import LearnedClassifier

__all__ = ["RepClassifier", "LearnedClassifier", "load_model"]
