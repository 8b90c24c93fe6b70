"""The on-disk cache of extracted poses.

Results of :func:`~formcheck.pose.extract.extract_pose` are cached under
``formcheck._files.cache_dir("poses")`` (``$FORMCHECK_CACHE_DIR/poses`` when
that variable is set), keyed by the SHA-256 of the video's bytes, the
extraction settings and the formcheck and MediaPipe versions
(:func:`pose_cache_key`): renaming or moving a video keeps its entry, and
changing a setting or upgrading MediaPipe makes a new one. Entries are
``.npz`` files (arrays plus a JSON metadata string, read without pickle); a
corrupt or truncated entry is deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging

import numpy as np

from .._files import atomic_write
from .._version import __version__
from .mediapipe_backend import mediapipe_version
from .sequence import PoseSequence

__all__ = ["pose_cache_key", "CACHE_FORMAT"]

logger = logging.getLogger("formcheck")

#: Bumped whenever the layout of a cache entry changes.
CACHE_FORMAT = 1
_CHUNK = 1 << 20


def pose_cache_key(path, settings) -> str:
    """SHA-256 of the file's bytes, the extraction settings and the formcheck/MediaPipe versions.

    Parameters
    ----------
    path : str or os.PathLike
        Video file.
    settings : dict
        JSON-serialisable extraction settings.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    description = {"file_sha256": digest.hexdigest(), "settings": settings,
                   "formcheck": __version__, "mediapipe": mediapipe_version(),
                   "format": CACHE_FORMAT}
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def _save_entry(entry, key, pose, settings):
    meta = {"key": key, "format": CACHE_FORMAT, "formcheck": __version__,
            "mediapipe": mediapipe_version(), "settings": settings, "fps": pose.fps,
            "layout": pose.layout, "units": pose.units, "image_size": pose.image_size,
            "n_frames": pose.n_frames, "source": pose.source}
    arrays = {"landmarks": pose.landmarks, "meta": np.array(json.dumps(meta))}
    if pose.world_landmarks is not None:
        arrays["world_landmarks"] = pose.world_landmarks
    try:
        with atomic_write(entry) as handle:
            np.savez(handle, **arrays)
    except OSError as exc:      # a read-only or full cache must not lose the result
        logger.warning("could not write pose cache entry %s: %s", entry, exc)


def _load_entry(entry, key, source):
    """The cached PoseSequence, or None when absent; a broken entry is deleted."""
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"][()]))
            landmarks = archive["landmarks"]
            world = archive["world_landmarks"] if "world_landmarks" in archive.files else None
        if meta.get("key") != key or meta.get("format") != CACHE_FORMAT \
                or landmarks.shape[0] != meta.get("n_frames"):
            raise ValueError("metadata does not match the entry")
        return PoseSequence.from_array(landmarks, fps=meta["fps"], layout=meta["layout"],
                                       columns="xyzv", image_size=meta["image_size"],
                                       units=meta["units"], source=source,
                                       world_landmarks=world)
    except Exception as exc:  # noqa: BLE001 - any failure to read means: rebuild the entry
        logger.warning("pose cache entry %s is unreadable (%s: %s); extracting again",
                       entry, type(exc).__name__, exc)
        with contextlib.suppress(OSError):
            entry.unlink()
        return None
