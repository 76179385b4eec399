import numpy as np
import pytest
import torch

from cribwatch.cry.features import (
    WINDOW_FRAMES,
    logmel,
    logmel_torch,
    n_frames,
    to_model_input,
    to_model_input_torch,
)


@pytest.mark.parametrize("kind", ["noise", "tone", "silence", "loud"])
def test_numpy_and_torch_front_ends_agree(kind):
    rng = np.random.default_rng(3)
    n = 16000 * 3 + 123
    if kind == "noise":
        x = 0.1 * rng.standard_normal(n)
    elif kind == "tone":
        x = 0.9 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000) + 1e-4 * rng.standard_normal(n)
    elif kind == "silence":
        x = np.zeros(n)
    else:
        x = np.clip(rng.standard_normal(n), -1, 1)
    x = x.astype(np.float32)
    a = logmel(x)
    b = logmel_torch(torch.from_numpy(x)).numpy()
    assert a.shape == b.shape == (n_frames(n), 64)
    assert np.max(np.abs(a - b)) <= 1e-5
    qa = to_model_input(a)
    qb = to_model_input_torch(torch.from_numpy(a)).numpy()
    assert np.array_equal(qa.astype(np.float32), qb)


def test_framing_and_input_range():
    assert n_frames(16000) == WINDOW_FRAMES
    assert n_frames(399) == 0
    x = np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000).astype(np.float32)
    q = to_model_input(logmel(x))
    assert q.dtype == np.uint8 and q.max() > 200 and q.min() == 0
    # the batched torch twin gives the same as one call per signal
    xs = torch.from_numpy(np.stack([x, 0.5 * x]))
    b = logmel_torch(xs).numpy()
    assert np.max(np.abs(b[1] - logmel(0.5 * x))) <= 1e-5
