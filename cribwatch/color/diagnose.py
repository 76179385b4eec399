"""Where a gated colour network wins or loses in changed regions (``cribwatch color diagnose``).

The ssim-guided output is ``gate * reference ab + (1 - gate) * own ab``. On every pair with a
change mask this scores, over the changed pixels only (CIEDE2000 with the truth's lightness,
as ``de00_changed`` in :mod:`cribwatch.color.eval`):

- ``gray`` (no colour), ``reference`` (the reference's ab copied: what leaks when the gate is
  open), ``output`` (the network's composed output);
- ``oracle gate, own x s``: the true change mask as the gate, the network's own ab scaled by
  ``s`` where the scene changed (``s`` = 1: the colour it paints where its gate shuts;
  smaller ``s``: the same hue, less chroma) and the reference's ab elsewhere. If every ``s``
  scores worse than ``gray`` in changed regions, the own ab carries no usable colour there
  and no gate can beat ``gray``;
- for every candidate also ``dcf``, the whole image's colourfulness error (as in the eval),
  to show what a greyer changed region costs in colourfulness;
- the gate's mean over changed and over unchanged pixels.

Rows are per edit type of the pair generator (a pair counts under every edit it carries;
``shift``, a small misalignment, is not a change type) and over all pairs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cribwatch.color.eval import changed_region, load_inputs
from cribwatch.color.lab import compose, t_to_np
from cribwatch.color.metrics import de00_map, delta_cf
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import LoadedNet, colour_parts, load_net
from cribwatch.errors import CribwatchError
from cribwatch.io import read_rgb
from cribwatch.progress import Progress, report

DEFAULT_SCALES = (0.25, 0.5, 1.0)


def diagnose(
    data: Path,
    net: LoadedNet,
    scales: tuple[float, ...] = DEFAULT_SCALES,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Per-edit-type means of the changed-region scores (see the module doc)."""
    if not scales or not all(math.isfinite(s) and s > 0 for s in scales):
        raise CribwatchError(f"scales must be finite and positive, not {list(scales)}")
    pairs = [p for p in load_pair_set(data) if p.target is not None]
    if limit is not None:
        if limit < 1:
            raise CribwatchError(f"limit must be at least 1, not {limit}")
        pairs = pairs[:limit]
    groups: dict[str, dict[str, list[float]]] = {}
    for i, pair in enumerate(pairs):
        night, reference = load_inputs(pair)
        assert pair.target is not None
        target = read_rgb(pair.target)
        ch = changed_region(pair, reference, target)
        if ch.any():
            ab, gate, ref_ab, l_hr = colour_parts(net, night, reference)
            mask = torch.from_numpy(ch.astype(np.float32))[None, None]
            cands = {
                "gray": torch.zeros_like(ab),
                "reference": ref_ab,
                "output": gate * ref_ab + (1.0 - gate) * ab,
                **{
                    f"oracle gate, own x {s:g}": mask * s * ab + (1.0 - mask) * ref_ab
                    for s in scales
                },
            }
            row: dict[str, float] = {}
            for k, v in cands.items():
                rgb = t_to_np(compose(l_hr, v))
                row[k] = float(de00_map(rgb, target)[ch].mean())
                row[f"dcf {k}"] = delta_cf(rgb, target)
            g = gate[0, 0].numpy()
            row["gate_changed"] = float(g[ch].mean())
            row["gate_static"] = float(g[~ch].mean()) if (~ch).any() else float("nan")
            kinds = sorted({str(e.get("edit")) for e in pair.meta.get("edits", [])} - {"shift"})
            for kind in ["all", *kinds]:
                for key, val in row.items():
                    groups.setdefault(kind, {}).setdefault(key, []).append(val)
        report(progress, i + 1, len(pairs))
    if "all" not in groups:
        raise CribwatchError(f"{data}: no pair with a changed region to diagnose")
    out: dict[str, Any] = {"data": str(data), "scales": list(scales), "groups": {}}
    for kind, cols in groups.items():
        out["groups"][kind] = {"n": len(cols["gray"])} | {
            k: float(np.nanmean(v)) for k, v in cols.items()
        }
    return out


def diagnose_set(
    data: Path,
    weights: Path,
    scales: tuple[float, ...] = DEFAULT_SCALES,
    limit: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """``cribwatch color diagnose``: :func:`diagnose` of the gated network in ``weights``."""
    net = load_net(weights)
    if not net.model.cfg.reference:
        raise CribwatchError(f"{weights}: diagnose needs a network with a reference (and gate)")
    return diagnose(data, net, scales, limit, progress)


def table(result: dict[str, Any]) -> str:
    """Markdown table of :func:`diagnose`'s result: one row per candidate, its changed-region
    CIEDE2000 over all pairs and per edit type, and its whole-image dcf over all pairs."""
    groups = result["groups"]
    kinds = sorted(k for k in groups if k != "all")
    cands = [k for k in groups["all"] if k not in ("n", "gate_changed", "gate_static")]
    cands = [k for k in cands if not k.startswith("dcf ")]
    head = ["candidate", f"de00_changed (all, n={groups['all']['n']})", "dcf (all)"]
    head += [f"de00_changed {k} (n={groups[k]['n']})" for k in kinds]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in cands:
        cells = [c, f"{groups['all'][c]:.2f}", f"{groups['all']['dcf ' + c]:.2f}"]
        cells += [f"{groups[k][c]:.2f}" for k in kinds]
        lines.append("| " + " | ".join(cells) + " |")
    g = groups["all"]
    gc, gs = g["gate_changed"], g["gate_static"]
    lines.append(f"\nGate mean: {gc:.3f} on changed pixels, {gs:.3f} on unchanged.")
    return "\n".join(lines)
