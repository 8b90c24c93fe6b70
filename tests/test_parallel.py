"""Batches of files through joblib: on a Dask cluster (a distributed.LocalCluster of 2 worker
processes started here), results equal to serial ones and a file that kills its worker reported."""

import json
import os
import shutil
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import formcheck.check as check_module
from formcheck import FormChecker, LearnedClassifier
from formcheck._parallel import dask_client, run_per_file
from formcheck.cli import cli
from formcheck.datasets.synthetic import make_dataset, make_set
from formcheck.errors import DependencyError
from formcheck.pose import extract_many

NEEDS_DASK = "dask.distributed is the optional dask extra (pip install 'formcheck[dask]')"
#: formcheck's own worker function: the crashing stand-in below hands the other files to it.
CHECK_ONE = check_module._check_one


@pytest.fixture(scope="module")
def distributed():
    return pytest.importorskip("distributed", reason=NEEDS_DASK)


@pytest.fixture(scope="module")
def cluster(distributed):
    """2 worker processes of 1 thread; a task is given up after killing 2 workers."""
    dask = pytest.importorskip("dask", reason=NEEDS_DASK)
    cloudpickle = pytest.importorskip("cloudpickle", reason=NEEDS_DASK)
    # The workers cannot import this test module: its functions travel by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
    yield local
    local.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def client(cluster, distributed):
    with distributed.Client(cluster) as connected:
        connected.wait_for_workers(2, timeout=120)   # a test before may have killed some
        yield connected


@pytest.fixture(scope="module")
def checker():
    return FormChecker(LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0)))


@pytest.fixture
def recordings(tmp_path):
    paths = []
    for seed in range(4):
        label = "correct" if seed % 2 == 0 else "not-low"
        paths.append(tmp_path / f"set{seed}.npz")
        make_set("squat", label=label, n_reps=2, seed=seed, severity=1.0).save(paths[-1])
    (tmp_path / "broken.npz").write_bytes(b"not numpy")
    return [*paths, tmp_path / "broken.npz"]


def as_dicts(result):
    return ({path: [v.to_dict() for v in verdicts] for path, verdicts in result.verdicts.items()},
            result.no_rep, result.failed)


def test_check_many_on_a_dask_cluster_equals_serial(client, distributed, checker, recordings):
    serial = checker.check_many(recordings)
    with distributed.get_task_stream(client) as stream:
        on_cluster = checker.check_many(recordings, n_jobs=-1, backend="dask")
    assert as_dicts(on_cluster) == as_dicts(serial)
    assert [len(v) for v in on_cluster.verdicts.values()] == [2, 2, 2, 2]
    assert list(on_cluster.failed) == [str(recordings[-1])]
    workers = {task["worker"] for task in stream.data}
    assert len(stream.data) >= len(recordings) and workers <= set(client.scheduler_info()["workers"])


def die_on_crash_files(path, checker, load_options):
    """Stands in for check._check_one on the workers: 'crash*' files kill the worker process."""
    if os.path.basename(path).startswith("crash"):
        os._exit(3)
    return CHECK_ONE(path, checker, load_options)


def test_a_file_that_kills_its_dask_worker_is_reported_and_the_rest_checked(
        client, checker, recordings, monkeypatch, tmp_path):
    crasher = tmp_path / "crash.npz"
    shutil.copy(recordings[1], crasher)
    paths = [recordings[0], crasher, recordings[2], recordings[3]]
    monkeypatch.setattr(check_module, "_check_one", die_on_crash_files)
    result = checker.check_many(paths, n_jobs=-1, backend="dask")
    assert list(result.failed) == [str(crasher)]
    assert result.failed[str(crasher)].startswith(
        f"WorkerCrash: the worker process died while checking {crasher} (KilledWorker: ")
    expected = checker.check_many([recordings[0], recordings[2], recordings[3]])
    assert as_dicts(result)[0] == as_dicts(expected)[0]


def test_predict_a_folder_on_a_dask_scheduler_equals_serial(cluster, recordings, tmp_path):
    model = tmp_path / "squat.fcm"
    LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0)).save(model)
    folder = recordings[0].parent
    serial = CliRunner().invoke(cli, ["predict", str(folder), "--model", str(model), "--json"])
    remote = CliRunner().invoke(cli, ["predict", str(folder), "--model", str(model), "--json",
                                      "--scheduler", cluster.scheduler_address])
    assert serial.exit_code == remote.exit_code == 2        # the broken file, listed
    assert json.loads(remote.stdout) == json.loads(serial.stdout)
    assert len(json.loads(remote.stdout)) == 4
    assert remote.stderr == serial.stderr and "broken.npz" in remote.stderr


@pytest.mark.slow
@pytest.mark.video
def test_extract_many_on_a_dask_cluster_equals_serial(client, shared_datasets):
    pytest.importorskip("mediapipe", reason="MediaPipe is part of the video extra")
    clips = [shared_datasets / "pushfit-pushups/videos/wrong/wrong86.mp4",
             shared_datasets / "pushfit-pushups/videos/correct/correct57.mp4"]
    serial = extract_many(clips, cache=False, progress=False)
    on_cluster = extract_many(clips, cache=False, progress=False, n_jobs=-1, backend="dask")
    assert on_cluster.ok and list(on_cluster.poses) == list(serial.poses)
    for path, pose in serial:
        np.testing.assert_array_equal(on_cluster.poses[path].landmarks, pose.landmarks)


def test_the_dask_backend_without_distributed_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)      # as if not installed
    with pytest.raises(DependencyError, match=r"formcheck\[dask\]"):
        with dask_client("tcp://127.0.0.1:8786"):
            pass


def test_run_per_file_keeps_every_files_outcome():
    def shout(path, times):
        return path, path.upper() * times, (None if path != "b" else "ValueError: b")

    outcomes = run_per_file(shout, ["a", "b", "c"], (2,), n_jobs=2, backend="threading")
    assert outcomes == {"a": ("AA", None), "b": ("BB", "ValueError: b"), "c": ("CC", None)}
