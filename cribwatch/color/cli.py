"""``cribwatch color ...``: thin verbs over the colour library."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cribwatch.color.lab import luma, np_to_t
from cribwatch.color.mask import SSIMMapConfig, changed_mask, ssim_attention_map
from cribwatch.color.lab import t_to_np
from cribwatch.io import read_gray, read_rgb, write_image

app = typer.Typer(help="Night colorization.", no_args_is_help=True)


@app.command("ssim-map")
def ssim_map_cmd(
    night: Path = typer.Option(..., "--night", help="Night IR frame (grey or colour image)."),
    reference: Path = typer.Option(..., "--reference", help="Daytime colour reference."),
    out: Path = typer.Option(..., "--out", help="Output PNG of the map (255 = matches)."),
    mask_out: Path | None = typer.Option(None, "--mask-out", help="Also write the binary mask (255 = changed)."),
    threshold: float = typer.Option(SSIMMapConfig.threshold, help="Mask threshold on the map."),
    work_side: int = typer.Option(256, help="Longer side the pipeline works at."),
) -> None:
    """Write the SSIM map between the grey reference and the night frame."""
    cfg = SSIMMapConfig(threshold=threshold, work_side=work_side)
    n = read_gray(night)
    r = read_rgb(reference)
    smap = ssim_attention_map(np_to_t(n), luma(np_to_t(r)), cfg)
    m = t_to_np(smap)
    mask = t_to_np(changed_mask(smap, cfg).float())
    write_image(out, m)
    if mask_out is not None:
        write_image(mask_out, mask)
    typer.echo(json.dumps({"out": str(out), "mean": float(m.mean()), "changed": float(mask.mean())}))
