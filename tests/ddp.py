"""Shared by the DDP tests of colour and cry training: run a rank script as two processes
under a local gloo rendezvous (the environment torchrun sets) and load what each rank saved."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_two_ranks(script: str, data: Path, tmp_path: Path) -> list[dict[str, torch.Tensor]]:
    """Run ``script`` as ranks 0 and 1 with argv ``data tmp_path/ddp.pt tmp_path/rankN.pt``
    (each rank saves its model's state dict to the last); assert both exit 0; return the two
    state dicts."""
    path = tmp_path / "rank.py"
    path.write_text(script)
    port = _free_port()
    procs = []
    for rank in range(2):
        env = dict(
            os.environ,
            RANK=str(rank),
            LOCAL_RANK=str(rank),
            WORLD_SIZE="2",
            MASTER_ADDR="127.0.0.1",
            MASTER_PORT=str(port),
            OMP_NUM_THREADS="1",
        )
        args = [str(data), str(tmp_path / "ddp.pt"), str(tmp_path / f"rank{rank}.pt")]
        procs.append(
            subprocess.Popen(
                [sys.executable, str(path), *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out.decode()[-2000:]
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
