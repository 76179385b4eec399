"""Streaming colour (color/stream.py), temporal measures (color/temporal.py) and video I/O."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from cribwatch.color.api import Colorizer
from cribwatch.color.stream import StreamConfig
from cribwatch.color.temporal import SequenceConfig, night_sequence, temporal_scores
from cribwatch.color.video import video_file, write_video
from cribwatch.errors import CribwatchError
from cribwatch.io import read_rgb, written_by_cribwatch

SEQ = SequenceConfig(frames=16, enter=10, gain_at=5)


@pytest.fixture(scope="module")
def scene(scene_dir: Path) -> np.ndarray:
    img = read_rgb(scene_dir / "coffee.png")
    return np.ascontiguousarray(img[::4, ::4][:96, :128])


def test_flicker_metric_on_a_generated_sequence(scene: np.ndarray) -> None:
    seq = night_sequence(scene, np.random.default_rng(0), SEQ)
    assert len(seq.night) == 16 and seq.object_mask[10].any() and not seq.object_mask[9].any()
    noisy = temporal_scores(seq.night, seq)
    assert noisy["flicker"] > 0.3 and noisy["l_std"] > 0.3
    still = [seq.night[0]] * 16
    assert temporal_scores(still, seq)["flicker"] == 0.0
    col = Colorizer(scene)
    frame = [col.colorize(f) for f in seq.night]
    stream = col.stream()
    smooth = [stream.push(f) for f in seq.night]
    a, b = temporal_scores(frame, seq), temporal_scores(smooth, seq)
    assert b["flicker"] < 0.5 * a["flicker"]
    assert b["l_std"] <= 0.5 * noisy["l_std"]
    assert stream.moving is not None and stream.moving[seq.object_mask[-1]].mean() < 0.5


def test_stream_equals_offline_when_smoothing_is_off(scene: np.ndarray) -> None:
    seq = night_sequence(scene, np.random.default_rng(1), SEQ)
    col = Colorizer(scene)
    stream = col.stream(StreamConfig(denoise=False, smooth=False))
    for f in seq.night:
        assert np.array_equal(stream.push(f), col.colorize(f))
    with pytest.raises(CribwatchError):
        stream.push(np.zeros((4, 4, 3), np.float32))


def test_video_verb_round_trip(tmp_path: Path, scene: np.ndarray) -> None:
    from cribwatch.io import write_image

    seq = night_sequence(
        scene, np.random.default_rng(2), SequenceConfig(frames=6, enter=4, gain_at=2)
    )
    write_video(tmp_path / "n.mp4", seq.night, fps=10)
    write_image(tmp_path / "day.png", scene)
    info = video_file(tmp_path / "n.mp4", tmp_path / "day.png", tmp_path / "c.mp4")
    assert info["frames"] == 6 and info["align"]["ok"]
    with av.open(str(tmp_path / "c.mp4")) as f:
        frames = [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)]
    assert len(frames) == 6 and frames[0].shape == (96, 128, 3)
    assert written_by_cribwatch(tmp_path / "c.mp4")
    video_file(tmp_path / "n.mp4", tmp_path / "day.png", tmp_path / "c.mp4", max_frames=2)
