"""The demo report: one self-contained HTML file plus its images.

A summary at the top (what each section shows, the key numbers measured in this run, and how
long each section took), then the sections: night colorization on the bundled sample pairs
(night input, reference, SSIM map, mask, every method's output, ground truth, metrics table),
the night simulator, infant cry detection (``cribwatch.cry.report.demo_section``: the plot,
with an audio player of the bundled sample beside it, :mod:`cribwatch.cry.demo_audio`),
roll-over detection (``cribwatch.rollover.report.demo_section``: stick figures, with the roll
as an animated clip beside them, :mod:`cribwatch.rollover.clip`), and a monitor run over a
generated recording of the bundled samples (:mod:`cribwatch.monitor.report`: its alert lines,
frames, alert clips and screenshots of the page in headless Chromium; ``cribwatch demo`` hands
it in, since the demo and the monitor sit side by side in one layer and never import each
other). The demo is an app above the capabilities and imports their library modules.

The report folder is built with :func:`cribwatch.io.atomic_dir`: it is written beside
``--out`` and swapped in whole at the end, so a failure or a kill leaves the previous report
(or nothing). ``--out`` may name a new folder or an earlier report; anything else that exists
is refused unless ``force``, and the current folder, its parents, home and root always.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from cribwatch.color.eval import available_methods, changed_region, load_inputs, resolve_method
from cribwatch.color.lab import luma, np_to_t, t_to_np
from cribwatch.color.mask import changed_mask, ssim_attention_map
from cribwatch.color.metrics import score_pair
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.report import markdown_table
from cribwatch.cry.demo_audio import audio_player
from cribwatch.cry.report import demo_section as cry_plot
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_dir, atomic_open, read_rgb, write_image
from cribwatch.rollover.clip import rollover_clip
from cribwatch.rollover.report import demo_section as rollover_plot
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
.beside{display:flex;flex-wrap:wrap;gap:1em;align-items:center}
.summary td{vertical-align:top}.summary{margin-bottom:1em}
figure.player audio{width:320px}
pre{background:#f4f4f4;padding:6px;font-size:12px}
"""


@dataclass
class Section:
    """One section of the report: its HTML and what the summary at the top says of it."""

    html: str
    title: str = ""
    what: str = ""
    """One line: what the section shows."""
    facts: list[str] = field(default_factory=list)
    """Key numbers measured in this run."""
    anchor: str = ""
    seconds: float = 0.0
    """Wall time the section took (filled in by :func:`build_report`)."""


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


def color_section(out: Path) -> Section:
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
    facts = [f"{len(pairs)} sample pairs, {len(methods)} methods"]
    ranked = sorted(
        (float(str(r["de00"])), str(r["method"])) for r in rows if r.get("de00") is not None
    )
    if ranked:
        facts.append(f"lowest CIEDE2000: {ranked[0][1]} ({ranked[0][0]:.2f})")
    return Section(
        "\n".join(parts), "Night colorization",
        "every colour method on the bundled night/day pairs, with SSIM maps and metrics", facts,
    )  # fmt: skip


def night_section(out: Path) -> Section:
    """Night simulator examples: one day frame, several simulated IR frames."""
    pairs = load_pair_set(samples_dir())
    assert pairs[0].target is not None
    day = read_rgb(pairs[0].target)
    figs = [_fig(out, "img/night_day.png", day, "day frame")]
    for seed in range(4):
        night, prm = simulate_night(day, seed)
        cap = f"seed {seed}: exposure {prm.exposure:.2f}, photons {prm.photons:.0f}"
        figs.append(_fig(out, f"img/night_sim{seed}.png", night, cap))
    return Section(
        "<h2>Night simulator</h2><div>" + "".join(figs) + "</div>", "Night simulator",
        "a day frame through the infrared camera simulator", [f"{len(figs) - 1} simulated frames"],
    )  # fmt: skip


_CRY_IMG = re.compile(r'<img src="cry_demo\.png"[^>]*>')
_CRY_ROW = re.compile(
    r"<tr><td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td><td>([\d.]+)</td></tr>"
)
_ROLL_FIGS = re.compile(r'<div>(?=<figure><img src="img/rollover_frame)')


def _after_h2(fragment: str, extra: str) -> str:
    i = fragment.find("</h2>")
    return fragment + extra if i < 0 else fragment[: i + 5] + extra + fragment[i + 5 :]


def cry_section(out: Path) -> Section:
    """The cry capability's section with an audio player of the bundled sample beside its plot."""
    frag = cry_plot(out)
    player, seconds = audio_player(out)
    if _CRY_IMG.search(frag):
        frag = _CRY_IMG.sub(lambda m: f'<div class="beside">{m.group(0)}{player}</div>', frag, 1)
    else:
        frag = _after_h2(frag, player)
    rows = _CRY_ROW.findall(frag)
    facts = [f"{len(rows)} detection(s) on the {seconds:.0f} s sample"]
    if rows:
        on, off, score, known = (float(v) for v in rows[0])
        facts.append(f"first: {on:.2f}-{off:.2f} s, score {score:.2f}, known at {known:.2f} s")
    return Section(
        frag, "Infant cry detection",
        "the streaming cry detector on the bundled 20 s sample; play it beside the plot", facts,
    )  # fmt: skip


def rollover_section(out: Path) -> Section:
    """The roll-over capability's section with the roll as an animated clip beside the
    stick figures."""
    frag = rollover_plot(out)
    res = rollover_clip(out / "img" / "rollover_clip.gif")
    fig = res.figure("img/rollover_clip.gif")
    frag = _ROLL_FIGS.sub(lambda m: "<div>" + fig, frag, 1) if _ROLL_FIGS.search(frag) else (
        _after_h2(frag, f"<div>{fig}</div>"))  # fmt: skip
    facts = []
    if res.roll_s is not None and res.alert_s is not None:
        facts.append(
            f"roll to prone at {res.roll_s:.1f} s, alert at {res.alert_s:.1f} s "
            f"({res.alert_s - res.roll_s:.1f} s later)"
        )
    return Section(
        frag, "Roll-over detection",
        "pose on a night photo, and a simulated night of keypoints rolling over (animated)",
        facts,
    )  # fmt: skip


MonitorSection = Callable[[Path], tuple[str, list[str]]]
"""The monitor's section (``cribwatch.monitor.report.demo_section``: HTML and key numbers).
The monitor sits beside the demo in one layer, so the CLI hands it in."""


def monitor_section_of(fn: MonitorSection) -> Callable[[Path], Section]:
    """The report section of the monitor's ``fn``."""

    def section(out: Path) -> Section:
        frag, facts = fn(out)
        return Section(
            frag, "Monitor run",
            "the live pipeline over a day-to-night recording with a cry and a roll: alert "
            "lines, frames, alert clips with their sound, and a recording of the page", facts,
        )  # fmt: skip

    return section


SECTIONS: tuple[str, ...] = ("color_section", "night_section", "cry_section", "rollover_section")
"""The report's sections in order (functions of this module: report folder -> Section); the
monitor's section, when handed in, comes last."""


def summary_html(sections: list[Section], total_s: float) -> str:
    """The summary at the top: one row per section (what it shows, key numbers, time)."""
    rows = "".join(
        f"<tr><td><a href='#{html.escape(s.anchor, quote=True)}'>{html.escape(s.title)}</a></td>"
        f"<td>{html.escape(s.what)}</td><td>{'<br>'.join(html.escape(f) for f in s.facts)}</td>"
        f"<td>{s.seconds:.1f} s</td></tr>"
        for s in sections
    )
    return (
        "<h2 id='summary'>Summary</h2><p>Everything below was computed on this machine in "
        f"this run ({total_s:.0f} s in all) from the samples bundled with cribwatch.</p>"
        "<table class='summary'><tr><th>section</th><th>what it shows</th>"
        f"<th>measured in this run</th><th>time</th></tr>{rows}</table>"
    )


def _run_section(name: str, fn: Callable[[Path], Section | str], out: Path) -> Section:
    t0 = time.perf_counter()
    got = fn(out)
    sec = got if isinstance(got, Section) else Section(got)
    sec.seconds = time.perf_counter() - t0
    sec.anchor = sec.anchor or name.removesuffix("_section")
    if not sec.title:
        m = re.search(r"<h2[^>]*>(.*?)</h2>", sec.html)
        sec.title = re.sub(r"<[^>]+>", "", m.group(1)) if m else name
    return sec


def is_report(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder holding an earlier demo report (its ``index.html``)."""
    index = Path(path) / "index.html"
    try:
        with open(index, encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return f"<title>{TITLE}</title>" in head


def build_report(
    out: str | os.PathLike[str], *, force: bool = False, monitor: MonitorSection | None = None
) -> Path:
    """Build the report into the folder ``out``; returns its ``index.html``. ``monitor``: the
    monitor's section (``cribwatch.monitor.report.demo_section``; the CLI hands it in).

    ``out`` is replaced whole (:func:`cribwatch.io.atomic_dir`) when it is an earlier report;
    another existing folder only with ``force``; never ``.``, a parent of it, home or root.
    """
    dest = Path(out)
    with atomic_dir(dest, force=force or is_report(dest)) as tmp:
        (tmp / "img").mkdir()
        t0 = time.perf_counter()
        fns: list[tuple[str, Callable[[Path], Section | str]]] = [
            (name, globals()[name]) for name in SECTIONS
        ]
        if monitor is not None:
            fns.append(("monitor_section", monitor_section_of(monitor)))
        sections = [_run_section(name, fn, tmp) for name, fn in fns]
        body = [summary_html(sections, time.perf_counter() - t0)] + [
            f"<section id='{html.escape(s.anchor, quote=True)}'>{s.html}</section>"
            for s in sections
        ]
        with atomic_open(tmp / "index.html") as fh:
            fh.write(
                f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}</title>"
                f"<meta name='generator' content='{OUTPUT_MARK}'><style>{CSS}</style></head>"
                f"<body><h1>{TITLE}</h1>" + "\n".join(body) + "</body></html>\n"
            )
    return dest / "index.html"
