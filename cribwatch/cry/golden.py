"""Golden vectors of the cry pipeline for the board (issue 12), in the
:mod:`cribwatch.deploy.golden` format.

Per 1 s window (one golden sample each): ``wave`` (float32, 16000 samples), ``logmel``
(float32, 98 x 64: the log-mel the board's fixed-point front end stands for,
:func:`cribwatch.cry.fixedfront.fixed_logmel`), ``input`` (float32 (1, 1, 98, 64), integer
values 0-255: the model input),
``q0`` (int8 input, ``input - 128``), ``q1`` ... ``qN`` (int8 output of every integer layer, the
names the ONNX QDQ export gives the same tensors), ``logit`` (float32 (1, 1)) and ``score``
(float32 (1,), the sigmoid). Quantized tensors carry their scale and zero point.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cribwatch.cry.audio import SR, read_audio
from cribwatch.cry.features import WINDOW_FRAMES
from cribwatch.cry.fixedfront import fixed_frames, fixed_logmel, fixed_tables, to_pcm16
from cribwatch.cry.intref import IntModel
from cribwatch.deploy.golden import Tensor, sha256_file, write_golden
from cribwatch.errors import CribwatchError


def cry_tensors(im: IntModel, wave: np.ndarray) -> list[Tensor]:
    """Every tensor of one 1 s window through the board's fixed-point front end
    (:mod:`cribwatch.cry.fixedfront`) and the integer model."""
    if wave.shape[0] != SR:
        raise CribwatchError(f"a golden window is {SR} samples, got {wave.shape[0]}")
    t = fixed_tables()
    fr = np.lib.stride_tricks.sliding_window_view(to_pcm16(wave), t.win)[:: t.hop]
    u8, lq = fixed_frames(fr, t)
    lm = fixed_logmel(lq, t)
    assert lm.shape[0] == WINDOW_FRAMES
    rec: list[np.ndarray] = []
    logit = im.forward(u8[None], rec)
    ts = [
        Tensor("wave", wave.astype(np.float32)),
        Tensor("logmel", lm.astype(np.float32)),
        Tensor("input", u8.astype(np.float32)[None, None]),
    ]
    ts.append(Tensor("q0", rec[0], im.input_scale, im.input_zp))
    for i, (lay, arr) in enumerate(zip(im.layers, rec[1:], strict=True)):
        ts.append(Tensor(f"q{i + 1}", arr, float(lay.out_scale), int(lay.out_zp)))
    ts.append(Tensor("logit", logit.astype(np.float32).reshape(1, 1)))
    ts.append(Tensor("score", (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)))
    return ts


def dump_cry_golden(
    model: Path, audio: Path, out: Path, windows: int = 4, *, force: bool = False
) -> dict[str, object]:
    """Golden dump of the first ``windows`` 1 s windows (hop 0.5 s) of ``audio``, written as
    one folder (swapped in whole; an existing ``out`` not written by cribwatch needs
    ``force``)."""
    if windows < 1:
        raise CribwatchError(f"--windows: must be at least 1, not {windows}")
    im = IntModel.load(model)
    x = read_audio(audio)
    hop = SR // 2
    n = min(windows, 0 if x.shape[0] < SR else (x.shape[0] - SR) // hop + 1)
    if n == 0:
        raise CribwatchError(f"{audio}: shorter than one 1 s window")
    samples = [cry_tensors(im, x[k * hop : k * hop + SR]) for k in range(n)]
    return write_golden(
        out,
        samples,
        model.name,
        sha256_file(model),
        extra={"audio": audio.name, "window_hop_s": 0.5},
        force=force,
    )
