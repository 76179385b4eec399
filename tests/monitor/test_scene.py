"""The bench's generated infant who rolls to prone: true rolls, the detector's alerts on its
keypoints, the frame-index stamp through H.264, and the pose stand-in that reads it."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from cribwatch.monitor.bench import roll_times
from cribwatch.monitor.synth import (
    ClipSpec,
    ScenePose,
    draw_stamp,
    frames,
    make_clip,
    person_track,
    read_stamp,
)
from cribwatch.rollover.api import RolloverDetector

SPEC = ClipSpec(seconds=12.0, width=320, height=240, fps=15, night_from_s=6.0,
                audio_from_s=4.0, rolls=(1.0,))  # fmt: skip


def test_roll_times_leave_time_to_rearm() -> None:
    assert roll_times(30.0) == (1.0, 11.0, 21.0)
    assert roll_times(20.0) == (1.0, 11.0)
    assert roll_times(8.0) == (1.0,)


def test_person_rolls_and_the_detector_alerts_on_its_keypoints() -> None:
    tr = person_track(SPEC)
    n = int(SPEC.seconds * SPEC.fps)
    assert tr.kp.shape == (n, 17, 3)
    assert len(tr.prone_onsets) == 1
    onset = tr.prone_onsets[0]
    assert SPEC.rolls[0] < onset < SPEC.rolls[0] + SPEC.roll_s
    assert tr.posture[0] == "supine" and tr.posture[-1] == "supine"
    assert tr.posture[int((onset + 0.5) * SPEC.fps)] == "prone"
    # every keypoint inside the frame
    assert (tr.kp[:, :, 0] >= 0).all() and (tr.kp[:, :, 0] < SPEC.width).all()
    assert (tr.kp[:, :, 1] >= 0).all() and (tr.kp[:, :, 1] < SPEC.height).all()
    t = np.arange(n) / SPEC.fps
    det = RolloverDetector().run(t, tr.kp.astype(np.float64))
    alerts = [e.time for e in det.events if e.kind == "alert" and e.event == "to_prone"]
    assert len(alerts) == 1
    assert 0.0 < alerts[0] - onset < 3.0


def test_stamp_survives_h264_and_scene_pose_reads_it(tmp_path: Path) -> None:
    img = np.zeros((240, 320, 3), np.uint8)
    draw_stamp(img, 1234)
    assert read_stamp(img) == 1234
    assert read_stamp(np.full((240, 320, 3), 128, np.uint8)) is None
    clip = make_clip(tmp_path / "c.ts", SPEC)
    tr = person_track(SPEC)
    pose = ScenePose(None, tr)
    with av.open(str(clip)) as cont:
        decoded = [f.to_ndarray(format="rgb24") for f in cont.decode(video=0)]
    assert len(decoded) == tr.kp.shape[0]
    for i, rgb in enumerate(decoded):
        assert read_stamp(rgb) == i
        assert np.array_equal(pose.process(rgb), tr.kp[i])
    assert pose.unstamped == 0 and pose.frames == len(decoded)
    # the person is drawn: frames of the clip differ from an empty cot where the person lies
    empty = next(iter(frames(ClipSpec(seconds=1.0, width=320, height=240))))[1]
    assert np.abs(decoded[0].astype(int) - empty.astype(int)).mean() > 3.0
