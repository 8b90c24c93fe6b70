"""numba set-up: where the kernels are cached, and the one-time notice when compiling is slow."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from numba.core import event

from formcheck.dtw._jit import _CompileNotice

PROJECT = Path(__file__).resolve().parents[2]


def numba_cache_dir(tmp_path, before="", **env) -> str:
    code = (before + "from formcheck.dtw import dtw_distance; from numba import config; "
            "print(config.CACHE_DIR)")
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    environment.update(PYTHONPATH=str(PROJECT), FORMCHECK_CACHE_DIR=str(tmp_path), **env)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=environment, timeout=120, check=True)
    return run.stdout.strip()


def test_kernels_are_cached_in_formchecks_cache_dir(tmp_path):
    assert numba_cache_dir(tmp_path) == str(tmp_path / "numba")
    assert (tmp_path / "numba").is_dir()


def test_numba_loaded_before_formcheck_follows_too(tmp_path):
    assert numba_cache_dir(tmp_path, before="import numba; ") == str(tmp_path / "numba")


def test_a_numba_cache_dir_the_user_set_is_kept(tmp_path):
    mine = str(tmp_path / "mine")
    assert numba_cache_dir(tmp_path, NUMBA_CACHE_DIR=mine) == mine


def compile_event(status, module="formcheck.dtw._dp"):
    dispatcher = SimpleNamespace(py_func=SimpleNamespace(__module__=module))
    return event.Event("numba:compile", status, data={"dispatcher": dispatcher})


def compile_for(notice, seconds, module="formcheck.dtw._dp"):
    notice.notify(compile_event(event.EventStatus.START, module))
    notice.notify(compile_event(event.EventStatus.START, module))   # a kernel it calls
    time.sleep(seconds)
    notice.notify(compile_event(event.EventStatus.END, module))
    notice.notify(compile_event(event.EventStatus.END, module))


def test_slow_compiling_is_announced_once(capsys):
    notice = _CompileNotice(delay=0.05)
    compile_for(notice, 0.5)
    compile_for(notice, 0.5)
    assert capsys.readouterr().err.count("compiling DTW kernels, once") == 1


def test_quick_compiling_and_other_code_say_nothing(capsys):
    compile_for(_CompileNotice(delay=0.2), 0.0)
    compile_for(_CompileNotice(delay=0.05), 0.3, module="formcheck.dtwx")
    time.sleep(0.3)
    assert capsys.readouterr().err == ""
