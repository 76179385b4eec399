"""Per-frame posture from COCO-17 keypoints seen from above: rules on body geometry.

Geometry (all in image pixels, vectorised over frames):

* **Body axis** ``u``: unit vector from the hip midpoint to the shoulder midpoint (falls back
  to shoulder -> head when the hips are hidden, e.g. under a blanket); ``n = (-u_y, u_x)`` is
  its perpendicular, so that ``cross(u, n) = +1``.
* **Signed widths**: ``sw = (left_shoulder - right_shoulder) . n / L`` and the same for the
  hips, with ``L`` the torso length. Seen from above, a supine body shows its left side on the
  image's right of the axis (``sw > 0``, as in a frontal photo); a prone body shows it on the
  left (``sw < 0``); on the side the shoulders overlap and ``sw`` shrinks towards 0. Divided by
  their supine values (``shoulder_ratio``, ``hip_ratio``) and averaged, they estimate
  ``c = cos(roll)``: +1 supine, 0 side, -1 prone. This holds under any in-plane rotation of
  the camera. A mirrored camera changes nothing either: pose models name left and right from
  the way the person faces, so the mirror of a frontal view is still a frontal view.
* **Face**: how many of nose and eyes are reliable nudges ``c`` (``face_weight``); a prone
  infant turns its face to one side, so one eye and ear often stay visible and the face alone
  never decides prone. The converse holds: nose and both eyes visible rule prone out
  (``full_face_c``), which also guards against the estimator swapping left and right.
* **Side direction**: lying on the left side hides the left joints (lower scores) and turns
  the face towards ``+n``; ``d = asym_weight * (right - left mean score) + nose_weight *
  (head offset along n) / L``; ``d > 0`` means ``side_left``.

Probabilities: ``p_supine = sigmoid((c - band) / temperature)``,
``p_prone = sigmoid((-c - prone_band) / temperature)``, ``p_side = 1 - p_supine - p_prone``.
A frame with too few reliable torso keypoints is ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

NOSE, L_EYE, R_EYE, L_EAR, R_EAR = 0, 1, 2, 3, 4
L_SH, R_SH, L_HIP, R_HIP = 5, 6, 11, 12
FACE = (NOSE, L_EYE, R_EYE, L_EAR, R_EAR)
LEFT_SIDE = (L_EYE, L_EAR, L_SH, 7, L_HIP)
RIGHT_SIDE = (R_EYE, R_EAR, R_SH, 8, R_HIP)

STATES: tuple[str, ...] = ("supine", "side", "prone")
"""The three coarse states the probabilities cover (side direction is separate)."""


@dataclass(frozen=True)
class PostureConfig:
    """Thresholds and weights of the geometric posture rules."""

    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {"face_veto": (0.0, 1.0)}

    score_thr: float = 0.5
    """A keypoint with score at least this is reliable."""
    shoulder_ratio: float = 0.8
    """Supine shoulder width divided by torso length (infant proportions)."""
    hip_ratio: float = 0.5
    """Supine hip width divided by torso length."""
    hip_weight: float = 0.25
    """Weight of the hip width against the shoulders' (1) in the roll estimate."""
    head_torso_ratio: float = 0.55
    """Shoulder-to-head distance over torso length, for the length when hips are hidden."""
    face_weight: float = 0.15
    """How much the count of visible nose and eyes moves the roll estimate."""
    full_face_c: float = -0.3
    """With nose and both eyes reliable the body cannot be prone: the roll estimate is raised
    to at least this (guards against left/right label swaps of the estimator)."""
    band: float = 0.45
    """cos(roll) above which a frame is supine rather than on the side."""
    prone_band: float = 0.6
    """-cos(roll) above which a frame is prone (stricter: on the side with a tilted camera
    the overlapping shoulders can cross over by half their width)."""
    temperature: float = 0.1
    """Softness of the posture probabilities around the band."""
    missing_side_c: float = 0.1
    """Roll estimate when only one shoulder (the upper one) is reliable: likely on the side."""
    asym_weight: float = 1.0
    """Weight of the right-minus-left score asymmetry in the side direction."""
    nose_weight: float = 1.0
    """Weight of the head's offset along the body normal in the side direction."""
    face_order: bool = False
    """The full-face rules (``full_face_c`` here, the ``both`` method's veto) count a face
    only when its eyes come in a frontal face's order along the body normal (the person's
    left eye on the side where a supine body shows its left shoulder). Real pose models put a
    face on the back of a head, its eyes in the back view's order (measured: 93% of back-view
    frames of vtest.avi have the eyes in the shoulders' order; docs/results/rollover-night.md)."""
    face_veto: float = 0.0
    """With > 0 (methods ``learned`` and ``both``): the learned face veto
    (:mod:`cribwatch.rollover.faceveto`) moves the prone probability of a frame to supine (or
    the side) where its calibrated P(not prone), from the face against the torso, reaches
    this. 0: off."""
    face_veto_entry: bool = False
    """The face veto holds back only an entry into prone: frames are marked
    (``Features.veto``) and the tracker moves their prone probability only while it is not
    in the prone state (a veto inside a prone episode would split it)."""
    mirrored: bool = False
    """The keypoints' left/right labels are those of the mirror image (a labeller that names
    sides by image position): flips supine and prone. NOT for a mirrored camera: real pose
    models (MoveNet, MediaPipe) give the same left/right order on an image and its mirror,
    so a mirrored camera needs nothing (``tests/rollover/test_nightpose.py``)."""


@dataclass
class Features:
    """Per-frame geometric features, each an (N,) array (NaN where undefined)."""

    c: np.ndarray
    """Estimated cos(roll): +1 supine, 0 side, -1 prone."""
    d: np.ndarray
    """Side direction: > 0 lying on the left side."""
    valid: np.ndarray
    """Enough reliable torso keypoints to judge the posture."""
    n_face: np.ndarray
    """Reliable face keypoints (0-5)."""
    body_in_view: np.ndarray
    """At least two reliable torso keypoints (shoulders, hips)."""
    sw: np.ndarray
    """Signed shoulder width over torso length."""
    hw: np.ndarray
    """Signed hip width over torso length."""
    n_reliable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Reliable keypoints of the 17 (0: the estimator found nobody)."""
    full_face: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Nose and both eyes reliable (and, with ``face_order``, the eyes in a frontal order)."""
    normal: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """(N, 2) unit body normal ``n`` (perpendicular to the hip -> shoulder axis)."""
    length: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Torso length in pixels (NaN-free; meaningful where ``valid``)."""
    sh_mid: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """(N, 2) shoulder midpoint (the reliable one where only one is)."""
    veto: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Frames the face veto marked for the tracker (``PostureConfig.face_veto_entry``;
    empty: none)."""


def _mid(kp: np.ndarray, rel: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint of a and b where both are reliable, else the reliable one; (N, 2) and ok mask."""
    ra, rb = rel[:, a], rel[:, b]
    w = np.stack([ra, rb], axis=1).astype(np.float64)
    cnt = w.sum(axis=1)
    pts = kp[:, [a, b], :2].astype(np.float64)
    mid = (pts * w[:, :, None]).sum(axis=1) / np.maximum(cnt, 1)[:, None]
    return mid, cnt > 0


def features(kp: np.ndarray, config: PostureConfig | None = None) -> Features:
    """Geometric features of (N, 17, 3) or (17, 3) keypoints."""
    cfg = config or PostureConfig()
    k = np.asarray(kp, dtype=np.float64)
    if k.ndim == 2:
        k = k[None]
    n = k.shape[0]
    rel = k[:, :, 2] >= cfg.score_thr
    sh_mid, sh_ok = _mid(k, rel, L_SH, R_SH)
    hip_mid, hip_ok = _mid(k, rel, L_HIP, R_HIP)
    face_rel = rel[:, list(FACE)]
    n_face = face_rel.sum(axis=1)
    head = (k[:, list(FACE), :2] * face_rel[:, :, None]).sum(axis=1) / np.maximum(n_face, 1)[
        :, None
    ]
    head_ok = n_face > 0

    axis = np.where(hip_ok[:, None], sh_mid - hip_mid, head - sh_mid)
    length = np.linalg.norm(axis, axis=1)
    length = np.where(hip_ok, length, length / cfg.head_torso_ratio)
    axis_ok = sh_ok & (hip_ok | head_ok) & (length > 1e-6)
    u = axis / np.maximum(np.linalg.norm(axis, axis=1), 1e-9)[:, None]
    nrm = np.stack([-u[:, 1], u[:, 0]], axis=1)
    safe_len = np.maximum(length, 1e-9)

    sh_both = rel[:, L_SH] & rel[:, R_SH]
    hip_both = rel[:, L_HIP] & rel[:, R_HIP]
    sw = ((k[:, L_SH, :2] - k[:, R_SH, :2]) * nrm).sum(axis=1) / safe_len
    hw = ((k[:, L_HIP, :2] - k[:, R_HIP, :2]) * nrm).sum(axis=1) / safe_len
    if cfg.mirrored:
        sw, hw = -sw, -hw
    sw = np.where(sh_both & axis_ok, sw, np.nan)
    hw = np.where(hip_both & axis_ok, hw, np.nan)

    cs = np.clip(sw / cfg.shoulder_ratio, -1.5, 1.5)
    ch = np.clip(hw / cfg.hip_ratio, -1.5, 1.5)
    ws = np.where(np.isnan(cs), 0.0, 1.0)
    wh = np.where(np.isnan(ch), 0.0, cfg.hip_weight)
    wsum = ws + wh
    c = (np.nan_to_num(cs) * ws + np.nan_to_num(ch) * wh) / np.maximum(wsum, 1e-9)
    # one shoulder only (the lower one hidden): most likely on the side
    c = np.where((wsum == 0) & axis_ok, cfg.missing_side_c, c)
    front = rel[:, [NOSE, L_EYE, R_EYE]].sum(axis=1)
    c = c + cfg.face_weight * (front - 1.5) / 1.5
    full_face = front == 3
    if cfg.face_order:
        ew = ((k[:, L_EYE, :2] - k[:, R_EYE, :2]) * nrm).sum(axis=1)
        full_face &= axis_ok & ((-ew if cfg.mirrored else ew) > 0)
    c = np.where(full_face, np.maximum(c, cfg.full_face_c), c)
    c = np.where(axis_ok, c, np.nan)

    score = k[:, :, 2]
    asym = score[:, list(RIGHT_SIDE)].mean(axis=1) - score[:, list(LEFT_SIDE)].mean(axis=1)
    off = ((head - sh_mid) * nrm).sum(axis=1) / safe_len
    if cfg.mirrored:
        off = -off
    off = np.where(head_ok & axis_ok, off, 0.0)
    d = cfg.asym_weight * asym + cfg.nose_weight * off

    torso_cnt = rel[:, [L_SH, R_SH, L_HIP, R_HIP]].sum(axis=1)
    del n
    return Features(
        c=c,
        d=d,
        valid=axis_ok,
        n_face=n_face,
        body_in_view=torso_cnt >= 2,
        sw=sw,
        hw=hw,
        n_reliable=rel.sum(axis=1),
        full_face=full_face,
        normal=nrm,
        length=safe_len,
        sh_mid=sh_mid,
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def probabilities(feat: Features, config: PostureConfig | None = None) -> np.ndarray:
    """(N, 3) probabilities of (supine, side, prone); rows of invalid frames are NaN."""
    cfg = config or PostureConfig()
    c = feat.c
    p_sup = _sigmoid((c - cfg.band) / cfg.temperature)
    p_pro = _sigmoid((-c - cfg.prone_band) / cfg.temperature)
    p_side = np.clip(1.0 - p_sup - p_pro, 0.0, 1.0)
    p = np.stack([p_sup, p_side, p_pro], axis=1)
    p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-9)
    p[~feat.valid] = np.nan
    return p


def label(state: int, d: float) -> str:
    """Posture name of a coarse state index (side split by direction ``d``)."""
    if state == 1:
        return "side_left" if d > 0 else "side_right"
    return STATES[state]


def classify(kp: np.ndarray, config: PostureConfig | None = None) -> tuple[list[str], np.ndarray]:
    """Per-frame posture labels and confidences of (N, 17, 3) or (17, 3) keypoints (no smoothing).

    Returns:
        (labels, confidence): labels from ``supine, side_left, side_right, prone, unknown``;
        confidence is the winning probability (0 for unknown).
    """
    cfg = config or PostureConfig()
    feat = features(kp, cfg)
    p = probabilities(feat, cfg)
    labels: list[str] = []
    conf = np.zeros(len(feat.c))
    for i in range(len(feat.c)):
        if not feat.valid[i]:
            labels.append("unknown")
            continue
        s = int(np.argmax(p[i]))
        labels.append(label(s, float(feat.d[i])))
        conf[i] = float(p[i, s])
    return labels, conf
