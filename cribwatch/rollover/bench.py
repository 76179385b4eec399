"""Per-frame timing of the roll-over pipeline: pose (the default backend) and posture + events.

The pose stage runs the chosen backend (``movenet-night`` unless told otherwise) in tracking
mode on 640x480 grey (night-like) frames of scikit-image's astronaut moving slightly:
``keypoints_fps_wall`` is frames per second of wall-clock time over the whole timed run,
``keypoints_cpu_ms_per_frame`` the process CPU time per frame (all threads).

``posture_events_*`` time the geometric rules and the tracker; ``detector_ms_per_frame_p50``
times the front desk as shipped (:class:`~cribwatch.rollover.api.RolloverDetector`: the
learned posture model with the face veto, numpy), one frame at a time.

Wall-clock times (``*_ms_per_frame*``, ``end_to_end_fps``) depend on what else runs on the
machine; the process CPU times (``*_cpu_*``) much less so, and ``load_average_1min`` says how
busy the machine was.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from cribwatch.errors import CribwatchError
from cribwatch.rollover.api import RolloverDetector
from cribwatch.rollover.events import Tracker, run
from cribwatch.rollover.nightpose import DEFAULT_BACKEND, check_backend, make_backend
from cribwatch.rollover.posture import features, probabilities
from cribwatch.rollover.synth import SynthConfig, generate


@dataclass(frozen=True)
class BenchConfig:
    """Benchmark settings."""

    width: int = 640
    """Frame width."""
    height: int = 480
    """Frame height."""
    warmup: int = 10
    """Untimed frames first."""
    shift_px: float = 3.0
    """Per-frame jitter of the person in the frame (so tracking mode tracks)."""
    grey: bool = True
    """Grey frames (what an IR camera gives at night)."""


def bench_frames(n: int, cfg: BenchConfig) -> list[np.ndarray]:
    """``n`` 640x480 uint8 frames of scikit-image's astronaut moving slightly."""
    import skimage.data  # extra: rollover (the photo serves the pose estimator only)

    img = Image.fromarray(skimage.data.astronaut()).resize((cfg.height, cfg.height))
    base = np.zeros((cfg.height, cfg.width, 3), dtype=np.uint8)
    x0 = (cfg.width - cfg.height) // 2
    src = np.asarray(img)
    if cfg.grey:
        src = np.repeat(np.asarray(img.convert("L"))[:, :, None], 3, axis=2)
    out = []
    for i in range(n):
        f = base.copy()
        dx = int(round(cfg.shift_px * np.sin(i / 5.0)))
        f[:, x0 + dx : x0 + dx + cfg.height] = src
        out.append(f)
    return out


def run_bench(
    frames: int = 150, cfg: BenchConfig | None = None, backend_name: str = DEFAULT_BACKEND
) -> dict[str, Any]:
    """Time each stage; returns ms per frame and the end-to-end frame rate."""
    cfg = cfg or BenchConfig()
    if frames < 10:
        raise CribwatchError(f"--frames must be at least 10, got {frames}")
    check_backend(backend_name)
    video = bench_frames(frames + cfg.warmup, cfg)
    backend = make_backend(backend_name, static=False)
    pose_ms: list[float] = []
    pose_cpu_ms: list[float] = []
    found = 0
    wall0 = cpu0 = 0.0
    try:
        for i, f in enumerate(video):
            if i == cfg.warmup:
                wall0, cpu0 = time.perf_counter(), time.process_time()
            c0 = time.process_time()
            t0 = time.perf_counter()
            kp = backend.process(f)
            dt = (time.perf_counter() - t0) * 1e3
            dc = (time.process_time() - c0) * 1e3
            if i >= cfg.warmup:
                pose_ms.append(dt)
                pose_cpu_ms.append(dc)
                found += int(kp[:, 2].max() > 0)
        wall_total = time.perf_counter() - wall0
        cpu_total = time.process_time() - cpu0
    finally:
        backend.close()
    seq, _ = generate(1, SynthConfig(seq_s=60.0))
    tr = Tracker()
    post_ms: list[float] = []
    c_post = time.process_time()
    for i in range(seq.n):
        t0 = time.perf_counter()
        ft = features(seq.kp[i])
        p = probabilities(ft)
        tr.update(float(seq.t[i]), p[0], float(ft.d[0]), bool(ft.valid[0]), int(ft.n_face[0]),
                  bool(ft.body_in_view[0]))  # fmt: skip
        post_ms.append((time.perf_counter() - t0) * 1e3)
    post_cpu = (time.process_time() - c_post) * 1e3 / seq.n
    t0 = time.perf_counter()
    run(seq.t, seq.kp)
    batch_us = (time.perf_counter() - t0) * 1e6 / seq.n
    # the front desk as shipped (learned posture model with the face veto), frame by frame
    detector = RolloverDetector()
    det_ms: list[float] = []
    for i in range(seq.n):
        t0 = time.perf_counter()
        detector.update(float(seq.t[i]), seq.kp[i])
        det_ms.append((time.perf_counter() - t0) * 1e3)
    pose_med = float(np.median(pose_ms))
    post_med = float(np.median(post_ms))
    return {
        "frames": frames,
        "width": cfg.width,
        "height": cfg.height,
        "pose_backend": backend_name,
        "pose_backend_detail": str(getattr(backend, "name", backend_name)),
        "tracking": True,
        "grey_frames": cfg.grey,
        "keypoints_fps_wall": round(len(pose_ms) / max(wall_total, 1e-9), 1),
        "keypoints_cpu_ms_per_frame": round(1e3 * cpu_total / len(pose_ms), 3),
        "pose_ms_per_frame_p50": round(pose_med, 3),
        "pose_ms_per_frame_mean": round(float(np.mean(pose_ms)), 3),
        "pose_found_fraction": round(found / len(pose_ms), 3),
        "posture_events_ms_per_frame_p50": round(post_med, 4),
        "posture_events_us_per_frame_batch": round(batch_us, 2),
        "detector_ms_per_frame_p50": round(float(np.median(det_ms)), 4),
        "end_to_end_fps": round(1000.0 / (pose_med + post_med), 1),
        "pose_cpu_ms_per_frame_p50": round(float(np.median(pose_cpu_ms)), 3),
        "posture_events_cpu_ms_per_frame_mean": round(post_cpu, 4),
        "end_to_end_fps_cpu": round(1000.0 / (float(np.median(pose_cpu_ms)) + post_cpu), 1),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "cpu_count": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
    }
