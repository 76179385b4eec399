"""``cribwatch color video``: colour a night video with a day reference (PyAV in and out).

Frames are decoded with PyAV, turned grey, coloured by the frame-by-frame mode of the
:class:`~cribwatch.color.api.Colorizer` (:class:`~cribwatch.color.stream.ColorStream`: lightness
denoised and colour smoothed where the scene is static) and encoded as H.264 (``libx264``,
``yuv420p``, the input's frame rate) into ``out``, written atomically. With ``align`` the
reference is registered to the first frame's view (refused when it does not match).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from cribwatch.color.api import (
    DEFAULT_METHOD,
    Colorizer,
    check_image_size,
    check_method,
    check_writable,
    read_reference,
)
from cribwatch.color.stream import StreamConfig
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, check_pixels, guard_output
from cribwatch.progress import Progress, report

MAX_FRAMES = 1_000_000
"""Largest ``--max-frames``."""


def _open(path: Path) -> Any:
    if not Path(path).is_file():
        raise CribwatchError(f"{path}: video file not found")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise CribwatchError(f"{path}: not a readable video ({str(exc)[:120]})") from exc


def video_file(
    night: Path,
    reference: Path,
    out: Path,
    *,
    method: str = DEFAULT_METHOD,
    align: bool = True,
    stream: StreamConfig | None = None,
    max_frames: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
    recheck_every: int = 15,
    align_frames: int = 8,
) -> dict[str, Any]:
    """Colour the video ``night`` into ``out`` (see the module doc); returns a summary.
    With ``align``, every ``recheck_every`` frames a cheap check realigns when the view moved,
    and each alignment is made again on the mean of its first ``align_frames`` frames
    (:class:`~cribwatch.color.api.Colorizer`)."""
    check_method(method)
    guard_output(out, inputs={"--reference": reference, "NIGHT": night}, force=force)
    check_writable(out)
    ref = read_reference(reference)
    src = _open(night)
    try:
        vs = next((s for s in src.streams if s.type == "video"), None)
        if vs is None:
            raise CribwatchError(f"{night}: no video stream")
        w, h = int(vs.codec_context.width), int(vs.codec_context.height)
        check_pixels(night, w, h)
        check_image_size(night, h, w)
        rate = vs.average_rate or Fraction(15, 1)
        col = Colorizer(
            ref,
            method,
            align=align,
            strict=True,
            name=f"--reference {reference}",
            recheck_every=recheck_every if align else 0,
            align_frames=align_frames,
        )
        seq = col.stream(stream)
        total = int(vs.frames) if vs.frames else None
        n = 0
        with atomic_path(out, suffix=Path(out).suffix or ".mp4") as tmp:
            dst = av.open(str(tmp), "w", format="mp4")
            try:
                ov = dst.add_stream("libx264", rate=rate)
                ov.width, ov.height = w - w % 2, h - h % 2
                ov.pix_fmt = "yuv420p"
                ov.options = {"crf": "20", "preset": "veryfast"}
                ov.metadata["comment"] = "written by cribwatch"
                dst.metadata["comment"] = "written by cribwatch"
                try:
                    for frame in src.decode(vs):
                        grey = frame.to_ndarray(format="gray")
                        rgb = seq.push(grey)
                        u8 = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
                        u8 = np.ascontiguousarray(u8[: ov.height, : ov.width])
                        for pkt in ov.encode(av.VideoFrame.from_ndarray(u8, format="rgb24")):
                            dst.mux(pkt)
                        n += 1
                        report(progress, n, total)
                        if max_frames is not None and n >= max_frames:
                            break
                except av.error.FFmpegError as exc:
                    raise CribwatchError(f"{night}: cannot decode ({str(exc)[:120]})") from exc
                for pkt in ov.encode():
                    dst.mux(pkt)
            finally:
                dst.close()
            if n == 0:
                raise CribwatchError(f"{night}: no frames decoded")
            col.settle()  # a video shorter than align_frames: the mean so far decides
    finally:
        src.close()
    info: dict[str, Any] = {"out": str(out), "frames": n, "size": [w, h], "fps": float(rate)}
    if col.alignment is not None:
        info["align"] = col.alignment.to_dict()
        info["aligned_times"] = col.realigned
    return info


def write_video(path: str | os.PathLike[str], frames: list[np.ndarray], fps: int = 15) -> None:
    """Write grey (H, W) or RGB (H, W, 3) float/uint8 frames as H.264 (for generated night
    sequences and tests)."""
    first = np.asarray(frames[0])
    h, w = first.shape[:2]
    with atomic_path(path, suffix=".mp4") as tmp:
        dst = av.open(str(tmp), "w", format="mp4")
        try:
            ov = dst.add_stream("libx264", rate=fps)
            ov.width, ov.height = w - w % 2, h - h % 2
            ov.pix_fmt = "yuv420p"
            ov.options = {"crf": "12", "preset": "veryfast"}
            dst.metadata["comment"] = "written by cribwatch"
            for f in frames:
                a = np.asarray(f)
                if a.dtype != np.uint8:
                    a = np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)
                if a.ndim == 2:
                    a = np.repeat(a[..., None], 3, axis=2)
                a = np.ascontiguousarray(a[: ov.height, : ov.width])
                for pkt in ov.encode(av.VideoFrame.from_ndarray(a, format="rgb24")):
                    dst.mux(pkt)
            for pkt in ov.encode():
                dst.mux(pkt)
        finally:
            dst.close()


__all__ = ["MAX_FRAMES", "video_file", "write_video"]
