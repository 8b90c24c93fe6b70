"""How fast, and in how little memory, hostile files are refused.

A model file of about 1 MB whose array member (or ``meta.json``) inflates to
1 GiB, and keypoint CSVs of under 80 bytes that name joint 999,999,999 or frame
1,048,575: each must be refused in well under a second, and without
allocating what the file asks for. Run (not part of the unit tests)::

    pytest benchmarks/bench_hostile_files.py -o addopts="" --benchmark-json=hostile.json

Each benchmark's ``extra_info`` holds ``traced_peak_bytes``: tracemalloc's peak
(Python and NumPy allocations) over one refusal.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bad_files import meta_bomb, npy_bomb  # noqa: E402
from formcheck.classifiers import load_model  # noqa: E402
from formcheck.errors import InputError, ModelFileError  # noqa: E402
from formcheck.pose import load_keypoints  # noqa: E402

CSVS = {"wide-header": "class,x999999999,y999999999,z999999999,v999999999\nsquat,.1,.2,.3,.9\n",
        "far-frame": "frame,joint,x,y\n1048575,32,0.5,0.5\n"}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    return {"array-member": npy_bomb(folder / "array.fcm"), "meta-json": meta_bomb(folder / "meta.fcm")}


def refusal(benchmark, load, path, error):
    def refuse():
        with pytest.raises(error):
            load(path)

    tracemalloc.start()
    refuse()
    benchmark.extra_info["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
    benchmark.extra_info["file_bytes"] = Path(path).stat().st_size
    tracemalloc.stop()
    benchmark.pedantic(refuse, rounds=20, iterations=1)
    assert benchmark.stats["max"] < 1.0


@pytest.mark.parametrize("bomb", ["array-member", "meta-json"])
def test_model_bomb_refused(benchmark, bombs, bomb):
    refusal(benchmark, load_model, bombs[bomb], ModelFileError)


@pytest.mark.parametrize("name", sorted(CSVS))
def test_tiny_csv_refused(benchmark, tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_text(CSVS[name])
    refusal(benchmark, load_keypoints, path, InputError)
