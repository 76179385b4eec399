"""The monitor's colour stage on a camera whose day and night views differ: the reference
aligned to the night view (on the mean of the first night frames), a reference of another
scene refused (the frame shown grey, health says why), and learned day references kept as a
bank that picks the one matching the view. In-process, 160x120 frames, no stream."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from cribwatch.color.pairs import PairConfig, generate_pair
from cribwatch.errors import CribwatchError
from cribwatch.monitor import schema
from cribwatch.monitor.pipeline import Monitor, MonitorConfig, NightColour, is_ir_frame
from cribwatch.monitor.state import CameraState

CFG = replace(PairConfig(height=120, width=160), p_shift=0.0)
SHIFT = (16, 10)  # pixels: a bumped mount, an IR-cut filter and focus shift
SOURCE = "rtsp://127.0.0.1:9/never-opened"  # the reader is not started: frames go in by hand


def _pair(scene_dir: Path, seed: int) -> dict[str, np.ndarray]:
    scenes = sorted(scene_dir.iterdir())
    imgs, _ = generate_pair(scenes, [], seed, 0, CFG, "train", "identity")  # type: ignore[arg-type]
    return imgs  # type: ignore[no-any-return]


def _u8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _shift(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT_101)


def _colour(
    cfg: MonitorConfig, refs: list[np.ndarray], night: np.ndarray, n: int = 10
) -> tuple[NightColour, list[np.ndarray | None]]:
    stage = NightColour(cfg, background=False)
    for r in refs:
        stage.add(_u8(r))
    return stage, [stage.night(i / 15, night) for i in range(n)]


def test_a_shifted_reference_is_aligned_before_colouring(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    night, truth = _u8(imgs["night"]), imgs["target"]
    shifted = _shift(imgs["reference"], *SHIFT)

    def err(out: np.ndarray | None) -> float:
        assert out is not None
        return float(np.abs(out - truth).mean())

    aligned, outs = _colour(MonitorConfig(), [shifted], night)
    # the first 7 frames are grey (averaged for the estimate), the 8th on are coloured
    assert [o is None for o in outs] == [True] * 7 + [False] * 3
    assert aligned.status == "aligned"
    choice = aligned.summary()
    assert choice is not None and abs(choice["shift_px"][0] - SHIFT[0]) < 1.0
    assert abs(choice["shift_px"][1] - SHIFT[1]) < 1.0
    plain, plain_outs = _colour(MonitorConfig(colour_align=False), [shifted], night, 3)
    assert plain.status == "unaligned" and all(o is not None for o in plain_outs)
    _, truth_outs = _colour(MonitorConfig(colour_align=False), [imgs["reference"]], night, 1)
    e_aligned, e_plain, e_unshifted = err(outs[-1]), err(plain_outs[-1]), err(truth_outs[0])
    assert e_aligned < e_plain - 0.01, (e_aligned, e_plain)
    assert e_aligned < e_unshifted + 0.005, (e_aligned, e_unshifted)  # as good as no shift


def test_another_scene_is_refused_and_the_frame_stays_grey(scene_dir: Path) -> None:
    night = _u8(_pair(scene_dir, 0)["night"])
    other = _u8(_pair(scene_dir, 2)["reference"])
    m = Monitor(SOURCE, reference=other, listen=False, learn_reference=False,
                state=CameraState(daynight="night"),
                config=MonitorConfig(drop_frames=False))  # fmt: skip
    rgb = np.repeat(night[:, :, None], 3, axis=2)
    for i in range(12):
        m._process(i / 15, rgb, time.perf_counter())
    h = m.snapshot()["health"]
    assert h["colour_status"].startswith("refused: the reference does not match"), h
    assert h["colour"] is False and h["errors"] == 0
    assert h["colour_choice"]["reason"] and h["colour_choice"]["references"] == 1
    shown = cv2.imdecode(np.frombuffer(m.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert shown is not None
    assert is_ir_frame(shown[:, :, ::-1], 0.02)  # grey, not the other scene's colours
    statuses = [s for _, s in h["colour_history"]]
    assert statuses[0] == "aligning" and statuses[-1].startswith("refused")
    assert m.colour.refusals == 1  # not tried again on every frame
    m.colour.close()  # the monitor was never started: nothing else to close


def test_learned_day_frames_make_a_bank_and_the_matching_one_is_used(scene_dir: Path) -> None:
    right = _pair(scene_dir, 0)
    night = _u8(right["night"])
    day_right = _u8(_shift(right["reference"], *SHIFT))
    day_other = _u8(_pair(scene_dir, 2)["reference"])
    state = CameraState(daynight_hold_s=0.0, learn_reference_s=1.0, gray_threshold=0.02)
    m = Monitor(SOURCE, listen=False, state=state, learn_reference=True,
                config=MonitorConfig(drop_frames=False, jpeg=False))  # fmt: skip
    t = 0.0
    for day in (day_other, day_right, day_other):  # the newest is another scene
        for _ in range(2):
            m._process(t, day, time.perf_counter())
            t += 0.6
    assert len(m.colour.bank) == 3 and m.health.mode == "day"
    grey = np.repeat(night[:, :, None], 3, axis=2)
    for _ in range(10):
        m._process(t, grey, time.perf_counter())
        t += 1 / 15
    h = m.snapshot()["health"]
    assert h["mode"] == "night" and h["colour_status"] == "aligned", h
    assert h["colour_choice"]["reference"] == 1 and h["colour_choice"]["references"] == 3
    assert h["colour"] is True and "color" in h["stages"]
    assert len(m.colour.bank) == 3  # no IR frame learned while the switch to night held
    m.colour.close()  # the monitor was never started: nothing else to close


def test_bank_keeps_the_last_few_and_aligns_again_when_the_view_moves(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    night = _u8(imgs["night"])
    other = _pair(scene_dir, 2)["reference"]
    cfg = MonitorConfig(colour_bank=2, colour_recheck_every=2, colour_align_frames=4)
    stage, outs = _colour(cfg, [imgs["reference"], other, other], night, 6)
    assert len(stage.bank) == 2  # the oldest went
    assert stage.status.startswith("refused: none of 2 references")
    assert all(o is None for o in outs)
    stage.add(_u8(imgs["reference"]))  # a new day frame of the right view
    stage.day()
    outs = [stage.night(10 + i / 15, night) for i in range(6)]
    assert stage.status == "aligned" and outs[-1] is not None
    bumped = _shift(night, *SHIFT)  # the mount is bumped at night
    outs = [stage.night(11 + i / 15, bumped) for i in range(12)]
    assert stage.view_moves == 1 and stage.status == "aligned"
    assert any(o is None for o in outs) and outs[-1] is not None
    choice = stage.summary()
    assert choice is not None and choice["choices"] == 3


def test_alignment_runs_in_the_background_on_a_live_stream(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    night = _u8(imgs["night"])
    stage = NightColour(MonitorConfig(colour_align_frames=2), background=True)
    stage.add(_u8(_shift(imgs["reference"], *SHIFT)))
    assert stage.night(0.0, night) is None and stage.night(0.1, night) is None
    end = time.monotonic() + 30
    out = None
    while out is None and time.monotonic() < end:
        out = stage.night(0.2, night)
        time.sleep(0.01)
    assert out is not None and stage.status == "aligned"
    stage.close()


def test_colour_status_record_where_the_schema_has_the_stage(scene_dir: Path) -> None:
    assert "colour" in schema.STAGES and "colour" in schema.TYPES
    imgs = _pair(scene_dir, 0)
    night = np.repeat(_u8(imgs["night"])[:, :, None], 3, axis=2)
    m = Monitor(SOURCE, reference=_u8(imgs["reference"]), listen=False,
                learn_reference=False, state=CameraState(daynight="night"),
                config=MonitorConfig(drop_frames=False, jpeg=False))  # fmt: skip
    for i in range(10):
        m._process(i / 15, night, time.perf_counter())
    recs = []
    while not m._records_q.empty():
        recs.append(m._records_q.get_nowait())
    colour = [r for r in recs if r is not None and r.type == "colour"]
    assert [r.detail["status"] for r in colour] == ["aligning", "aligned"]
    assert colour[-1].kind == "status" and colour[-1].detail["confidence"] > 0.2
    json.dumps([r.to_dict() for r in colour], allow_nan=False)  # plain JSON for every sink
    m.colour.close()  # the monitor was never started: nothing else to close


def test_monitor_config_refuses_bad_colour_settings() -> None:
    for bad in ({"colour_align_frames": 0}, {"colour_bank": 0}, {"colour_align": 1},
                {"colour_recheck_every": -1}, {"colour_retry_s": float("nan")}):  # fmt: skip
        with pytest.raises(CribwatchError, match="MonitorConfig"):
            MonitorConfig(**bad)  # type: ignore[arg-type]


def test_the_fill_in_place_equals_the_colour_api_s(scene_dir: Path) -> None:
    from cribwatch.color.align import apply_fill, apply_fill_plan, fill_plan, guided_fill_map

    imgs = _pair(scene_dir, 0)
    rgb = np.ascontiguousarray(imgs["target"], np.float32)
    cov = np.ones(rgb.shape[:2], bool)
    cov[:10] = False
    cov[:, :16] = False
    ab = guided_fill_map(rgb, cov, imgs["night"])
    want = apply_fill(rgb, cov, ab)
    got = apply_fill_plan(rgb.copy(), fill_plan(cov, edge_px=0), ab)
    assert np.array_equal(got, want)
    # the monitor's rule (EDGE_PX): these strips are wider than 2 px, so all of them is filled
    assert np.array_equal(apply_fill_plan(rgb.copy(), fill_plan(cov, edge_px=2), ab), want)


def test_an_unmoved_view_leaves_nothing_to_fill(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    night = _u8(imgs["night"])
    stage, outs = _colour(MonitorConfig(colour_align_frames=2), [imgs["reference"]], night, 3)
    cur = stage.current
    assert cur is not None and cur.alignment is not None and outs[-1] is not None
    # the warp's uncovered border (if any) is a thin edge strip: kept, not filled per frame
    assert cur.fill is None, cur.alignment.to_dict()
    shifted, _ = _colour(MonitorConfig(colour_align_frames=2),
                         [_shift(imgs["reference"], *SHIFT)], night, 3)  # fmt: skip
    assert shifted.current is not None and shifted.current.fill is not None
    assert shifted.current.fill.edge_px == 2


def test_a_stream_back_at_another_size_is_aligned_again(scene_dir: Path) -> None:
    imgs = _pair(scene_dir, 0)
    night = _u8(imgs["night"])
    stage, outs = _colour(MonitorConfig(colour_align_frames=2), [imgs["reference"]], night, 3)
    assert stage.status == "aligned" and outs[-1] is not None
    big = cv2.resize(night, (320, 240), interpolation=cv2.INTER_LINEAR)
    outs = [stage.night(5 + i / 15, big) for i in range(4)]
    assert outs[0] is None and outs[-1] is not None and outs[-1].shape == (240, 320, 3)
    assert stage.view_moves == 1 and stage.status == "aligned"
