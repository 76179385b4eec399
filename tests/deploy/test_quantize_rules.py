import numpy as np

from cribwatch.deploy.quantize import (
    act_qparams,
    pack_int4,
    quantize_multiplier,
    quantize_weight_per_channel,
    requantize,
    rounding_shift,
    unpack_int4,
)


def test_rounding_is_half_away_from_zero():
    v = np.array([5, -5, 6, -6, 7, -7, 4, -4])
    assert rounding_shift(v, 1).tolist() == [3, -3, 3, -3, 4, -4, 2, -2]
    assert rounding_shift(np.array([3, -3]), 2).tolist() == [1, -1]  # 0.75 -> 1


def test_multiplier_and_requantize():
    for m in (0.5, 3e-4, 1.7, 1e-6, 0.999999):
        M, s = quantize_multiplier(m)
        assert 2**30 <= M < 2**31
        assert abs(M * 2.0 ** -(31 + s) - m) / m < 1e-9
    acc = np.arange(-1000, 1000, 7)
    m = 0.0123
    M, s = quantize_multiplier(m)
    q = requantize(acc, M, s, zp=-5)
    ref = np.clip(np.sign(acc * m) * np.floor(np.abs(acc * m) + 0.5) - 5, -128, 127)
    assert np.array_equal(q, ref.astype(np.int8))


def test_weights_and_activations():
    w = np.random.default_rng(0).standard_normal((8, 3, 3, 3))
    w[2] *= 100
    q, s = quantize_weight_per_channel(w, 4)
    assert q.dtype == np.int8 and np.abs(q).max() == 7 and s.shape == (8,)
    assert np.max(np.abs(q * s[:, None, None, None] - w) / s[:, None, None, None]) <= 0.5 + 1e-6
    scale, zp = act_qparams(0.0, 6.0)
    assert zp == -128 and abs(scale - 6 / 255) < 1e-7
    vals = np.array([-8, -7, 0, 3, 7, 1, -1])
    assert np.array_equal(unpack_int4(pack_int4(vals), 7), vals)
    assert pack_int4(vals).shape == (4,)
