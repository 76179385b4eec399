"""The cry detector on the board: the C runtime checked against its Python twin, and benched.

The board layer (:mod:`cribwatch.board`) builds and runs the C program and counts instructions;
it knows no capability. This module is the cry side of ``cribwatch board check`` and
``cribwatch board bench``: it exports the cry blob (:mod:`cribwatch.cry.board_export`), dumps the
Python golden vectors (:mod:`cribwatch.cry.golden`) and runs the Python stream detector.

The agreement rule (docs/BOARD.md): the front end is fixed point in both languages
(:mod:`cribwatch.cry.fixedfront`, blob version 4), so its log-mel and its 0-255 model input are
checked **bit-exact** (the defaults of :class:`CheckConfig` allow no difference); the integer
model is checked **bit-exact** from the same int8 input (Python's golden ``q0``), every layer
(``q1`` ... ``qN``), the logit and the score, and again end to end from the C front end's own
input. Finally, the same audio must give the same per-window chain inputs (score, level, voiced
share) and the same alerts and events from the Python twin (the streaming detector of
``cribwatch cry detect -`` scoring with :class:`cribwatch.cry.fixedfront.FixedScorer`: the
numpy integer reference on the fixed-point front end) and ``cw_cry``: each alert (fired the
moment a bout is confirmed, with its onset estimate) and each end at the same stream sample,
with the same onset, emitted, offset and score as doubles, on the audio and on a generated
continuous cry (:func:`continuous_cry`), where the alert must come before the end.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.board.bench import BenchConfig, bench_blob
from cribwatch.board.build import build_program, build_root
from cribwatch.board.check import Trace, c_golden, c_trace, compare_decisions, compare_windows
from cribwatch.cry import eval as ev
from cribwatch.cry.api import Alert, End, load_filter_config
from cribwatch.cry.audio import SR, read_audio, write_wav
from cribwatch.cry.board_export import export_c, shipped_int_model
from cribwatch.cry.bootstrap import bootstrap_paired
from cribwatch.cry.fixedfront import FixedScorer, fixed_input
from cribwatch.cry.golden import dump_cry_golden
from cribwatch.cry.intref import IntModel, IntScorer
from cribwatch.cry.postprocess import (
    WINDOW_S,
    Chain,
    Event,
    FilterConfig,
    WindowInfo,
    cry_voiced,
    low_threshold,
    pitch_frames,
)
from cribwatch.cry.stream import OnnxScorer, StreamDetector, wav_blocks
from cribwatch.deploy.golden import Tolerance, compare
from cribwatch.errors import CribwatchError
from cribwatch.progress import Progress

DEMO_AUDIO = Path(__file__).resolve().parents[1] / "demo" / "samples" / "cry" / "demo.flac"
"""The bundled cry sample (the default audio of ``board check``)."""

MAX_WINDOWS = 10_000
"""Most golden windows a check dumps (each is a folder of tensors)."""


@dataclass(frozen=True)
class CheckConfig:
    """Tolerances and inputs of the board check."""

    windows: int = 8
    """Golden 1 s windows (hop 0.5 s) taken from the audio."""
    logmel_max_abs: float = 0.0
    """Largest absolute log-mel error (the fixed-point front end: none; the float front end of
    blob versions 1-3 allowed 1e-4)."""
    logmel_mean_abs: float = 0.0
    """Largest mean absolute log-mel error (was 1e-5)."""
    input_max_step: int = 0
    """Largest difference of a 0-255 model input value (was 1, a float rounding boundary)."""
    input_max_share: float = 0.0
    """Largest share of model input values that may differ at all (was 0.1 %)."""
    float_max_abs: float = 1e-6
    """Largest error of logit and score (computed from the same int8 logit: exact in practice)."""
    voiced_frames: int = 0
    """Pitch frames per window whose cry-voiced flag may differ: none, the integer pitch check
    is bit-exact (blob version 5; the float check of versions 1-4, float32 FFT in Python and
    double in C, allowed 1)."""
    continuous_cry_s: float = 30.0
    """Seconds of the generated continuous cry (:func:`continuous_cry`) also streamed through
    both sides; 0: skip it."""

    def __post_init__(self) -> None:
        if isinstance(self.windows, bool) or not 1 <= int(self.windows) <= MAX_WINDOWS:
            raise CribwatchError(
                f"--windows: must be an integer from 1 to {MAX_WINDOWS}, not {self.windows!r}"
            )
        if not 0.0 <= float(self.continuous_cry_s) <= 600.0:
            raise CribwatchError(
                f"continuous_cry_s: must be from 0 to 600 seconds, not {self.continuous_cry_s!r}"
            )


CRY_SPAN_S = (8.0, 14.5)
"""The crying of the demo sample (s): the unit :func:`continuous_cry` repeats."""
LEAD_S = 2.0
"""Seconds of the demo's quiet start before the generated continuous cry."""


def continuous_cry(seconds: float = 30.0) -> np.ndarray:
    """A continuous cry of ``seconds`` generated from the demo sample: its first
    :data:`LEAD_S` seconds (no cry), then its crying (:data:`CRY_SPAN_S`) repeated back to back
    and cut to ``seconds`` (16 kHz float32). Deterministic."""
    x = read_audio(DEMO_AUDIO)
    cry = x[int(CRY_SPAN_S[0] * SR) : int(CRY_SPAN_S[1] * SR)]
    n = int(round(seconds * SR))
    reps = -(-n // cry.shape[0]) if n > 0 else 0
    body = np.tile(cry, reps)[:n]
    return np.concatenate([x[: int(LEAD_S * SR)], body]).astype(np.float32)


def python_trace(wav: Path, cwq: Path, cfg: FilterConfig) -> Trace:
    """The Python twin of ``cw_cry --trace``: the streaming detector of ``cribwatch cry detect -``
    with the integer reference on the fixed-point front end (:class:`FixedScorer`) over ``wav``,
    with its ``on_alert`` and ``on_event`` hooks recorded as
    ``cribwatch cry detect - --json`` prints them and unrounded (see
    :class:`cribwatch.board.check.Trace`)."""
    out = Trace()

    class Recording(Chain):
        def push(self, w: WindowInfo) -> list[Event]:
            on = self.cfg.enabled
            # where the share can change a decision (Chain.positive reads it only past the
            # score and loudness tests; the rhythm filter reads every window's frames): the
            # windows whose share the C runtime's lazy pitch analysis must compute
            needs = "rhythm" in on or (
                "pitch" in on
                and w.score >= low_threshold(self.cfg)
                and ("loudness" not in on or w.level_db >= self.cfg.gate_dbfs)
            )
            out.windows.append(
                {
                    "score": w.score,
                    "level_db": w.level_db,
                    "voiced_share": w.voiced_share,
                    "needs_share": needs,
                }
            )
            return super().push(w)

    # the board's cry-voiced check is the integer one (blob version 5), whatever the config says
    cfg = replace(cfg, pitch_arith="integer")
    det = StreamDetector(FixedScorer(IntModel.load(cwq)), cfg)
    det.chain = Recording(det.cfg)
    win = int(WINDOW_S * SR)
    flushing = False

    def at() -> int:
        # hooks run right after the chain took a window (its k is already the next one), or
        # at the end of the stream
        return det.total if flushing else (det.chain.k - 1) * det.hop_samples + win

    def on_alert(onset: float, emitted: float) -> None:
        out.messages.append(Alert(onset, emitted).to_dict())
        out.decisions.append({"trace": "alert", "at": at(), "onset": onset, "emitted": emitted})

    def on_event(ev: Event) -> None:
        out.messages.append(End(ev).to_dict())
        out.decisions.append(
            {
                "trace": "end",
                "at": at(),
                "onset": ev.onset,
                "offset": ev.offset,
                "score": ev.score,
                "emitted": ev.emitted,
            }
        )

    det.on_alert, det.on_event = on_alert, on_event
    for b in wav_blocks(wav):
        det.push(b)
    flushing = True
    det.flush()
    return out


def _check_model(cwq: Path) -> Path:
    cwq = Path(cwq)
    if not cwq.is_file():
        what = "not a file" if cwq.exists() else "integer model not found"
        raise CribwatchError(f"{cwq}: {what}")
    return cwq


def model_and_config(
    int_model: Path | None = None, config: Path | None = None
) -> tuple[Path, FilterConfig]:
    """The integer model (default the shipped one), loaded and checked first, so an error
    about a bad model names the model and not the card beside it; then the detector config
    ``config`` (else the one ``cry detect`` would load for that model)."""
    cwq = _check_model(shipped_int_model(int_model))
    IntModel.load(cwq)
    return cwq, load_filter_config(config, cwq)


def check(
    target: str,
    cwq: Path,
    audio: Path = DEMO_AUDIO,
    filters: FilterConfig | None = None,
    cfg: CheckConfig = CheckConfig(),
) -> dict[str, object]:
    """Build ``target``, run the golden windows and the audio through it, compare.

    ``audio``: any file ``cry detect`` reads (resampled to 16 kHz mono as it does, then taken
    as 16-bit PCM, which is what both sides run). ``filters``: the detector config (default:
    the integer model's, as ``cry detect`` loads it)."""
    cwq = _check_model(cwq)
    x = read_audio(audio)
    fcfg = filters if filters is not None else model_and_config(cwq)[1]
    exe = build_program(target)
    with tempfile.TemporaryDirectory(prefix="cw-board-check-") as td:
        t = Path(td)
        wav = t / "audio.wav"
        write_wav(wav, x)  # 16-bit PCM at 16 kHz: the exact samples both sides read
        blob = Path(str(export_c(cwq, t / "model", fcfg)["out"]))
        man = dump_cry_golden(cwq, wav, t / "golden", cfg.windows)
        samples = [str(sid) for sid in man["samples"]]  # type: ignore[attr-defined]
        n = len(samples)
        c_golden(target, exe, blob, t / "golden", t / "c", n, own=False)
        c_golden(target, exe, blob, t / "golden", t / "c_own", n, own=True)
        tol = Tolerance(
            max_abs=max(cfg.logmel_max_abs, cfg.float_max_abs),
            mean_abs=cfg.logmel_mean_abs,
            int_max_abs=0.0,
        )
        res = compare(t / "golden", t / "c", tol)
        rows = res["tensors"]
        assert isinstance(rows, list)
        for r in rows:
            r["rule"] = "bit-exact" if str(r["name"]).startswith("q") else "tolerance"
            if r["name"] == "input":
                share = 0.0
                for sid in samples:
                    g = np.load(t / "golden" / sid / "input.npy")
                    a = np.fromfile(t / "c" / sid / "input.bin", dtype="<f4").reshape(g.shape)
                    share = max(share, float(np.mean(g != a)))
                r["differing_share"] = share
                r["pass"] = bool(
                    r["max_abs"] <= cfg.input_max_step and share <= cfg.input_max_share
                )
                r["rule"] = f"<= {cfg.input_max_step} step on <= {cfg.input_max_share:.1%}"
            elif r["name"] == "logmel":
                r["pass"] = bool(
                    r["max_abs"] <= cfg.logmel_max_abs and r["mean_abs"] <= cfg.logmel_mean_abs
                )
            elif r["name"] in ("logit", "score"):
                r["pass"] = bool(r["max_abs"] <= cfg.float_max_abs)
        first = next((r["name"] for r in rows if not r["pass"]), None)
        own = compare(t / "golden", t / "c_own", Tolerance(max_abs=0.0, mean_abs=0.0))
        py, c = python_trace(wav, cwq, fcfg), c_trace(target, exe, blob, wav)
        wins = compare_windows(py.windows, c.windows, cfg.voiced_frames)
        events = compare_decisions(py, c)
        cont: dict[str, object] | None = None
        if cfg.continuous_cry_s > 0:
            cwav = t / "continuous_cry.wav"
            write_wav(cwav, continuous_cry(cfg.continuous_cry_s))
            py2, c2 = python_trace(cwav, cwq, fcfg), c_trace(target, exe, blob, cwav)
            cont = _continuous_result(py2, c2, cfg)
    ok = first is None and bool(wins["equal"]) and bool(events["equal"])
    ok = ok and bool(events["alert_before_end"]) and (cont is None or bool(cont["pass"]))
    return {
        "target": target,
        "pass": ok,
        "first_divergent": first,
        "tensors": rows,
        "end_to_end_bit_exact": bool(own["pass"]),
        "windows": wins,
        "events": events,
        "continuous_cry": cont,
        "model": str(cwq),
        "audio": str(audio),
        "golden_windows": n,
    }


def _continuous_result(py: Trace, c: Trace, cfg: CheckConfig) -> dict[str, object]:
    """The generated continuous cry: both sides equal (windows and decisions), at least one
    bout, and the first alert strictly before the first end, while the cry still goes on."""
    wins = compare_windows(py.windows, c.windows, cfg.voiced_frames)
    dec = compare_decisions(py, c)
    d = c.decisions
    alert = next((x for x in d if x["trace"] == "alert"), None)
    end = next((x for x in d if x["trace"] == "end"), None)
    cry_end = int(round((LEAD_S + cfg.continuous_cry_s) * SR))
    early = (
        alert is not None
        and end is not None
        and int(alert["at"]) < int(end["at"])
        and int(alert["at"]) < cry_end
    )
    return {
        "pass": bool(wins["equal"])
        and bool(dec["equal"])
        and bool(dec["alert_before_end"])
        and early,
        "seconds": cfg.continuous_cry_s,
        "windows_equal": wins["equal"],
        "decisions_equal": dec["equal"],
        "alert_before_end": bool(dec["alert_before_end"]) and early,
        "alert_at_s": None if alert is None else int(alert["at"]) / SR,
        "end_at_s": None if end is None else int(end["at"]) / SR,
        "python": dec["python"],
        "c": dec["c"],
    }


def default_blob(
    target_dir: Path | None = None,
    int_model: Path | None = None,
    config: Path | None = None,
    detector: FilterConfig | None = None,
) -> Path:
    """Export the integer model (default the shipped one) with ``detector``, else the
    detector config of ``config``, else the one ``cry detect`` would load, into
    ``target_dir`` (default the build folder's ``model/``) and return the blob path."""
    cwq = _check_model(shipped_int_model(int_model))
    if detector is None:
        cwq, detector = model_and_config(cwq, config)
    out = target_dir or (build_root() / "model")
    # a build folder: replaced whole each time (never the current folder, home or root)
    export_c(cwq, out, detector, force=True)
    return out / "cry_model.cwb"


def bench(
    int_model: Path | None = None,
    mipsel: bool = True,
    host: bool = True,
    cfg: BenchConfig = BenchConfig(),
    progress: Progress | None = None,
    config: Path | None = None,
) -> dict[str, object]:
    """Instructions per second of audio, memory and code size of the cry detector in C.

    ``config``: a detector config JSON for the blob (its hop sets the model's windows a
    second); default: the integer model's, as ``cribwatch cry detect`` loads it. The blob is
    exported into a folder of this run's own, so benches with other configs can run beside."""
    cwq, detector = model_and_config(int_model, config)
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        blob = default_blob(Path(tmp) / "model", cwq, detector=detector)
        return bench_blob(blob, detector.hop_s, mipsel, host, cfg, progress)


def _paired_detection(
    s: Any, dur: dict[str, float], runs: tuple[tuple[str, Any, FilterConfig], ...]
) -> dict[str, Any]:
    """Two detector runs over the same scored sets, ``(name, analysed set, config)``, the
    first the baseline: each run's sensitivity, false alarms and event F1, the hits of each,
    and the second's paired hit-rate difference from the first with its 95% interval."""
    out: dict[str, Any] = {}
    found = {}
    for name, a_set, c in runs:
        r, outcomes = ev.evaluate(s, ev.detect_set(a_set, c), dur)
        found[name] = np.array([o.found for o in outcomes], float)
        out[name] = {
            k: r[k]
            for k in ("sensitivity", "far_per_hour", "far_per_hour_cryfree", "event_f1")
            if k in r
        }
    (base, _, _), (new, _, _) = runs
    m, lo, hi = bootstrap_paired(found[new], found[base])
    out["cries"] = int(found[base].size)
    out[f"hits_{base}"] = int(found[base].sum())
    out[f"hits_{new}"] = int(found[new].sum())
    out["paired_hit_rate_diff"] = {"mean": m, "ci95": [lo, hi]}
    return out


def front_end_comparison(
    data: Path,
    int_model: Path | None = None,
    progress: Progress | None = None,
    scorer_model: Path | None = None,
) -> dict[str, object]:
    """Detection of the integer model on a cry set (``data``: a folder of
    :func:`cribwatch.cry.sets.load_set`) with the float front end (blob versions 1-3) and with
    the board's fixed-point one (version 4), paired: the same files, the same detector config
    (the one ``cribwatch cry detect`` loads for the model: threshold and filters unchanged), the
    same pitch analysis and levels; only the model input differs. Returns both metric sets,
    the share of equal input values, and the paired difference of the per-cry hit rate with
    its 95 % bootstrap interval (:func:`cribwatch.cry.bootstrap.bootstrap_paired`).

    ``scorer_model``: score with this ONNX model (e.g. the integer model's QDQ twin
    ``cry_int8.onnx``, what its threshold was tuned with; the numpy integer reference takes
    about 20 ms a window) instead of the ``.cwq`` reference; both front ends get the same one."""
    cwq, cfg = model_and_config(int_model)
    s, an = ev.load_and_analyse(Path(data))
    dur = {f: a.duration for f, a in an.items()}
    an_fixed = {}
    equal, total = 0, 0
    for i, f in enumerate(s.files):
        x = read_audio(s.audio_path(f))
        feat = fixed_input(x)
        a = copy.copy(an[f])
        n = min(feat.shape[0], a.feat.shape[0])
        equal += int(np.sum(feat[:n] == a.feat[:n]))
        total += int(feat[:n].size)
        a.feat = feat
        an_fixed[f] = a
        if progress is not None:
            progress(i + 1, 2 * len(s.files))
    scorer = IntScorer.load(cwq) if scorer_model is None else OnnxScorer(Path(scorer_model))
    out: dict[str, object] = {
        "model": str(cwq),
        "scorer": str(scorer_model or cwq),
        "threshold": cfg.threshold,
        "data": str(data),
    }
    for a_set in (an, an_fixed):
        ev.score_set(a_set, scorer, hop_s=cfg.hop_s)
    out.update(_paired_detection(s, dur, (("float", an, cfg), ("fixed", an_fixed, cfg))))
    out["input_equal_share"] = equal / total if total else 1.0
    out["hours"] = sum(dur.values()) / 3600.0
    return out


def voicing_comparison(
    data: Path,
    int_model: Path | None = None,
    progress: Progress | None = None,
    scorer_model: Path | None = None,
    harmonicity_min: float | None = None,
) -> dict[str, object]:
    """Detection of the board detector on a cry set with the float cry-voiced check
    (``pitch_arith`` ``float``, blob versions 1-4) and with the integer one (``integer``,
    blob version 5), paired: the same files, the same model scores (the integer model on the
    fixed-point front end, ``scorer_model`` as in :func:`front_end_comparison`), the same
    detector config (the one ``cribwatch cry detect`` loads for the model) and levels; only the
    cry-voiced flags differ. Returns both metric sets, the agreement of the flags and of the
    windows' pitch decisions, and the paired difference of the per-cry hit rate with its 95 %
    bootstrap interval. ``harmonicity_min``: the integer check's threshold, if not the
    config's (a recalibration; the float check keeps the config's)."""
    cwq, cfg = model_and_config(int_model)
    cfg_int = replace(cfg, pitch_arith="integer")
    if harmonicity_min is not None:
        cfg_int = replace(cfg_int, harmonicity_min=float(harmonicity_min))
    s, an = ev.load_and_analyse(Path(data))
    dur = {f: a.duration for f, a in an.items()}
    an_int = {}
    same, frames, v_float, v_int = 0, 0, 0, 0
    for i, f in enumerate(s.files):
        x = read_audio(s.audio_path(f))
        a = an[f]
        a.feat = fixed_input(x)
        b = copy.copy(a)
        b.f0, b.harm = pitch_frames(x, cfg_int)
        va, vb = cry_voiced(a.f0, a.harm, cfg), cry_voiced(b.f0, b.harm, cfg_int)
        n = min(va.size, vb.size)
        same += int(np.sum(va[:n] == vb[:n]))
        frames += n
        v_float += int(va.sum())
        v_int += int(vb.sum())
        an_int[f] = b
        if progress is not None:
            progress(i + 1, len(s.files) + 1)
    scorer = IntScorer.load(cwq) if scorer_model is None else OnnxScorer(Path(scorer_model))
    ev.score_set(an, scorer, hop_s=cfg.hop_s)
    for f in s.files:
        an_int[f].scores, an_int[f].scores_hop_s = an[f].scores, an[f].scores_hop_s
    out: dict[str, object] = {
        "model": str(cwq),
        "scorer": str(scorer_model or cwq),
        "threshold": cfg.threshold,
        "data": str(data),
        "harmonicity_min": {"float": cfg.harmonicity_min, "integer": cfg_int.harmonicity_min},
    }
    out.update(_paired_detection(s, dur, (("float", an, cfg), ("integer", an_int, cfg_int))))
    out["frames"] = frames
    out["frames_voiced"] = {"float": v_float, "integer": v_int}
    out["frame_flags_equal_share"] = same / frames if frames else 1.0
    out["hours"] = sum(dur.values()) / 3600.0
    if progress is not None:
        progress(len(s.files) + 1, len(s.files) + 1)
    return out
