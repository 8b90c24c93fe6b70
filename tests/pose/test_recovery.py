"""Backward tracking over the frames the forward pass lost (formcheck.pose.recovery)."""

import numpy as np
import pytest

from formcheck.pose.recovery import BackwardPass, plan_backward_passes, recover_lost_frames

FPS = 10          # 0.5 s tracks = 5 frames, 2 s gaps = 20 frames


def found(pattern):
    """'..###' -> boolean array (# = a person found)."""
    return np.array([c == "#" for c in pattern])


@pytest.mark.parametrize("pattern,expected", [
    ("##########", []),                                             # never lost
    ("..........", []),                                             # nobody at all
    ("....######", [((4, 9), (0, 4))]),                             # lost at the start
    ("######....", []),                                             # lost at the end: no track after
    ("..##..######", [((6, 11), (0, 6))]),                          # a short track is in the gap
    ("..##........", []),                                           # only a short track
    ("#####...#####", [((8, 13), (5, 8))]),                          # never into a trusted track
])
def test_plan_backward_passes(pattern, expected):
    passes = plan_backward_passes(found(pattern), FPS)
    assert [((p.warmup.start, p.warmup.stop), (p.gap.start, p.gap.stop)) for p in passes] \
        == expected


def test_plan_goes_back_at_most_two_seconds():
    [job] = plan_backward_passes(found("." * 30 + "#" * 10), FPS)
    assert job.gap == range(10, 30) and job.warmup == range(30, 35)
    assert job.order() == list(range(34, 29, -1)) + list(range(29, 9, -1))


def skeleton(position, shift=0.0):
    """A recognisable (33, 4) landmark set for one frame."""
    points = np.zeros((33, 4), np.float32)
    points[:, 0] = 0.3 + 0.01 * position + shift
    points[:, 1] = np.linspace(0.1, 0.9, 33)
    points[:, 3] = 0.9
    return points


class ScriptedTracker:
    """A pose model on integer 'images': detects from `detect_from` on, tracks down to `track_to`.

    Like MediaPipe, it runs its detector until it finds someone, then tracks them
    while it can; `shift` moves the skeletons it reports (a different person).
    """

    created = 0

    def __init__(self, detect_from, track_to, shift=0.0, world=True):
        self.detect_from, self.track_to, self.shift, self.world = (detect_from, track_to,
                                                                   shift, world)
        self.tracking = False
        self.seen = []
        ScriptedTracker.created += 1

    def process(self, position):
        self.seen.append(position)
        self.tracking = position >= self.detect_from or (self.tracking
                                                         and position >= self.track_to)
        if not self.tracking:
            return None, None
        world = np.full((33, 3), position, np.float32) if self.world else None
        return skeleton(position, self.shift), world

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def frames(n):
    """``open_frames`` for n frames whose integer 'images' are their positions (no repeats)."""
    return lambda: ((position, position) for position in range(n))


def forward_pass(model_factory, n):
    model = model_factory()
    landmarks = np.full((n, 33, 4), np.nan, np.float32)
    world = np.full((n, 33, 3), np.nan, np.float32)
    for position in range(n):
        points, world_points = model.process(position)
        if points is not None:
            landmarks[position], world[position] = points, world_points
    return landmarks, world


def test_frames_before_a_track_are_recovered_down_to_where_tracking_fails():
    def make():
        return ScriptedTracker(detect_from=12, track_to=5)
    landmarks, world = forward_pass(make, 20)
    assert np.isfinite(landmarks[:, 0, 0]).sum() == 8                 # frames 12-19
    filled, filled_world, recovered = recover_lost_frames(landmarks, world, frames(20), make, FPS)
    assert recovered == 7
    have = np.isfinite(filled[:, 0, 0])
    assert not have[:5].any() and have[5:].all()
    for position in range(5, 12):
        np.testing.assert_array_equal(filled[position], skeleton(position))
        assert (filled_world[position] == position).all()
    np.testing.assert_array_equal(filled[12:], landmarks[12:])        # forward frames kept
    assert np.isnan(landmarks[:12]).all()                              # inputs not modified


def test_a_backward_pass_on_another_person_is_not_used():
    landmarks, world = forward_pass(lambda: ScriptedTracker(12, 5), 20)
    other = lambda: ScriptedTracker(12, 5, shift=0.2)           # noqa: E731
    filled, _, recovered = recover_lost_frames(landmarks, world, frames(20), other, FPS)
    assert recovered == 0
    np.testing.assert_array_equal(filled, landmarks)


def test_short_tracks_in_the_gap_are_replaced():
    landmarks, world = forward_pass(lambda: ScriptedTracker(12, 5), 20)
    landmarks[7:9] = skeleton(0, shift=0.4)            # a 2-frame detection somewhere else
    filled, _, recovered = recover_lost_frames(landmarks, world, frames(20),
                                               lambda: ScriptedTracker(12, 5), FPS)
    assert recovered == 7
    np.testing.assert_array_equal(filled[7], skeleton(7))


def test_missing_world_landmarks_become_nan():
    landmarks, world = forward_pass(lambda: ScriptedTracker(12, 5), 20)
    filled, filled_world, _ = recover_lost_frames(
        landmarks, world, frames(20), lambda: ScriptedTracker(12, 5, world=False), FPS)
    assert np.isfinite(filled[5:12]).all() and np.isnan(filled_world[5:12]).all()


def test_the_model_sees_warmup_then_gap_in_reverse_and_frames_are_read_lazily():
    landmarks, world = forward_pass(lambda: ScriptedTracker(12, 5), 40)
    models, read = [], []

    def make():
        models.append(ScriptedTracker(12, 5))
        return models[-1]

    def open_frames():
        for position in range(40):
            read.append(position)
            yield position, position

    recover_lost_frames(landmarks, world, open_frames, make, FPS)
    assert len(models) == 1
    assert models[0].seen == [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4]
    assert read == list(range(17))                      # stops after the last warm-up frame


def test_a_second_decoding_that_ends_early_recovers_nothing_and_does_not_fail():
    landmarks, world = forward_pass(lambda: ScriptedTracker(12, 5), 20)
    filled, _, recovered = recover_lost_frames(landmarks, world, frames(14),
                                               lambda: ScriptedTracker(12, 5), FPS)
    assert recovered == 0
    np.testing.assert_array_equal(filled, landmarks)


def test_nothing_to_recover_runs_no_model_and_does_not_open_the_video_again():
    landmarks, world = forward_pass(lambda: ScriptedTracker(0, 0), 20)
    ScriptedTracker.created = 0

    def open_frames():
        raise AssertionError("the frames were opened with nothing to recover")

    filled, _, recovered = recover_lost_frames(landmarks, world, open_frames,
                                               lambda: ScriptedTracker(0, 0), FPS)
    assert recovered == 0 and ScriptedTracker.created == 0
    np.testing.assert_array_equal(filled, landmarks)


def test_a_repeated_source_frame_is_run_once_and_gets_its_twins_result():
    def make():
        models.append(ScriptedTracker(12, 5))
        return models[-1]

    models = []
    at_10_fps, world_at_10_fps, _ = recover_lost_frames(*forward_pass(make, 20), frames(20),
                                                        make, FPS)
    # The same frames at 20 fps: each source frame twice, as the forward pass saw them (it
    # ran each once and gave the copy the same result).
    landmarks, world = (np.repeat(a, 2, axis=0) for a in forward_pass(make, 20))
    sources = np.repeat(np.arange(20), 2)
    models.clear()
    filled, filled_world, recovered = recover_lost_frames(
        landmarks, world, lambda: zip(sources, sources), make, 2 * FPS)
    [backward] = models
    assert backward.seen == [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4]    # no doubles
    assert recovered == 14                                   # source frames 5-11, twice each
    np.testing.assert_array_equal(filled, np.repeat(at_10_fps, 2, axis=0))
    np.testing.assert_array_equal(filled_world, np.repeat(world_at_10_fps, 2, axis=0))


def test_backward_pass_order_example():
    assert BackwardPass(range(3, 5), range(0, 3)).order() == [4, 3, 2, 1, 0]
