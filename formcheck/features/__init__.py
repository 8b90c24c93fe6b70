"""Features: from a pose sequence to a normalised joint-angle time series.

- :mod:`.channels`: the channel vocabulary (which joints each channel uses, its
  unit, its left/right twin).
- :mod:`.exercises`: exercise definitions, kept as data (``exercises.json``).
- :mod:`.angles`: :func:`joint_angles` -> :class:`AngleSeries` (gap filling,
  visible-side choice, smoothing, resampling).
"""

from .angles import AngleSeries, joint_angles, resample
from .channels import CHANNELS, available_channels
from .exercises import Exercise, exercise_names, get_exercise, load_exercises, register_exercise

__all__ = ["AngleSeries", "joint_angles", "resample", "CHANNELS", "available_channels",
           "Exercise", "get_exercise", "exercise_names", "register_exercise", "load_exercises"]
