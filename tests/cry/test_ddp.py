"""Cry training under torchrun (DistributedDataParallel, gloo on CPU): two ranks end with
identical weights; rank 0 writes the checkpoint, which holds them."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tests.cry.test_synth_and_train import make_tiny_set
from tests.ddp import run_two_ranks

_RANK_SCRIPT = """
import sys, torch
from pathlib import Path
import cribwatch.cry.train as t
made = []
class Recorded(t.CryNet):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        made.append(self)
t.CryNet = Recorded  # keep a handle on the model this rank trains
cfg = t.strong_augment(t.TrainConfig(minutes=5, steps=4, val_every_steps=2, batch=8, seed=3,
                                     keep="last"))
meta = t.train([Path(sys.argv[1])], Path(sys.argv[2]), cfg, log=False)
torch.save(made[0].state_dict(), sys.argv[3])
t.finish_dist()
"""


def test_two_ranks_end_with_identical_weights(tmp_path: Path) -> None:
    make_tiny_set(tmp_path / "set", n_files=4, seconds=6.0)
    w0, w1 = run_two_ranks(_RANK_SCRIPT, tmp_path / "set", tmp_path)
    assert set(w0) == set(w1)
    for k in w0:  # parameters (DDP) and batch-norm buffers (broadcast from rank 0)
        assert torch.equal(w0[k], w1[k]), k
    ck = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert ck["meta"]["world_size"] == 2 and ck["meta"]["steps"] == 4
    for k in w0:
        assert torch.equal(ck["state_dict"][k], w0[k]), k
    # training happened: the weights left the seeded initialisation
    from cribwatch.cry.model import CryNet

    torch.manual_seed(3)
    init = CryNet().state_dict()
    assert any(not torch.equal(init[k], w0[k]) for k in w0 if w0[k].is_floating_point())


def test_one_process_is_the_plain_run(tmp_path: Path) -> None:
    """WORLD_SIZE=1 (torchrun with one process) takes the single-process path: same weights
    as a plain call, bit for bit."""
    from cribwatch.cry.train import TrainConfig, train

    make_tiny_set(tmp_path / "set", n_files=4, seconds=6.0)
    cfg = TrainConfig(minutes=5, steps=3, val_every_steps=3, batch=8, seed=1, keep="last")
    train(tmp_path / "set", tmp_path / "a.pt", cfg, log=False)
    old = {k: os.environ.get(k) for k in ("RANK", "WORLD_SIZE")}
    os.environ.update(RANK="0", WORLD_SIZE="1")
    try:
        meta = train(tmp_path / "set", tmp_path / "b.pt", cfg, log=False)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert meta["world_size"] == 1
    a = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
