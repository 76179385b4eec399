"""The ``cribwatch rollover`` verbs: JSON output and error paths (exit code 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cribwatch.rollover.cli import app
from cribwatch.rollover.pose import Sequence, write_sequence

runner = CliRunner()


def _roll_file(pose, path: Path) -> None:  # type: ignore[no-untyped-def]
    seq = ["supine"] * 45 + ["side_left"] * 15 + ["prone"] * 60
    kp = np.stack([pose(p) for p in seq]).astype(np.float32)
    write_sequence(
        path, Sequence(fps=15.0, width=400, height=400, t=np.arange(len(seq)) / 15.0, kp=kp)
    )


def test_detect_json_lines(pose, tmp_path: Path) -> None:
    p = tmp_path / "roll.jsonl"
    _roll_file(pose, p)
    res = runner.invoke(app, ["detect", str(p), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines() if line.strip()]
    assert rows and all(set(r) == {"time", "event", "confidence", "kind"} for r in rows)
    assert ("to_prone", "alert") in {(r["event"], r["kind"]) for r in rows}


def test_detect_malformed_line(pose, tmp_path: Path) -> None:
    p = tmp_path / "roll.jsonl"
    _roll_file(pose, p)
    lines = p.read_text().splitlines()
    lines[5] = lines[5][:-10]
    p.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["detect", str(p), "--json"])
    assert res.exit_code == 2
    assert "line 6" in res.output and str(p) in res.output


def test_detect_unreadable_video(tmp_path: Path) -> None:
    p = tmp_path / "clip.mp4"
    p.write_bytes(b"\x00garbage" * 100)
    res = runner.invoke(app, ["detect", str(p)])
    assert res.exit_code == 2
    assert "clip.mp4" in res.output and "video" in res.output


def test_keypoints_on_frames_folder(tmp_path: Path) -> None:
    from PIL import Image
    from skimage import data as skdata

    frames = tmp_path / "frames"
    frames.mkdir()
    img = Image.fromarray(skdata.astronaut()).resize((256, 256))
    for i in range(3):
        img.save(frames / f"{i:03d}.png")
    out = tmp_path / "kp.jsonl"
    res = runner.invoke(app, ["keypoints", str(frames), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0])["width"] == 256
    kp = np.array(json.loads(lines[1])["kp"])
    assert kp.shape == (17, 3) and (kp[:, 2] >= 0.5).sum() >= 5


def test_make_set_and_eval_json(tmp_path: Path) -> None:
    d = tmp_path / "set"
    res = runner.invoke(app, ["make-set", "--out", str(d), "--hours", "0.02", "--seed", "3"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["eval", "--data", str(d), "--json"])
    assert res.exit_code == 0, res.output
    obj = json.loads(res.output.strip().splitlines()[-1])
    for key in ("frame_accuracy", "event_recall", "false_alarms_per_hour", "latency_p50_s",
                "latency_p90_s", "hours"):  # fmt: skip
        assert key in obj
    assert obj["prone_dwell_s"] == 1.0
    res = runner.invoke(app, ["eval", "--data", str(d), "--json", "--prone-dwell", "2.5"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output.strip().splitlines()[-1])["prone_dwell_s"] == 2.5
    bad = runner.invoke(app, ["make-set", "--out", str(d), "--ranges", "moon"])
    assert bad.exit_code == 2


def test_detect_text_file_is_not_a_video(tmp_path: Path) -> None:
    # FFmpeg's tty demuxer would render any text file as "video"; it must be refused
    p = tmp_path / "notes.nfo"
    p.write_text("hello crib\n" * 20)
    res = runner.invoke(app, ["detect", str(p)])
    assert res.exit_code == 2
    assert "notes.nfo" in res.output and "text file" in res.output


def test_detect_sequence_without_jsonl_suffix(pose, tmp_path: Path) -> None:
    p = tmp_path / "roll.jsonl"
    _roll_file(pose, p)
    lines = p.read_text().splitlines()
    lines[3] = "not json"
    q = tmp_path / "roll.txt"
    q.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["detect", str(q), "--json"])
    assert res.exit_code == 2
    assert "roll.txt: line 4: not valid JSON" in res.output


def test_keypoints_on_real_video(tmp_path: Path) -> None:
    import av
    from PIL import Image
    from skimage import data as skdata

    src = np.asarray(Image.fromarray(skdata.astronaut()).resize((240, 240)))
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for i in range(5):
            f = np.zeros((240, 320, 3), np.uint8)
            f[:, 40 + i : 280 + i] = src
            for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    out = tmp_path / "kp.jsonl"
    res = runner.invoke(app, ["keypoints", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    hdr = json.loads(lines[0])
    assert (hdr["width"], hdr["height"], hdr["fps"]) == (320, 240, 15.0)
    assert len(lines) == 6
    kp = np.array([json.loads(x)["kp"] for x in lines[1:]])
    assert kp.shape == (5, 17, 3)
    assert ((kp[:, :, 2] >= 0.5).sum(axis=1) >= 5).all()
    # left shoulder on the image's right in a frontal view
    assert (kp[:, 5, 0] > kp[:, 6, 0]).all()


def test_bench_json_reports_wall_and_cpu_times() -> None:
    res = runner.invoke(app, ["bench", "--json", "--frames", "10"])
    assert res.exit_code == 0, res.output
    (line,) = [x for x in res.output.splitlines() if x.startswith('{"frames"')]
    obj = json.loads(line)
    assert obj["width"] == 640 and obj["height"] == 480 and obj["frames"] == 10
    assert obj["pose_found_fraction"] > 0.5
    for key in ("pose_ms_per_frame_p50", "pose_cpu_ms_per_frame_p50", "end_to_end_fps",
                "end_to_end_fps_cpu", "posture_events_us_per_frame_batch"):  # fmt: skip
        assert obj[key] > 0
    bad = runner.invoke(app, ["bench", "--frames", "3"])
    assert bad.exit_code == 2 and "at least 10" in bad.output
