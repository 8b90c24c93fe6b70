"""Shared fixtures: the real datasets beside the project, synthetic videos, an isolated cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a CI run must not depend on luck; the
# examples that once failed are pinned with @example), with no per-example deadline (the CI
# machine has 2 cores and may be loaded). HYPOTHESIS_PROFILE=explore draws fresh examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Compiled DTW kernels: outside the user's cache, kept from one test session to the next. Set
# before formcheck.dtw loads numba (it would otherwise choose formcheck's cache folder).
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "formcheck-tests-numba"))

#: ``../shared/datasets`` seen from the repository root (this file is ``<root>/tests/conftest.py``).
DEFAULT_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def datasets_root() -> Path:
    """``$FORMCHECK_DATASETS`` when set, else ``../shared/datasets`` beside the repository."""
    override = os.environ.get("FORMCHECK_DATASETS")
    return Path(override) if override else DEFAULT_DATASETS


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """Folder of the real datasets; the test is skipped, with the reason, when it is absent."""
    root = datasets_root()
    if not root.is_dir():
        pytest.skip(f"shared datasets not found at {root} (set FORMCHECK_DATASETS)")
    return root


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep formcheck's caches (poses, models) out of the user's home during tests."""
    previous = os.environ.get("FORMCHECK_CACHE_DIR")
    os.environ["FORMCHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("formcheck-cache"))
    yield
    if previous is None:
        os.environ.pop("FORMCHECK_CACHE_DIR", None)
    else:
        os.environ["FORMCHECK_CACHE_DIR"] = previous


def write_synthetic_video(path, *, n_frames=20, fps=10.0, size=(64, 48), fourcc="mp4v"):
    """Write a tiny video with cv2.VideoWriter: a white bar sweeping right over grey.

    Frame ``k`` has the bar at columns ``3k .. 3k+5`` (modulo the width) and a
    bright 8x8 marker in the top-left corner, so order and orientation can be
    checked after decoding. Returns ``path``.
    """
    cv2 = pytest.importorskip("cv2")
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for k in range(n_frames):
        image = np.full((height, width, 3), 90, np.uint8)
        start = (3 * k) % width
        image[:, start:start + 6] = 255
        image[:8, :8] = (0, 0, 255)       # red marker (BGR), top-left
        writer.write(image)
    writer.release()
    return Path(path)


@pytest.fixture
def make_video(tmp_path):
    """Factory: ``make_video(name="clip.mp4", n_frames=20, fps=10, size=(64, 48))`` -> Path."""
    def make(name="clip.mp4", **kwargs):
        return write_synthetic_video(tmp_path / name, **kwargs)
    return make


@pytest.fixture
def synthetic_video(make_video) -> Path:
    """A 20-frame, 10 fps, 64x48 mp4 with no person in it."""
    return make_video()


@pytest.fixture(scope="session")
def zip_bombs(tmp_path_factory) -> dict:
    """Model files of about 1 MB inflating to 1 GiB: ``"npy"`` (an array member), ``"meta"``."""
    from bad_files import meta_bomb, npy_bomb

    folder = tmp_path_factory.mktemp("bombs")
    return {"npy": npy_bomb(folder / "array-bomb.fcm"), "meta": meta_bomb(folder / "meta-bomb.fcm")}


@pytest.fixture
def squat_folder(tmp_path) -> Path:
    """``sets/<label>/<file>``: two correct and two shallow squat sets as keypoint files.

    Files ``set0.npz`` .. ``set3.npz``, three reps each; even seeds correct.
    """
    from formcheck.datasets.synthetic import make_set

    root = tmp_path / "sets"
    for seed in range(4):
        label = "correct" if seed % 2 == 0 else "not-low"
        (root / label).mkdir(parents=True, exist_ok=True)
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0).save(
            root / label / f"set{seed}.npz")
    return root


@pytest.fixture
def sets(tmp_path) -> list:
    """Six squat keypoint files of three reps each, ``sets/<label>-<seed>.npz``: three people
    doing correct sets (even seeds) and three shallow ones."""
    from formcheck.datasets.synthetic import make_set

    folder = tmp_path / "sets"
    folder.mkdir()
    files = []
    for seed in range(6):
        label = "correct" if seed % 2 == 0 else "not-low"
        path = folder / f"{label}-{seed}.npz"
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0).save(path)
        files.append(path)
    return files
