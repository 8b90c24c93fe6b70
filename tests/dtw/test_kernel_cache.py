"""Where the compiled DTW kernels are cached: formcheck's cache folder unless NUMBA_CACHE_DIR is set."""

import os
import subprocess
import sys

PROBE = ("import numba, formcheck.dtw, os; "
         "print(os.environ['NUMBA_CACHE_DIR']); print(numba.config.CACHE_DIR)")


def _cache_dirs(env, before=""):
    run = subprocess.run([sys.executable, "-c", before + PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return run.stdout.split()


def _env(**values):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    return {**env, **values}


def test_kernels_are_cached_in_formchecks_cache_folder(tmp_path):
    expected = str(tmp_path / "cache" / "numba")
    assert _cache_dirs(_env(FORMCHECK_CACHE_DIR=str(tmp_path / "cache"))) == [expected, expected]
    # numba imported before formcheck: its loaded configuration follows too.
    assert _cache_dirs(_env(FORMCHECK_CACHE_DIR=str(tmp_path / "cache")),
                       before="import numba; ") == [expected, expected]


def test_a_numba_cache_dir_set_by_the_user_is_kept(tmp_path):
    mine = str(tmp_path / "mine")
    assert _cache_dirs(_env(NUMBA_CACHE_DIR=mine, FORMCHECK_CACHE_DIR=str(tmp_path))) == [mine, mine]
