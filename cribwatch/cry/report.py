"""The cry section of ``cribwatch demo``: waveform and score plot over the bundled sample,
with the labelled cry and the detections marked."""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

import numpy as np

from cribwatch.cry.api import DEFAULT_DETECTOR, load_filter_config, make_scorer
from cribwatch.cry.audio import SR, read_audio
from cribwatch.cry.pretrained import CascadeScorer
from cribwatch.cry.stream import StreamDetector
from cribwatch.errors import CribwatchError
from cribwatch.io import OUTPUT_MARK, atomic_path


def sample_path() -> Path:
    """The bundled demo recording (see its LICENSE.txt)."""
    return Path(str(resources.files("cribwatch.demo") / "samples" / "cry" / "demo.flac"))


def _labels(path: Path) -> list[tuple[float, float]]:
    f = path.with_name("labels.tsv")
    if not f.is_file():
        return []
    rows = [ln.split("\t") for ln in f.read_text().splitlines()[1:] if ln.strip()]
    return [(float(r[1]), float(r[2])) for r in rows]


def demo_section(out_dir: Path) -> str:
    """Write ``cry_demo.png`` under ``out_dir``; return the HTML fragment of the section."""
    import matplotlib  # extra: train

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # extra: train

    wav = sample_path()
    if not wav.is_file() or not DEFAULT_DETECTOR.is_file():
        raise CribwatchError("cry demo: bundled sample or shipped weights missing")
    x = read_audio(wav)
    scorer = make_scorer(DEFAULT_DETECTOR)  # the default detector (the two-stage cascade)
    cfg = load_filter_config(None, DEFAULT_DETECTOR)
    first_scores: list[float] = []
    gate = 0.0
    if isinstance(scorer, CascadeScorer):
        gate = scorer.gate
        board = scorer.first

        def first_spy(x: np.ndarray) -> np.ndarray:
            out = np.asarray(board(x), dtype=np.float64)
            first_scores.extend(out.tolist())
            return out

        scorer.first = first_spy
    det = StreamDetector(scorer, cfg)
    scores: list[float] = []
    orig = det.chain.push

    def spy(w):  # type: ignore[no-untyped-def]
        scores.append(w.score)
        return orig(w)

    det.chain.push = spy  # type: ignore[method-assign]
    events = []
    for s in range(0, x.shape[0], 8000):
        events += det.push(x[s : s + 8000])
    events += det.flush()
    labels = _labels(wav)
    t = np.arange(x.shape[0]) / SR
    tw = np.arange(len(scores)) * 0.5 + 0.5  # window centre
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(10, 4.5), sharex=True)
    a1.plot(t, x, lw=0.4, color="#444")
    for on, off in labels:
        a1.axvspan(on, off, color="tab:green", alpha=0.2, label="labelled cry")
    for e in events:
        a1.axvspan(
            e.onset, e.offset, ymin=0.85, ymax=1.0, color="tab:red", alpha=0.7, label="detection"
        )
        a1.axvline(e.emitted, color="tab:red", ls=":", lw=1)
    h, lab = a1.get_legend_handles_labels()
    a1.legend(
        dict(zip(lab, h, strict=False)).values(),
        dict(zip(lab, h, strict=False)).keys(),
        loc="lower left",
        fontsize=8,
    )
    a1.set_ylabel("waveform")
    if first_scores:
        a2.plot(
            tw[: len(first_scores)],
            first_scores,
            color="tab:orange",
            lw=0.8,
            label=f"board CNN (first stage; wakes the verifier at {gate:g})",
        )
    a2.plot(
        tw,
        scores,
        marker=".",
        color="tab:blue",
        label="detector score (1 s window, at its centre)"
        if not first_scores
        else "verifier on YAMNet's embedding (0 where not woken)",
    )
    a2.axhline(cfg.threshold, color="grey", ls="--", lw=0.8, label=f"threshold {cfg.threshold:g}")
    a2.set_ylim(-0.02, 1.02)
    a2.set_ylabel("score")
    a2.set_xlabel("time (s)")
    a2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "cry_demo.png") as tmp:
        fig.savefig(tmp, dpi=90, format="png", metadata={"Software": OUTPUT_MARK})
    plt.close(fig)
    rows = "".join(
        f"<tr><td>{e.onset:.2f}</td><td>{e.offset:.2f}</td><td>{e.score:.2f}</td>"
        f"<td>{e.emitted:.2f}</td></tr>"
        for e in events
    )
    lab = ", ".join(f"{on:.2f}-{off:.2f} s" for on, off in labels) or "none"
    return (
        "<h2>Infant cry detection</h2>"
        f"<p>Bundled sample <code>{html.escape(wav.name)}</code> (20 s: fan noise, synthetic "
        "babbling at 2-5 s, a real held-out Donate-a-cry recording). Labelled cry: "
        f"{html.escape(lab)}. Streaming detector"
        + (
            " (two stages: the board CNN on every window, YAMNet and a verifier head where it "
            "flags one; an alert needs both)"
            if first_scores
            else ""
        )
        + f" (1 s windows every {cfg.hop_s:g} s, filters: "
        f"{html.escape(', '.join(cfg.enabled))}); red bars are detections, dotted lines the "
        "moment each became known.</p>"
        '<img src="cry_demo.png" alt="cry detection on the bundled sample" style="max-width:100%">'
        "<table><tr><th>onset (s)</th><th>offset (s)</th><th>score</th><th>known at (s)</th></tr>"
        f"{rows}</table>"
    )
