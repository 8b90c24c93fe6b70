"""Writing outputs and using the cache when the machine says no: _files."""

import errno
import logging
import os
import stat

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from formcheck import _files
from formcheck._files import (FORMULA_STARTS, atomic_write, cache_dir, escape_formula,
                              make_folder, temporary_files, unescape_formula)
from formcheck.errors import OutputError


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    kept = tmp_path / "kept.csv"
    kept.write_text("old")
    kept.chmod(0o640)
    with atomic_write(kept, "w") as handle:
        handle.write("new")
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    previous = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "new.csv", "w") as handle:
            handle.write("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


def test_a_full_disk_is_an_output_error_and_the_previous_file_stays(tmp_path, monkeypatch):
    target = tmp_path / "model.fcm"
    target.write_bytes(b"previous")

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="model.fcm: cannot write .No space left") as caught:
        with atomic_write(target) as handle:
            handle.write(b"new")
    assert isinstance(caught.value, OSError)
    assert target.read_bytes() == b"previous" and temporary_files(target) == []


def test_outputs_under_a_file_say_what_is_in_the_way(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OutputError, match="a-file is a file, not a folder"):
        with atomic_write(tmp_path / "a-file" / "deeper" / "out.png"):
            pass
    with pytest.raises(OutputError, match="a-file is a file, not a folder"):
        make_folder(tmp_path / "a-file" / "results")
    assert make_folder(tmp_path / "new" / "results").is_dir()


@pytest.fixture
def fresh_fallback(monkeypatch):
    monkeypatch.setattr(_files, "_FALLBACK_CACHE", [])


@pytest.mark.parametrize("make_root", [
    lambda tmp: (tmp / "a-file", (tmp / "a-file").write_text(""))[0],
    lambda tmp: (tmp / "a-file", (tmp / "a-file").write_text(""))[0] / "below",
])
def test_an_unusable_cache_root_falls_back_to_a_temporary_folder(tmp_path, monkeypatch, caplog,
                                                                 fresh_fallback, make_root):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(make_root(tmp_path)))
    with caplog.at_level(logging.WARNING, logger="formcheck"):
        folder = cache_dir("poses")
    assert folder.is_dir() and os.access(folder, os.W_OK) and "a-file" not in str(folder)
    assert "not usable" in caplog.text and "nothing is cached between runs" in caplog.text


def test_a_read_only_cache_root_falls_back(tmp_path, monkeypatch, caplog, fresh_fallback):
    root = tmp_path / "read-only"
    root.mkdir()
    root.chmod(0o555)
    if os.access(root, os.W_OK):
        pytest.skip("running as a user who can write into read-only folders")
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(root))
    with caplog.at_level(logging.WARNING, logger="formcheck"):
        assert not str(cache_dir("models")).startswith(str(root))
    assert "not usable" in caplog.text


@example("'=x")
@example("''")
@example("'plain")
@given(st.text())
def test_formula_escaping_round_trips_and_never_starts_a_formula(cell):
    escaped = escape_formula(cell)
    assert unescape_formula(escaped) == cell
    assert not escaped.startswith(FORMULA_STARTS)
