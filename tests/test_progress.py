"""Progress bars: drawn on stderr when asked for, and only when stderr is a terminal."""

import io
import sys

from formcheck._progress import manual_bar, progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bars_are_drawn_only_on_a_terminal(monkeypatch):
    for stream, drawn in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stderr", stream)
        assert list(progress(range(3), True, desc="items")) == [0, 1, 2]
        with manual_bar(True, total=2, desc="frames") as bar:
            bar.update(2)
        assert ("items" in stream.getvalue(), "frames" in stream.getvalue()) == (drawn, drawn)


def test_bars_not_asked_for_are_not_drawn(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    items = range(3)
    assert progress(items, False) is items
    with manual_bar(False, total=2, desc="frames") as bar:
        bar.update(2)
    assert sys.stderr.getvalue() == ""
