"""Synthetic exercise sets from an articulated body model.

A small kinematic body (thigh, shin, foot, torso, neck and head, upper arm,
forearm, hand; lengths from anthropometric ratios of stature) performs a
continuous set of reps, and a pinhole camera films it. The result is a
``mediapipe33`` :class:`~formcheck.pose.PoseSequence` that looks like what
MediaPipe Pose writes for a real video: image-normalised x and y, a small
relative depth z, visibility in [0, 1], low visibility and more jitter on the
far side of a side view, short bursts of frames where no person was found.

Supported exercises and classes (:data:`SYNTHETIC_LABELS`); the angles are those
of the 3-D body, a 2-D side view measures within a few degrees of them:

* ``squat/correct`` (knee angle at the bottom 56-86 degrees: most of these end with the
  hip joints a little above the knee joints, short of the depth standard of
  ``exercises.json``) and ``squat/not-low`` (bottom knee angle 102 degrees at
  severity 0 to 135 at 1); the knees track over the toes as they bend;
  filmed from the side, front, back or half-way between front and side
  (``diagonal-left``, ``diagonal-right``). Forward kinematics from the ankles on
  the floor (shin incline, knee, thigh), with the trunk leaning forward as
  much as keeps the centre of mass over the feet; arms reach forward, cross on
  the chest or rest on the hips.
* ``pull-up/correct`` (the chin, estimated from the face as the features do, rises
  0.03-0.25 torso lengths above the wrist line; the nose about 0.16 more) and
  ``pull-up/chin-below-bar`` (the top stops with the nose 0.07 torso
  lengths below the wrists at severity 0, and 45% of the way from there down
  to its dead-hang height at 1); wrists fixed on the bar, the body hanging
  below, filmed from the front or back (from the back the nose is occluded
  but, as with MediaPipe, still reported with high visibility).
* ``push-up/correct`` (a plank pivoting at the feet with the subject's habitual
  body line of 174-179 degrees; elbows from about 170 to 68-90 degrees) and
  ``push-up/upper-body-first`` (on the way up the shoulders rise first and the
  hips sag: the shoulder-hip-ankle line breaks 7 degrees beyond the habit at
  severity 0 to 28 at 1); filmed from the side.

Sets made with the same seed differ only in the fault: subject, timing, camera
and noise are drawn identically whatever the label and severity.

With ``world_landmarks=True`` a set also carries what MediaPipe calls world
landmarks: the body's 3-D joints in metres, in the camera's axes (x to the
image's right, y down, z away from the camera) with the origin between the
hips, jittered like the image landmarks (up to 2.5 times as much on the far
side, three times as much in depth, the coordinate a single camera knows
least). Joint angles are then measured in 3-D (see :func:`formcheck.joint_angles`).

Each subject (:class:`Subject`) has its own body and habits (tempo, depth,
stance, grip, arm position...), so several sets can share one subject and a
grouped split keeps a subject's reps together.
"""

from .body import SYNTHETIC_LABELS
from .camera import DEFAULT_VIEWS, VIEWS
from .generate import make_dataset, make_set
from .subject import Subject

__all__ = ["Subject", "make_set", "make_dataset", "SYNTHETIC_LABELS", "VIEWS", "DEFAULT_VIEWS"]
