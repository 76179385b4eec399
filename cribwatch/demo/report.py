"""The demo report: one self-contained HTML file plus its images.

Sections: night colorization on the bundled sample pairs (night input, reference, SSIM map,
mask, every method's output, ground truth, metrics table), the night simulator, and the
sections the other capabilities provide (``cribwatch.cry.report.demo_section`` and
``cribwatch.rollover.report.demo_section``): the demo is an app above the capabilities and
imports their library modules.

The report folder is built with :func:`cribwatch.io.atomic_dir`: it is written beside
``--out`` and swapped in whole at the end, so a failure or a kill leaves the previous report
(or nothing). ``--out`` may name a new folder or an earlier report; anything else that exists
is refused unless ``force``, and the current folder, its parents, home and root always.
"""

from __future__ import annotations

import html
import os
from importlib import resources
from pathlib import Path

import numpy as np

from cribwatch.color.eval import available_methods, changed_region, load_inputs, resolve_method
from cribwatch.color.lab import luma, np_to_t, t_to_np
from cribwatch.color.mask import changed_mask, ssim_attention_map
from cribwatch.color.metrics import score_pair
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.report import markdown_table
from cribwatch.cry.report import demo_section as cry_section
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_dir, atomic_open, read_rgb, write_image
from cribwatch.rollover.report import demo_section as rollover_section
from cribwatch.sim.night import simulate_night

TITLE = "cribwatch demo"
"""The report's HTML title (also how an earlier report, made before the folder marker, is
recognised)."""

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
figure{display:inline-block;margin:4px;text-align:center;font-size:12px}
figure img{display:block;width:200px;image-rendering:auto}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}
h2{border-bottom:2px solid #888;margin-top:2em}
"""


def samples_dir() -> Path:
    """The bundled colour sample pairs inside the package."""
    return Path(str(resources.files("cribwatch.demo") / "samples" / "color"))


def _fig(out: Path, rel: str, img: np.ndarray, caption: str) -> str:
    write_image(out / rel, img)
    cap = html.escape(caption)
    return f'<figure><img src="{rel}" alt="{cap}"><figcaption>{cap}</figcaption></figure>'


def _md_to_html(md: str) -> str:
    rows = [r.strip().strip("|").split("|") for r in md.strip().splitlines()]
    head, body = rows[0], rows[2:]
    th = "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
    trs = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in body
    )
    return f"<table><tr>{th}</tr>{trs}</table>"


def color_section(out: Path) -> str:
    """Colour section: every method on every bundled pair, and the metrics table."""
    pairs = load_pair_set(samples_dir())
    fns = {}
    missing = []
    for m in available_methods():
        try:
            fns[m] = resolve_method(m)
        except CribwatchError:  # a learned method whose weights are not shipped yet
            missing.append(m)
    methods = list(fns)
    scores: dict[str, list] = {m: [] for m in methods}
    parts = [
        "<h2>Night colorization</h2>",
        "<p>Bundled sample pairs made by <code>cribwatch color make-pairs</code> from "
        "scikit-image sample photos (public domain / CC0) and Tux Paint stamps (GPL-2+). "
        "SSIM map: white = structure matches the reference; mask: white = changed.</p>",
    ]
    for p in pairs:
        night, ref = load_inputs(p)
        assert p.target is not None
        target = read_rgb(p.target)
        smap = ssim_attention_map(np_to_t(night), luma(np_to_t(ref)))
        figs = [
            _fig(out, f"img/{p.id}_night.png", night, "night input"),
            _fig(out, f"img/{p.id}_reference.png", ref, "day reference"),
            _fig(out, f"img/{p.id}_ssim.png", t_to_np(smap), "SSIM map"),
            _fig(out, f"img/{p.id}_mask.png", t_to_np(changed_mask(smap).float()), "SSIM mask"),
        ]
        changed = changed_region(p, ref, target)
        for m, fn in fns.items():
            pred = fn(night, ref)
            scores[m].append(score_pair(pred, target, changed))
            figs.append(_fig(out, f"img/{p.id}_{m}.png", pred, m))
        figs.append(_fig(out, f"img/{p.id}_target.png", target, "ground truth"))
        figs.append(
            _fig(out, f"img/{p.id}_truemask.png", changed.astype(np.float32), "true change")
        )
        parts.append(f"<h3>Pair {html.escape(p.id)}</h3><div>{''.join(figs)}</div>")
    rows = []
    for m in methods:
        s = scores[m]
        row = {"method": m, "n": len(s), "ms_per_frame": None}
        for k in (
            "cf_pred",
            "cf_gt",
            "dcf",
            "psnr",
            "ssim",
            "de00",
            "de00_changed",
            "de00_static",
            "de00_raw",
        ):
            vals = [getattr(x, k) for x in s if np.isfinite(getattr(x, k))]
            row[k] = float(np.mean(vals)) if vals else None
        rows.append(row)
    if missing:
        parts.append(f"<p>Not shown (no weights installed): {html.escape(', '.join(missing))}</p>")
    parts.append(
        "<h3>Metrics on these samples (a demo, not the held-out evaluation: see "
        "docs/results/color.md)</h3>" + _md_to_html(markdown_table(rows))
    )
    return "\n".join(parts)


def night_section(out: Path) -> str:
    """Night simulator examples: one day frame, several simulated IR frames."""
    pairs = load_pair_set(samples_dir())
    assert pairs[0].target is not None
    day = read_rgb(pairs[0].target)
    figs = [_fig(out, "img/night_day.png", day, "day frame")]
    for seed in range(4):
        night, prm = simulate_night(day, seed)
        cap = f"seed {seed}: exposure {prm.exposure:.2f}, photons {prm.photons:.0f}"
        figs.append(_fig(out, f"img/night_sim{seed}.png", night, cap))
    return "<h2>Night simulator</h2><div>" + "".join(figs) + "</div>"


def is_report(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding an earlier demo report (its ``index.html``)."""
    index = Path(path) / "index.html"
    try:
        with open(index, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return f"<title>{TITLE}</title>" in head


def build_report(out: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Build the report into the folder ``out``; returns its ``index.html``.

    ``out`` is replaced whole (:func:`cribwatch.io.atomic_dir`) when it is an earlier report;
    another existing folder only with ``force``; never ``.``, a parent of it, home or root.
    """
    dest = Path(out)
    with atomic_dir(dest, force=force or is_report(dest)) as tmp:
        (tmp / "img").mkdir()
        body = [color_section(tmp), night_section(tmp), cry_section(tmp), rollover_section(tmp)]
        with atomic_open(tmp / "index.html") as fh:
            fh.write(
                f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}</title>"
                f"<meta name='generator' content='{OUTPUT_MARK}'><style>{CSS}</style></head>"
                f"<body><h1>{TITLE}</h1>" + "\n".join(body) + "</body></html>\n"
            )
    return dest / "index.html"
