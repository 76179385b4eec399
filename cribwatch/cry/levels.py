"""Signal levels of the cry-set builder: RMS, setting a level in dBFS, trimming silence."""

from __future__ import annotations

import numpy as np


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2) + 1e-20))


def set_rms_db(x: np.ndarray, dbfs: float) -> np.ndarray:
    return (x * (10.0 ** (dbfs / 20.0) / rms(x))).astype(np.float32)


def trim_silence(x: np.ndarray, rel_db: float = 35.0, floor_dbfs: float = -55.0) -> tuple[int, int]:
    """Sample span [a, b) between the first and last 25 ms frame louder than the threshold
    ``max(floor_dbfs, loudest frame - rel_db)``; pauses inside the span are kept."""
    hop = 400
    n = x.shape[0] // hop
    if n == 0:
        return 0, x.shape[0]
    fr = x[: n * hop].reshape(n, hop).astype(np.float64)
    db = 10 * np.log10(np.mean(fr**2, axis=1) + 1e-12)
    thr = max(floor_dbfs, float(db.max()) - rel_db)
    on = np.flatnonzero(db > thr)
    if on.size == 0:
        return 0, 0
    return int(on[0] * hop), int((on[-1] + 1) * hop)
