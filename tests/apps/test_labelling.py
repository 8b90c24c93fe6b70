"""The annotation CSV under stress: concurrent sessions, hand edits, odd files, odd input."""

import csv
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_files import child_env
from formcheck import get_exercise
from formcheck.apps.labelling import AnnotationStore, LabelSession, RepToLabel
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.datasets.synthetic import make_set
from formcheck.errors import DatasetError, OutputError

SQUAT = get_exercise("squat")
FUZZ = settings(max_examples=int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", 80)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
TWO_SESSIONS = textwrap.dedent("""
    import random, sys, time
    import numpy as np
    from formcheck import get_exercise
    from formcheck.apps.labelling import AnnotationStore, LabelSession, RepToLabel
    csv_path, name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    reps = [RepToLabel(f"{name}.mp4", 10 * k, 10 * k + 9, 30.0, np.linspace(170, 90, 9), k + 1)
            for k in range(40)]
    keys = iter("12" [k % 2] for k in range(40))
    def ask(prompt):
        time.sleep(rng.uniform(0, 0.004))
        return next(keys, "q")
    with AnnotationStore(csv_path) as store:
        LabelSession(store, get_exercise("squat"), reps).run(ask, say=lambda line: None)
""")


def reps_of(name, n):
    return [RepToLabel(name, 10 * k, 10 * k + 9, 30.0, np.linspace(170, 90, 9), k + 1)
            for k in range(n)]


def rows_of(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_two_processes_labelling_one_csv_keep_every_answer(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,start,end,label,note\nold.mp4,0,9,squat/correct,keep me\n")
    sessions = [subprocess.Popen([sys.executable, "-c", TWO_SESSIONS, str(labels), name, str(k)],
                                 env=child_env())
                for k, name in enumerate(["left", "right"])]
    assert [session.wait(timeout=300) for session in sessions] == [0, 0]
    rows = {(r["file"], r["start"]): r for r in rows_of(labels)}
    assert len(rows) == 81 and rows["old.mp4", "0"]["note"] == "keep me"
    for name in ("left", "right"):
        for k in range(40):
            expected = "squat/correct" if k % 2 == 0 else "squat/not-low"
            assert rows[f"{name}.mp4", str(10 * k)]["label"] == expected
    assert not list(tmp_path.glob(".labels.csv.*.tmp"))


def test_two_cli_sessions_without_a_terminal_keep_every_answer(tmp_path):
    files = []
    for seed in range(2):
        path = tmp_path / f"set{seed}.npz"
        make_set("squat", n_reps=3, seed=seed).save(path)
        files.append(path)
    labels = tmp_path / "labels.csv"
    env = child_env(FORMCHECK_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-c", "from formcheck.cli import main; main()", "label"]
    sessions = [subprocess.Popen([*command, str(path), "-e", "squat", "-a", str(labels)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
                for path in files]
    outputs = [session.communicate(input=keys, timeout=300)
               for session, keys in zip(sessions, ["121\n", "2\n1 2\n"])]
    assert [session.returncode for session in sessions] == [0, 0], outputs
    labelled = {(r["file"], r["label"]) for r in rows_of(labels)}
    assert [label for file, label in sorted(labelled) if file == "set0.npz"].count(
        "squat/not-low") == 1
    assert len(rows_of(labels)) == 6


def test_another_live_session_is_reported_and_a_dead_one_is_not(tmp_path):
    labels = tmp_path / "labels.csv"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from formcheck.apps.labelling import AnnotationStore
        store = AnnotationStore({str(labels)!r})
        print("open", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, env=child_env())
    assert holder.stdout.readline().strip() == "open"
    store = AnnotationStore(labels)
    assert store.other_sessions == [holder.pid]
    said = []
    LabelSession(store, SQUAT, reps_of("a.mp4", 1)).run(lambda prompt: "q", say=said.append)
    assert "another labelling session" in said[0] and str(holder.pid) in said[0]
    holder.kill()
    holder.wait()
    assert AnnotationStore(labels).other_sessions == []


def test_hand_added_columns_bom_and_mode_are_kept(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes("\ufefffile,start,end,label,note\na.mp4,0,9,,looks odd\n".encode())
    labels.chmod(0o644)
    store = AnnotationStore(labels)
    assert store.get("a.mp4", 0, 9) == ""
    store.set("a.mp4", 0, 9, "squat/correct")
    store.set("b.mp4", 0, 9, "squat/not-low")
    assert labels.read_bytes().startswith("\ufeff".encode())
    assert stat.S_IMODE(labels.stat().st_mode) == 0o644
    rows = rows_of(labels)
    assert [(r["file"], r["label"], r["note"]) for r in rows] == [
        ("a.mp4", "squat/correct", "looks odd"), ("b.mp4", "squat/not-low", "")]


def test_read_only_files_and_folders_are_refused_before_any_question(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,start,end,label\n")
    labels.chmod(0o444)
    with pytest.raises(DatasetError, match="read-only"):
        AnnotationStore(labels)
    assert labels.read_text() == "file,start,end,label\n"
    with pytest.raises(OutputError, match="cannot write"):
        AnnotationStore(labels / "under-a-file.csv")


def test_stale_temporary_files_are_deleted(tmp_path):
    labels = tmp_path / "labels.csv"
    for tag in ("a1b2", "dead"):
        (tmp_path / f".labels.csv.{tag}.tmp").write_text("half a file")
    (tmp_path / ".other.csv.beef.tmp").write_text("not ours")
    AnnotationStore(labels)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == [
        ".other.csv.beef.tmp"]


@pytest.mark.parametrize("content,message", [
    ("file,start,end,label\na.mp4,0,9\n", "row 2 has 3 cells; the header has 4"),
    ("file,start,end,label\na.mp4,0,9,x,extra\n", "row 2 has 5 cells"),
    ("file,start,end,label\na.mp4,zero,9,x\n", "row 2: start and end must be frame numbers"),
    ("file,start,label\n", "needs the columns"),
    ("file,start,end,label,label\n", "each once"),
])
def test_malformed_csvs_are_clear_errors(tmp_path, content, message):
    labels = tmp_path / "labels.csv"
    labels.write_text(content)
    with pytest.raises(DatasetError, match=message):
        AnnotationStore(labels)


def test_latin1_csv_is_refused_clearly(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_bytes("file,start,end,label\ncaf\xe9.mp4,0,9,x\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        AnnotationStore(labels)


def test_keys_typed_ahead_are_answers_in_order(tmp_path):
    store = AnnotationStore(tmp_path / "labels.csv")
    inputs = iter(["121", " \n", "s2", ""])
    answered = LabelSession(store, SQUAT, reps_of("a.mp4", 6)).run(
        lambda prompt: next(inputs), say=lambda line: None)
    assert answered == 5
    assert [store.get("a.mp4", 10 * k, 10 * k + 9) for k in range(6)] == [
        "squat/correct", "squat/not-low", "squat/correct", "", "squat/not-low", None]


def test_formula_cells_are_escaped_on_disk_and_read_back_as_written(tmp_path):
    labels = tmp_path / "labels.csv"
    store = AnnotationStore(labels)
    for k, name in enumerate(["=HYPERLINK(1).mp4", "+1.mp4", "-clip.mp4", "@SUM.mp4"]):
        store.set(name, 0, 9, "@label" if k == 0 else "squat/correct")
    text = labels.read_text()
    assert "'=HYPERLINK" in text and "'+1.mp4" in text and "'-clip" in text
    assert "'@SUM" in text and "'@label" in text
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())
    again = AnnotationStore(labels)
    assert again.get("=HYPERLINK(1).mp4", 0, 9) == "@label"
    assert again.get("-clip.mp4", 0, 9) == "squat/correct"


def test_escaped_file_names_are_read_by_from_annotations(tmp_path):
    make_set("squat", n_reps=2, seed=0).save(tmp_path / "-clip.npz")
    store = AnnotationStore(tmp_path / "labels.csv")
    store.set("-clip.npz", 30, 60, "correct")
    dataset = RepDataset.from_annotations(tmp_path / "labels.csv", "squat")
    assert dataset.groups.tolist() == ["-clip.npz"]


cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@FUZZ
@given(operations=st.lists(st.tuples(cells, st.integers(0, 3), st.one_of(st.none(), cells)),
                           max_size=12))
def test_any_answers_round_trip_through_the_file(operations):
    labels = Path(tempfile.mkdtemp()) / "labels.csv"
    store, expected = AnnotationStore(labels), {}
    for file, start, label in operations:
        if label is None:
            store.remove(file, start, start + 5)
            expected.pop((file, start), None)
        else:
            store.set(file, start, start + 5, label)
            expected[file, start] = label
    again = AnnotationStore(labels)
    assert len(again) == len(expected)
    for (file, start), label in expected.items():
        assert again.get(file, start, start + 5) == label


@FUZZ
@given(lines=st.lists(st.lists(cells | st.sampled_from(["0", "9", "file", "start", "end",
                                                        "label", "note", ""]), max_size=6),
                      max_size=5),
       bom=st.booleans())
def test_any_csv_opens_or_is_a_dataset_error(lines, bom):
    labels = Path(tempfile.mkdtemp()) / "labels.csv"
    with open(labels, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle).writerows(lines)
    try:
        store = AnnotationStore(labels)
    except DatasetError as exc:
        assert "labels.csv" in str(exc)
    else:
        store.set("new.mp4", 0, 5, "squat/correct")
        assert AnnotationStore(labels).get("new.mp4", 0, 5) == "squat/correct"


def test_the_label_command_reads_answers_from_stdin_or_stops_at_its_end(tmp_path):
    path = tmp_path / "set.npz"
    make_set("squat", n_reps=2, seed=1).save(path)
    env = child_env(FORMCHECK_CACHE_DIR=str(tmp_path / "cache"))
    command = [sys.executable, "-c", "from formcheck.cli import main; main()", "label",
               str(path), "-e", "squat", "-a", str(tmp_path / "labels.csv")]
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0 and "0 reps labelled" in done.stdout and not done.stderr
    done = subprocess.run(command, input="12", capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0 and "2 reps labelled" in done.stdout
