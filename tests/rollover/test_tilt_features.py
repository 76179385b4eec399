"""Third feature set (33): the 29 and 4 tilt-robust features (issue 25, sixth round)."""

from __future__ import annotations

import numpy as np

from cribwatch.rollover.learned import (
    FEATURE_SETS,
    N_FEATURES_HEAD,
    N_FEATURES_TILT,
    feature_matrix,
)
from cribwatch.rollover.synth import SynthConfig, family_config, generate


def test_tilt_set_extends_the_head_set() -> None:
    assert N_FEATURES_TILT in FEATURE_SETS
    seq, _ = generate(3, family_config("o", SynthConfig(seq_s=10.0)))
    x29 = feature_matrix(seq.kp, n_features=N_FEATURES_HEAD)
    x33 = feature_matrix(seq.kp, n_features=N_FEATURES_TILT)
    assert x33.shape == (len(seq.kp), 33) and np.isfinite(x33).all()
    np.testing.assert_array_equal(x33[:, :29], x29)


def test_width_ratio_ignores_foreshortening_along_the_body() -> None:
    # a supine body seen from above, then squashed along its axis (an oblique camera)
    kp = np.zeros((2, 17, 3))
    kp[:, :, 2] = 0.9
    pts = {
        0: (0, 60),
        1: (5, 65),
        2: (-5, 65),
        5: (17, 40),
        6: (-17, 40),
        11: (10, 0),
        12: (-10, 0),
    }
    for i, (x, y) in pts.items():
        kp[0, i, :2] = (x, y)
        kp[1, i, :2] = (x, 0.5 * y)
    x = feature_matrix(kp, n_features=N_FEATURES_TILT)
    np.testing.assert_allclose(x[0, 29:32], x[1, 29:32], atol=1e-6)
    assert abs(x[0, 29]) == np.float32(1.7) and x[0, 30] == 1.0 and x[0, 31] == 1.0
