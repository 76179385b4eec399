"""Evaluation of the cry detector on a cry set (``cribwatch cry eval``).

Counting rules (stated here once, used everywhere):

- ``sensitivity``: share of labelled cries *found*: some detection's onset lies between 1 s
  before the cry's onset and the cry's offset. Reported overall, per cry source (real /
  synth, from cries.tsv) and per event-to-background ratio.
- ``far_per_hour``: false alarms per hour of all audio. Every detection that overlaps no
  labelled cry counts 1; every detection also counts 1 for each full 5 s it runs outside
  labelled cries, so one endless detection cannot cover everything.
- ``far_per_hour_by_noise``: the same false alarms attributed to the most specific noise type
  (the shortest noise_types.tsv row) at the detection's onset, per hour of audio whose most
  specific type is that type (0.1 s grid).
- ``far_per_hour_cryfree`` / ``far_per_hour_narrowband``: false alarms per hour of the files
  with no cry, and of those among them that went through the 8 kHz path (channels.tsv).
- ``event_f1`` / ``event_er``: event-based F1 and error rate, 500 ms onset collar, offsets not
  evaluated (DCASE 2017 Task 2), computed by sed_eval.
- ``latency_p50_s`` / ``latency_p90_s``: from a found cry's onset to the ``emitted`` time of the
  first detection that found it.
- ``sensitivity_ci95`` / ``sensitivity_real_ci95`` / ``far_per_hour_ci95``: 95 % bootstrap
  intervals (2000 resamples, seed 0): cries resampled by baby (real cries of one Donate-a-cry
  app instance together), false alarms by file.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from cribwatch.cry.audio import read_audio
from cribwatch.cry.bootstrap import (
    CryOutcome,
    bootstrap_paired,
    cry_cluster,
    source_uncertainty,
    uncertainty,
)
from cribwatch.cry.dataset import CrySet, file_features, load_set
from cribwatch.cry.features import FrontEndConfig, logmel, to_model_input
from cribwatch.cry.postprocess import (
    HOP_S,
    Event,
    FilterConfig,
    WindowInfo,
    block_powers,
    cry_voiced,
    infos_from,
    pitch_frames,
    run_chain,
)
from cribwatch.cry.stream import (
    AUDIO_INPUTS,
    Scorer,
    audio_windows,
    n_windows,
    score_windows,
    scorer_inputs,
    windows_of,
)
from cribwatch.io import OUTPUT_MARK, atomic_path
from cribwatch.progress import Progress

FA_RUN_S = 5.0
"""Each full this many seconds a detection runs outside cries counts one more false alarm."""
MATCH_BEFORE_S = 1.0
"""A detection onset up to this long before a cry's onset still finds it."""


@dataclass
class FileAnalysis:
    """Model-independent signal facts of one file, plus its features and (later) scores."""

    feat: np.ndarray
    duration: float
    power: np.ndarray  # mean square of every 0.1 s block
    f0: np.ndarray
    harm: np.ndarray
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scores_hop_s: float = HOP_S

    def infos(self, cfg: FilterConfig) -> list[WindowInfo]:
        if abs(cfg.hop_s - self.scores_hop_s) > 1e-9:
            raise ValueError(
                f"scores were computed every {self.scores_hop_s} s, the config's hop is "
                f"{cfg.hop_s} s: score the set again with hop_s={cfg.hop_s}"
            )
        return infos_from(self.scores, self.power, cry_voiced(self.f0, self.harm, cfg), cfg)


def analyse_set(
    s: CrySet, fe: FrontEndConfig = FrontEndConfig(), progress=None
) -> dict[str, FileAnalysis]:  # type: ignore[no-untyped-def]
    """Features, levels and pitch of every file of a set (done once per set)."""

    out = {}
    for i, f in enumerate(s.files):
        x = read_audio(s.audio_path(f))
        feat = to_model_input(logmel(x, fe), fe)
        f0, harm = pitch_frames(x)
        out[f] = FileAnalysis(feat, x.shape[0] / fe.sr, block_powers(x), f0, harm)
        if progress:
            progress(i + 1, len(s.files))
    return out


def score_set(
    an: dict[str, FileAnalysis],
    scorer: Scorer,
    progress: Progress | None = None,
    hop_s: float = HOP_S,
    audio: Callable[[str], np.ndarray] | None = None,
) -> None:
    """Fill in every file's window scores with ``scorer``, one window every ``hop_s``.
    A scorer that takes the windows' audio (``stream.AUDIO_INPUTS``) needs ``audio``: the
    float audio of a file by name."""
    wants_audio = scorer_inputs(scorer) in AUDIO_INPUTS
    if wants_audio and audio is None:
        raise ValueError("score_set: this scorer needs the files' audio (pass audio=)")
    for i, (name, fa) in enumerate(an.items()):
        w = windows_of(fa.feat, hop_s)
        nw = min(w.shape[0], n_windows(int(round(fa.duration * 16000)), hop_s))
        aw = audio_windows(audio(name), nw, hop_s) if wants_audio and audio and nw else None
        fa.scores = score_windows(scorer, np.ascontiguousarray(w[:nw]), aw) if nw else np.zeros(0)
        fa.scores_hop_s = hop_s
        if progress:
            progress(i + 1, len(an))


def set_infos(an: dict[str, FileAnalysis], cfg: FilterConfig) -> dict[str, list[WindowInfo]]:
    """Per-window chain inputs of every file (independent of the threshold)."""
    return {f: fa.infos(cfg) for f, fa in an.items()}


def detect_set(
    an: dict[str, FileAnalysis], cfg: FilterConfig, infos: dict[str, list[WindowInfo]] | None = None
) -> dict[str, list[Event]]:
    """Events of every file; pass ``infos`` from :func:`set_infos` to reuse them."""
    infos = infos if infos is not None else set_infos(an, cfg)
    return {f: run_chain(infos[f], cfg) for f in an}


def _specific_type_grid(
    rows: list[tuple[float, float, str]], duration: float, step: float = 0.1
) -> list[str]:
    """Most specific (shortest) noise type of every ``step`` cell of a file."""
    n = int(np.ceil(duration / step))
    best_len = np.full(n, np.inf)
    tidx = np.full(n, -1)
    names = sorted({t for _, _, t in rows})
    for on, off, t in rows:
        a, b = int(on / step), min(n, int(np.ceil(off / step)))
        if b <= a:
            continue
        seg = best_len[a:b]
        m = (off - on) < seg
        seg[m] = off - on
        tidx[a:b][m] = names.index(t)
    return [names[i] if i >= 0 else "unknown" for i in tidx]


def _outside(ev: Event, spans: list[tuple[float, float]]) -> float:
    inside = sum(max(0.0, min(ev.offset, off) - max(ev.onset, on)) for on, off in spans)
    return max(0.0, (ev.offset - ev.onset) - inside)


def evaluate(
    s: CrySet, dets: dict[str, list[Event]], durations: dict[str, float], with_sed: bool = True
) -> tuple[dict[str, object], list[CryOutcome]]:
    """All metrics of :mod:`cribwatch.cry.eval` for detections ``dets`` on set ``s``."""
    outcomes: list[CryOutcome] = []
    fa_total = 0.0
    fa_by_type: dict[str, float] = {}
    secs_by_type: dict[str, float] = {}
    fa_free = 0.0
    secs_free = 0.0
    fa_nb = 0.0
    secs_nb = 0.0
    hours = sum(durations.values()) / 3600.0
    fa_per_file: list[tuple[float, float]] = []
    fa_by_source: dict[str, float] = {}
    grids: dict[str, list[str]] = s.__dict__.setdefault("_grids", {})
    for f in s.files:
        spans = s.labels.get(f, [])
        evs = dets.get(f, [])
        meta = {(round(float(r["onset"]), 2)): r for r in s.cries.get(f, [])}
        for on, off in spans:
            hit = [e for e in evs if on - MATCH_BEFORE_S <= e.onset <= off]
            r = meta.get(round(on, 2), {})
            first = min(hit, key=lambda e: e.emitted) if hit else None
            src = r.get("source", "unknown")
            outcomes.append(
                CryOutcome(
                    f,
                    on,
                    bool(hit),
                    (first.emitted - on) if first else float("nan"),
                    src,
                    r.get("ebr_db", "na"),
                    cry_cluster(src, r.get("name", ""), f, on),
                )
            )
        rows = s.noise.get(f, [])
        if f not in grids:
            grids[f] = _specific_type_grid(rows, durations[f]) if rows else []
        grid = grids[f]
        if grid:
            vals, counts = np.unique(np.array(grid), return_counts=True)
            for t, c in zip(vals.tolist(), counts.tolist(), strict=True):
                secs_by_type[t] = secs_by_type.get(t, 0.0) + c * 0.1
        n_file = 0.0
        for e in evs:
            overl = any(min(e.offset, off) > max(e.onset, on) for on, off in spans)
            n = (0.0 if overl else 1.0) + np.floor(_outside(e, spans) / FA_RUN_S)
            if n == 0:
                continue
            n_file += n
            if s.sources:
                src = fa_source(s, f, e.onset)
                fa_by_source[src] = fa_by_source.get(src, 0.0) + n
            if grid:
                t = grid[min(len(grid) - 1, max(0, int(e.onset / 0.1)))]
                fa_by_type[t] = fa_by_type.get(t, 0.0) + n
        fa_total += n_file
        fa_per_file.append((n_file, durations[f] / 3600.0))
        if not spans:
            fa_free += n_file
            secs_free += durations[f]
            if s.channels.get(f, {}).get("band") == "8k":
                fa_nb += n_file
                secs_nb += durations[f]

    def sens(sel: list[CryOutcome]) -> float | None:
        return round(float(np.mean([o.found for o in sel])), 4) if sel else None

    lat = np.array([o.latency for o in outcomes if o.found])
    res: dict[str, object] = {
        "sensitivity": sens(outcomes),
        "sensitivity_real": sens([o for o in outcomes if o.source == "real"]),
        "sensitivity_synth": sens([o for o in outcomes if o.source == "synth"]),
        "sensitivity_by_ebr": {
            e: sens([o for o in outcomes if o.ebr == e]) for e in sorted({o.ebr for o in outcomes})
        },
        "far_per_hour": round(fa_total / hours, 3) if hours else None,
        "far_per_hour_cryfree": round(fa_free / (secs_free / 3600), 3) if secs_free else None,
        "far_per_hour_narrowband": round(fa_nb / (secs_nb / 3600), 3) if secs_nb else None,
        "far_per_hour_by_noise": {
            t: round(fa_by_type.get(t, 0.0) / (secs_by_type[t] / 3600), 3)
            for t in sorted(secs_by_type)
            if secs_by_type[t] > 0
        },
        "latency_p50_s": round(float(np.percentile(lat, 50)), 3) if lat.size else None,
        "latency_p90_s": round(float(np.percentile(lat, 90)), 3) if lat.size else None,
        "hours": round(hours, 3),
        "cries": len(outcomes),
        "false_alarms": fa_total,
    }
    if with_sed:
        res.update(sed_metrics(s, dets))
        res.update(uncertainty(outcomes, fa_per_file))
        if s.sources:
            res.update(source_uncertainty(s, fa_by_source, hours))
    return res, outcomes


def fa_source(s: CrySet, file: str, t: float) -> str:
    """The non-cry recording a false alarm at ``t`` falls on: the shortest sources.tsv span
    around ``t`` (an event over a background), else the file itself."""
    around = [(off - on, src) for on, off, src in s.sources.get(file, []) if on <= t < off]
    return min(around)[1] if around else f"file:{file}"


def sed_metrics(s: CrySet, dets: dict[str, list[Event]]) -> dict[str, float]:
    """Event-based F1 and error rate (sed_eval, 500 ms onset collar, offsets ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import dcase_util  # extra: train
        import sed_eval  # extra: train

    m = sed_eval.sound_event.EventBasedMetrics(
        event_label_list=["cry"], t_collar=0.5, evaluate_onset=True, evaluate_offset=False
    )
    for f in s.files:
        ref = [
            {"event_label": "cry", "onset": on, "offset": off, "filename": f}
            for on, off in s.labels.get(f, [])
        ]
        est = [
            {"event_label": "cry", "onset": e.onset, "offset": e.offset, "filename": f}
            for e in dets.get(f, [])
        ]
        m.evaluate(
            reference_event_list=dcase_util.containers.MetaDataContainer(ref),
            estimated_event_list=dcase_util.containers.MetaDataContainer(est),
        )
    r = m.results_overall_metrics()
    f1 = r["f_measure"]["f_measure"]
    er = r["error_rate"]["error_rate"]
    return {
        "event_f1": round(float(f1), 4) if f1 == f1 else 0.0,
        "event_er": round(float(er), 4) if er == er else 0.0,
    }


def sweep(
    s: CrySet,
    an: dict[str, FileAnalysis],
    cfg: FilterConfig,
    thresholds: np.ndarray,
    infos: dict[str, list[WindowInfo]] | None = None,
    extra: tuple[str, ...] = (),
) -> list[dict[str, float]]:
    """Sensitivity and false alarms per hour (all audio and cry-free audio) over thresholds,
    plus the ``extra`` metrics of :func:`evaluate` asked for; pass ``infos`` from
    :func:`set_infos` to reuse them."""
    dur = {f: a.duration for f, a in an.items()}
    infos = infos if infos is not None else set_infos(an, cfg)
    out = []
    for t in thresholds:
        c = replace(cfg, threshold=float(t))
        r, _ = evaluate(s, detect_set(an, c, infos), dur, with_sed=False)
        out.append(
            {
                "threshold": float(t),
                "sensitivity": float(r["sensitivity"] or 0.0),  # type: ignore[arg-type]
                "far_per_hour": float(r["far_per_hour"] or 0.0),  # type: ignore[arg-type]
                "far_per_hour_cryfree": float(r["far_per_hour_cryfree"] or 0.0),  # type: ignore[arg-type]
                **{k: float(r[k] or 0.0) for k in extra},  # type: ignore[arg-type]
            }
        )
    return out


def plot_det(curve: list[dict[str, float]], path: Path, title: str = "cry detector") -> None:
    import matplotlib  # extra: train

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # extra: train

    fig, ax = plt.subplots(figsize=(5, 4))
    far = [max(c["far_per_hour"], 1e-2) for c in curve]
    ax.plot(far, [c["sensitivity"] for c in curve], marker=".")
    ax.set_xscale("log")
    ax.set_xlabel("false alarms per hour")
    ax.set_ylabel("sensitivity")
    ax.axvline(1.0, color="grey", ls="--", lw=0.8)
    ax.axhline(0.95, color="grey", ls="--", lw=0.8)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png", metadata={"Software": OUTPUT_MARK})
    plt.close(fig)


def compare_detectors(
    s: CrySet,
    ans: list[dict[str, FileAnalysis]],
    cfgs: list[FilterConfig],
    thresholds: np.ndarray,
    fars: tuple[float, ...],
) -> dict[str, object]:
    """Two or more detectors on one set, detector i being the scores of ``ans[i]`` (one
    analysis per model, scored) under config ``cfgs[i]``: each detector's sensitivity (all,
    real and synthesized cries) at the best threshold with at most F false alarms per hour, for
    every F of ``fars`` (a comparison at matched false alarms, which a comparison of tuned
    points is not), and, at each detector's own threshold, the paired difference to the first
    (bootstrap 95% interval over the same cries)."""
    curves: list[list[dict[str, float]]] = []
    own: list[list[CryOutcome]] = []
    dur = {f: a.duration for f, a in ans[0].items()}  # the same files for every detector
    for an, cfg in zip(ans, cfgs, strict=True):
        infos = set_infos(an, cfg)
        extra = ("sensitivity_real", "sensitivity_synth")
        curves.append(sweep(s, an, cfg, thresholds, infos, extra=extra))
        own.append(evaluate(s, detect_set(an, cfg, infos), dur, False)[1])
    matched = []
    for far in fars:
        row: dict[str, object] = {"max_far_per_hour": far}
        for i, curve in enumerate(curves):
            ok = [p for p in curve if p["far_per_hour"] <= far]
            best = max(ok, key=lambda p: (p["sensitivity"], -p["threshold"])) if ok else None
            row[f"detector{i}"] = best
        matched.append(row)
    paired = []
    for i in range(1, len(cfgs)):
        item: dict[str, object] = {"detector": i}
        for name, keep in (("all", lambda o: True), ("real", lambda o: o.source == "real")):
            a = np.array([o.found for o in own[0] if keep(o)], float)
            b = np.array([o.found for o in own[i] if keep(o)], float)
            if a.size:
                d, lo, hi = bootstrap_paired(b, a)
                item[name] = {"difference": round(d, 4), "ci95": [round(lo, 4), round(hi, 4)]}
        paired.append(item)
    return {"curves": curves, "matched_far": matched, "paired_vs_detector0": paired}


def compare_configs(
    s: CrySet,
    an: dict[str, FileAnalysis],
    cfgs: list[FilterConfig],
    thresholds: np.ndarray,
    fars: tuple[float, ...],
) -> dict[str, object]:
    """:func:`compare_detectors` of several configs over one model's scores ``an``."""
    return compare_detectors(s, [an] * len(cfgs), cfgs, thresholds, fars)


CACHE_VERSION = 2
"""2: levels as 0.1 s block powers (any window hop), was 0.5 s levels in dB."""


def _cache_path(data: Path, fe: FrontEndConfig) -> Path:
    key = hashlib.sha256(json.dumps([CACHE_VERSION, asdict(fe)]).encode()).hexdigest()[:12]
    return data / ".cache" / f"analysis-{key}.npz"


def load_and_analyse(
    data: Path, fe: FrontEndConfig = FrontEndConfig(), progress=None, cache: bool = True
):  # type: ignore[no-untyped-def]
    """Load a set and its analysis; the analysis is cached in ``DIR/.cache/`` (keyed by the
    front-end config) when the folder is writable."""
    s = load_set(data)
    cp = _cache_path(data, fe)
    if cache and cp.is_file():
        z = np.load(cp)
        an = {}
        for i, f in enumerate(s.files):
            if f"feat{i}" not in z.files:
                break
            an[f] = FileAnalysis(
                z[f"feat{i}"], float(z["dur"][i]), z[f"power{i}"], z[f"f0{i}"], z[f"harm{i}"]
            )
        if len(an) == len(s.files) and list(z["names"]) == s.files:
            return s, an
    an = analyse_set(s, fe, progress)
    if cache:
        try:
            cp.parent.mkdir(exist_ok=True)
            arrays: dict[str, np.ndarray] = {
                "names": np.array(s.files),
                "dur": np.array([a.duration for a in an.values()]),
            }
            for i, a in enumerate(an.values()):
                arrays[f"feat{i}"], arrays[f"power{i}"] = a.feat, a.power
                arrays[f"f0{i}"], arrays[f"harm{i}"] = (
                    a.f0.astype(np.float32),
                    a.harm.astype(np.float32),
                )
            with atomic_path(cp, suffix=".npz") as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **arrays)  # type: ignore[arg-type]
        except OSError:
            pass
    return s, an


__all__ = [
    "analyse_set",
    "score_set",
    "detect_set",
    "evaluate",
    "sweep",
    "plot_det",
    "file_features",
]
