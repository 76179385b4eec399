"""Speed beside published networks: DDColor-tiny's and EnlightenGAN's generators.

``cribwatch color bench --peers DIR`` builds both networks from their authors' public code in
``DIR`` (never copied into this project; random weights, which time the same as trained ones)
and times each network alone beside our whole pipeline (pre-processing, ONNX network,
post-processing) at the same resolution and thread count, in one run, with the ratios.

Expected layout (any one of the names per peer)::

    DIR/DDColor/ddcolor/model.py              github.com/piddnad/DDColor
    DIR/EnlightenGAN/models/networks.py       github.com/VITA-Group/EnlightenGAN

Networks, as their own inference scripts build them:

- **DDColor-tiny**: ``ddcolor.model.DDColor`` with the ConvNeXt-T encoder and the multi-scale
  colour decoder (100 queries, 3 scales, 9 layers, 2 output channels, spectral last norm), as
  ``ddcolor.pipeline.build_ddcolor_model(model_size="tiny")``; input a (1, 3, H, W) grey RGB
  image. Its network modules need neither timm (its ConvNeXt falls back to plain PyTorch)
  nor torchvision, but its package ``__init__`` chain imports torchvision: without it, those
  two ``__init__`` files are left out and the row says so (``not_imported``).
- **EnlightenGAN**: ``models.networks.Unet_resize_conv`` with the options of its
  ``scripts/script.py --predict`` (self-attention, batch norm, times-residual, skip); input a
  (1, 3, H, W) image and its (1, 1, H, W) attention map.

Each network runs in its own process (``python -m cribwatch.color.peers``): the peers' top-level
packages (``models``, ``lib``, ``basicsr``) never enter a cribwatch process, and each process
has its own thread pool. PyTorch runs them in eval mode under ``torch.inference_mode``.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import subprocess
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError

PEERS: dict[str, dict[str, Any]] = {
    "ddcolor-tiny": {
        "folders": ("DDColor", "ddcolor"),
        "marker": "ddcolor/model.py",
        "repo": "https://github.com/piddnad/DDColor",
    },
    "enlightengan": {
        "folders": ("EnlightenGAN", "enlightengan"),
        "marker": "models/networks.py",
        "repo": "https://github.com/VITA-Group/EnlightenGAN",
    },
}
"""Each peer: folder names tried under DIR, the file that marks its code, where to get it."""


@dataclass(frozen=True)
class PeerBenchConfig:
    """What ``cribwatch color bench --peers`` measures."""

    height: int = 128
    width: int = 128
    threads: int = 2
    """ONNX Runtime / OpenCV threads for ours, torch intra-op threads for the peers."""
    frames: int = 200
    """Timed frames of our pipeline."""
    peer_frames: int = 20
    """Timed forward passes of each peer network (they are 5-15x slower)."""
    warmup: int = 3


def find_peer(root: Path, name: str) -> Path | None:
    """The folder holding ``name``'s code under ``root`` (or ``root`` itself), or None."""
    spec = PEERS[name]
    for cand in (*(root / f for f in spec["folders"]), root):
        if (cand / spec["marker"]).is_file():
            return cand
    return None


def skip_message(root: Path, name: str) -> str:
    spec = PEERS[name]
    return (
        f"skipped {name}: no {spec['marker']} under {root}/{spec['folders'][0]} "
        f"(clone {spec['repo']} there)"
    )


def _run(cmd: list[str], what: str) -> dict[str, Any]:
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise CribwatchError(f"{what}: benchmark run failed ({last})")
    row: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return row


def bench_peers(
    root: Path, model: Path, cfg: PeerBenchConfig | None = None
) -> list[dict[str, Any]]:
    """Rows: ``ours`` (the whole pipeline, timed before and after the peers, the slower p50
    kept), then one per peer: its network's p50/p90 and ``ratio`` (peer network p50 over our
    end-to-end p50), or ``skipped`` with the reason. No peer found: only the skip rows."""
    cfg = cfg or PeerBenchConfig()
    root = Path(root)
    if not root.is_dir():
        raise CribwatchError(f"--peers {root}: folder not found")
    found = {name: find_peer(root, name) for name in PEERS}
    rows: list[dict[str, Any]] = [
        {"name": name, "skipped": skip_message(root, name)}
        for name, where in found.items()
        if where is None
    ]
    if all(v is None for v in found.values()):
        return rows
    size = [f"--height={cfg.height}", f"--width={cfg.width}", f"--threads={cfg.threads}"]

    def ours() -> dict[str, Any]:
        cmd = [sys.executable, "-m", "cribwatch.color.runtime", str(model), *size]
        return _run([*cmd, f"--frames={cfg.frames}", f"--warmup={cfg.warmup}"], str(model))

    first = ours()
    peer_rows = []
    for name, where in found.items():
        if where is None:
            continue
        cmd = [sys.executable, "-m", "cribwatch.color.peers", name, str(where), *size]
        cmd += [f"--frames={cfg.peer_frames}", f"--warmup={cfg.warmup}"]
        try:
            peer_rows.append(_run(cmd, f"{name} ({where})"))
        except CribwatchError as exc:
            rows.append({"name": name, "skipped": f"skipped {name}: {exc.message}"})
    second = ours()
    slow = max((first, second), key=lambda r: float(r["total_ms_p50"]))
    ours_row = {
        "name": "ours",
        "timed": "end to end (pre + network + post)",
        "resolution": slow["resolution"],
        "threads": cfg.threads,
        "frames": cfg.frames,
        "ms_p50": slow["total_ms_p50"],
        "ms_p90": slow["total_ms_p90"],
        "ms_p50_runs": [first["total_ms_p50"], second["total_ms_p50"]],
        "model_ms_p50": slow["model_ms_p50"],
        "load_avg_1min": slow["load_avg_1min"],
    }
    for r in peer_rows:
        r["ratio"] = round(float(r["ms_p50"]) / float(ours_row["ms_p50"]), 2)
    return [ours_row, *peer_rows, *rows]


# ------------------------------------------------------------------ one peer, own process


def _build(name: str, code: Path, h: int, w: int) -> tuple[Any, tuple[Any, ...]]:
    """The peer's network (eval mode, random weights) and its inputs."""
    import torch  # extra: train

    sys.path.insert(0, str(code))
    try:
        if name == "ddcolor-tiny":
            DDColor = _ddcolor_class(code)
            net = DDColor(
                encoder_name="convnext-t",
                decoder_name="MultiScaleColorDecoder",
                input_size=[h, w],
                num_output_channels=2,
                last_norm="Spectral",
                do_normalize=False,
                num_queries=100,
                num_scales=3,
                dec_layers=9,
            )
            inputs: tuple[Any, ...] = (torch.rand(1, 1, h, w).expand(1, 3, h, w).contiguous(),)
        else:
            # the peer's own file, run from DIR (it imports its package ``lib`` from there)
            Unet_resize_conv = runpy.run_path(str(code / "models" / "networks.py"))[
                "Unet_resize_conv"
            ]
            opt = argparse.Namespace(
                self_attention=True,
                use_norm=1,
                syn_norm=False,
                use_avgpool=0,
                tanh=False,
                times_residual=True,
                linear_add=False,
                latent_threshold=False,
                latent_norm=False,
                linear=False,
                skip=1.0,
            )
            net = Unet_resize_conv(opt, 1.0)
            inputs = (torch.rand(1, 3, h, w), torch.rand(1, 1, h, w))
    except ImportError as exc:
        raise CribwatchError(
            f"{name} ({code}): its code needs the package {exc.name!r}, not installed here"
        ) from exc
    return net.eval(), inputs


BYPASSED: list[str] = []
"""Package ``__init__`` files of a peer that :func:`_ddcolor_class` did not run."""


def _ddcolor_class(code: Path) -> Any:
    """``DDColor`` of DDColor's ``ddcolor/model.py``.

    Its network modules (``basicsr/archs/ddcolor_arch_utils``, ``ddcolor/model.py``) need
    only torch, but importing them runs ``basicsr/archs/__init__.py``, which imports
    ``basicsr.utils``, whose ``__init__`` imports torchvision (image and logging helpers).
    When that import fails for want of torchvision or timm, the two package ``__init__``
    files are left out (empty package modules stand in for ``basicsr`` and ``basicsr.archs``)
    and the network modules are imported unchanged; :data:`BYPASSED` records it."""
    model_py = str(code / "ddcolor" / "model.py")  # the peer's own file, run from DIR
    try:
        return runpy.run_path(model_py)["DDColor"]
    except ImportError as exc:
        if exc.name not in ("torchvision", "timm") and not str(exc.name).startswith(
            ("torchvision.", "timm.")
        ):
            raise
        for mod in [m for m in sys.modules if m.split(".")[0] in ("basicsr", "ddcolor")]:
            del sys.modules[mod]
        for pkg in ("basicsr", "basicsr.archs"):
            stub = types.ModuleType(pkg)
            stub.__path__ = [str(code / pkg.replace(".", "/"))]
            sys.modules[pkg] = stub
        BYPASSED.extend(
            [f"basicsr/__init__.py, basicsr/archs/__init__.py ({exc.name} not installed)"]
        )
        return runpy.run_path(model_py)["DDColor"]


def time_peer(
    name: str, code: Path, h: int, w: int, threads: int, frames: int, warmup: int
) -> dict[str, Any]:
    """p50/p90 (ms) of one forward pass of a peer's network, in this process."""
    import torch  # extra: train

    torch.set_num_threads(threads)
    net, inputs = _build(name, code, h, w)
    params = sum(p.numel() for p in net.parameters())
    times = []
    with torch.inference_mode():
        for i in range(warmup + frames):
            t0 = time.perf_counter()
            net(*inputs)
            if i >= warmup:
                times.append(1000 * (time.perf_counter() - t0))
    return {
        "name": name,
        "timed": "network alone (PyTorch, eval)",
        "resolution": f"{w}x{h}",
        "threads": threads,
        "frames": frames,
        "ms_p50": round(float(np.percentile(times, 50)), 3),
        "ms_p90": round(float(np.percentile(times, 90)), 3),
        "params": int(params),
        **({"not_imported": BYPASSED[0]} if BYPASSED else {}),
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m cribwatch.color.peers NAME CODE_DIR --height H --width W --threads T``: one
    peer's timing as a JSON line."""
    from cribwatch import clikit  # python -m entry point: the CLI layer

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("name", choices=sorted(PEERS))
    ap.add_argument("code", type=Path)
    ap.add_argument("--height", type=int, default=128)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args(argv)

    def checked() -> dict[str, Any]:
        for opt, v in (("--height", a.height), ("--width", a.width)):
            clikit.check_number(opt, v, low=32, high=4096, integer=True)
        clikit.check_number("--threads", a.threads, low=1, high=256, integer=True)
        clikit.check_number("--frames", a.frames, low=1, high=100_000, integer=True)
        clikit.check_number("--warmup", a.warmup, low=0, high=100_000, integer=True)
        return time_peer(a.name, a.code, a.height, a.width, a.threads, a.frames, a.warmup)

    row = clikit.run(checked)
    sys.stdout.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
