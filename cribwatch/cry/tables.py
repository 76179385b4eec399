"""The measured tables of docs/results/cry.md: ``cribwatch cry tables``.

- main results of one detector config on the test set and on the out-of-range set;
- filter ablation: false alarms per hour by noise type and sensitivity with no filters, each
  filter added in turn, and all filters (same threshold);
- quantization: FP32, 8-bit PTQ/QAT, 4-bit PTQ/QAT, each at the lowest threshold that gives at
  most ``max_far`` false alarms per hour on the test set's cry-free audio, with a paired
  bootstrap interval of the sensitivity difference 4-bit QAT - 8-bit on the same cries.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.cry import eval as ev
from cribwatch.cry import search
from cribwatch.cry.api import make_scorer
from cribwatch.cry.bootstrap import bootstrap_paired
from cribwatch.cry.postprocess import FILTERS, FilterConfig


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


MAIN_KEYS = [
    "sensitivity",
    "sensitivity_real",
    "sensitivity_synth",
    "far_per_hour",
    "far_per_hour_cryfree",
    "far_per_hour_narrowband",
    "event_f1",
    "event_er",
    "latency_p50_s",
    "latency_p90_s",
    "hours",
    "cries",
]


def interval_table(results: dict[str, dict[str, object]]) -> str:
    """The 95 % bootstrap intervals of ``cry eval`` (see cribwatch.cry.eval)."""

    def ci(v: object) -> str:
        return f" [{v[0]:.3f}, {v[1]:.3f}]" if isinstance(v, list) and len(v) == 2 else ""

    keys = [
        ("sensitivity", "sensitivity_ci95"),
        ("sensitivity_real", "sensitivity_real_ci95"),
        ("far_per_hour", "far_per_hour_ci95"),
        ("far_per_hour", "far_per_hour_ci95_by_source"),
    ]
    rows = [
        [name] + [_fmt(r.get(k)) + ci(r.get(c)) for k, c in keys] for name, r in results.items()
    ]
    head = ["set", "sensitivity (babies resampled)", "sensitivity_real (babies resampled)"]
    head += ["far_per_hour (files resampled)", "far_per_hour (recordings resampled)"]
    return md_table(head, rows)


def main_table(results: dict[str, dict[str, object]]) -> str:
    rows = [[name] + [r.get(k) for k in MAIN_KEYS] for name, r in results.items()]
    return md_table(["set"] + MAIN_KEYS, rows)


def _ebr_order(e: str) -> tuple[bool, float, str]:
    """Numeric EBRs in order, then labels such as 'na' (cries listed without an EBR)."""
    try:
        return (False, float(e), e)
    except ValueError:
        return (True, 0.0, e)


def ebr_table(results: dict[str, dict[str, object]]) -> str:
    ebrs = sorted({e for r in results.values() for e in r["sensitivity_by_ebr"]}, key=_ebr_order)  # type: ignore[attr-defined]
    rows = [[name] + [r["sensitivity_by_ebr"].get(e) for e in ebrs] for name, r in results.items()]  # type: ignore[attr-defined]
    return md_table(["set"] + [f"sens. @ {e} dB" for e in ebrs], rows)


def ablation(s, an, cfg: FilterConfig) -> tuple[str, list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    """FAR by noise type and sensitivity: no filters, each filter added in turn, all."""
    dur = {f: a.duration for f, a in an.items()}
    steps: list[tuple[str, tuple[str, ...]]] = [("none", ())]
    acc: tuple[str, ...] = ()
    for name in FILTERS:
        acc = acc + (name,)
        steps.append(("+ " + name, acc))
    for name in FILTERS:
        steps.append((f"only {name}", (name,)))
    infos = ev.set_infos(an, cfg)
    res = []
    for label, names in steps:
        c = replace(cfg, enabled=names)
        r, _ = ev.evaluate(s, ev.detect_set(an, c, infos), dur, with_sed=False)
        res.append({"filters": label, **r})
    types = sorted({t for r in res for t in r["far_per_hour_by_noise"]})  # type: ignore[attr-defined]
    rows = [
        [r["filters"], r["sensitivity"], r["far_per_hour"]]
        + [r["far_per_hour_by_noise"].get(t) for t in types]  # type: ignore[attr-defined]
        for r in res
    ]
    return md_table(
        ["filters", "sensitivity", "far_per_hour"] + [f"FA/h {t}" for t in types], rows
    ), res


DEFAULT_GRID = tuple(
    float(t)
    for t in np.round(
        np.concatenate([np.linspace(0.05, 0.95, 19), np.linspace(0.955, 0.999, 12)]), 4
    )
)
"""Thresholds swept for the quantization table and the DET curve."""


def quant_rows(  # type: ignore[no-untyped-def]
    s,
    an,
    models: dict[str, tuple[object, int]],
    cfg: FilterConfig,
    max_far: float,
    grid: tuple[float, ...] = DEFAULT_GRID,
):
    """Each model at its threshold for <= max_far FA/h on cry-free audio; returns rows and
    the per-cry outcomes for paired comparisons."""
    dur = {f: a.duration for f, a in an.items()}
    thresholds = np.asarray(sorted(grid), dtype=float)
    rows, outcomes = [], {}
    for name, (scorer, size) in models.items():
        ev.score_set(an, scorer, hop_s=cfg.hop_s)  # type: ignore[arg-type]
        curve = ev.sweep(s, an, cfg, thresholds)
        thr = search.pick_threshold(curve, max_far, key="far_per_hour_cryfree")
        c = replace(cfg, threshold=thr)
        r, out = ev.evaluate(s, ev.detect_set(an, c), dur)
        outcomes[name] = np.array([o.found for o in out], float)
        rows.append(
            {
                "model": name,
                "threshold": thr,
                "sensitivity": r["sensitivity"],
                "far_per_hour": r["far_per_hour"],
                "far_per_hour_cryfree": r["far_per_hour_cryfree"],
                "event_f1": r["event_f1"],
                "bytes": size,
                "curve": curve,
            }
        )
    return rows, outcomes


def quant_table(rows: list[dict[str, object]], outcomes: dict[str, np.ndarray]) -> str:
    ref_names = [n for n in ("8-bit QAT", "8-bit PTQ") if n in outcomes]
    body = []
    for r in rows:
        cells: list[object] = [
            r["model"],
            r["threshold"],
            r["sensitivity"],
            r["far_per_hour"],
            r["far_per_hour_cryfree"],
            r["event_f1"],
            r["bytes"],
        ]
        for ref in ref_names:
            if r["model"] == "4-bit QAT":
                m, lo, hi = bootstrap_paired(outcomes["4-bit QAT"], outcomes[ref])
                cells.append(f"{100 * m:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}]")
            else:
                cells.append("")
        body.append(cells)
    head = [
        "model",
        "threshold",
        "sensitivity",
        "far_per_hour",
        "FA/h cry-free",
        "event_f1",
        "file bytes",
    ]
    head += [f"4-bit QAT - {n} (points, 95% CI)" for n in ref_names]
    return md_table(head, body)


def build_tables(
    test: Path,
    ood: Path | None,
    weights: Path,
    int_models: dict[str, Path],
    cfg: FilterConfig,
    max_far: float = 1.0,
    progress=None,
    grid: tuple[float, ...] = DEFAULT_GRID,
) -> tuple[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """All cry tables as markdown, and the raw numbers. ``grid``: the thresholds of the
    quantization sweep; the FP32 sweep is also the DET curve."""
    raw: dict[str, object] = {}
    s, an = ev.load_and_analyse(test, progress=progress)
    fp32 = make_scorer(weights)
    ev.score_set(an, fp32, hop_s=cfg.hop_s)
    dur = {f: a.duration for f, a in an.items()}
    main: dict[str, dict[str, object]] = {}
    r, _ = ev.evaluate(s, ev.detect_set(an, cfg), dur)
    main[f"test ({test.name})"] = r
    abl_md, abl = ablation(s, an, cfg)
    raw["ablation"] = abl
    if ood is not None:
        so, ano = ev.load_and_analyse(ood, progress=progress)
        ev.score_set(ano, fp32, hop_s=cfg.hop_s)
        ro, _ = ev.evaluate(so, ev.detect_set(ano, cfg), {f: a.duration for f, a in ano.items()})
        main[f"out-of-range ({ood.name})"] = ro
    raw["main"] = main
    models: dict[str, tuple[object, int]] = {"FP32": (fp32, weights.stat().st_size)}
    for name, p in int_models.items():
        if p.exists():
            onnx_p = p.with_suffix(".onnx")
            models[name] = (make_scorer(onnx_p if onnx_p.exists() else p), p.stat().st_size)
    qrows, outcomes = quant_rows(s, an, models, cfg, max_far, grid)
    raw["det_curve"] = qrows[0]["curve"]
    raw["quant"] = [{k: v for k, v in q.items() if k != "curve"} for q in qrows]
    md = "\n\n".join(
        [
            f"Detector config: threshold {cfg.threshold}, filters {', '.join(cfg.enabled)}.",
            main_table(main),
            "95% bootstrap intervals:",
            interval_table(main),
            ebr_table(main),
            "Filter ablation (test set, same threshold; false alarms per hour by noise type):",
            abl_md,
            f"Quantization (each at the lowest threshold of {len(grid)} swept with at most "
            f"{max_far:g} FA/h on the test set's cry-free audio; file bytes: .pt for FP32, "
            "the integer .cwq otherwise):",
            quant_table(qrows, outcomes),
        ]
    )
    return md, raw
