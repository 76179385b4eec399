"""Distillation of YAMNet's knowledge into the board CNN (issue 23, item 6).

``cribwatch cry distill --data SET [--data SET ...] --out W.pt [options]`` (also under
``torchrun --nproc_per_node N -m cribwatch.cli cry distill ...``: data parallel, see
:mod:`cribwatch.cry.train`).

The teacher scores every window of every file of the training sets (labelled or not: the
cry-free recordings and mixtures are the unlabeled pools) on a grid of ``hop_s`` (0.25 s):

- ``verifier``: a verifier head (:class:`cribwatch.cry.pretrained.VerifierHead`; by default
  the default cascade's, ``cry_verifier_onnx.npz``) on YAMNet's 521 class scores or 1024-d
  embedding of the window's patch, whichever the head reads (the embedding from YAMNet's ONNX
  graph, as the cascade runs it);
- ``class20``: YAMNet's own "Baby cry, infant cry" score (zero-shot).

YAMNet's scores (and embeddings) are cached in each set's ``.cache/``
(:func:`cribwatch.cry.verifier_train.set_class_scores`, :func:`~cribwatch.cry.verifier_train.
set_embeddings`). The student is :class:`cribwatch.cry.model.CryNet` (the board CNN, within
50 k parameters and 2 M MACs), trained by :func:`cribwatch.cry.train.train` on the float front
end of :mod:`cribwatch.cry.features` (what ``cry train`` learns from) with the target
``(1 - a) * label + a * teacher`` (``--teacher-weight a``). ``--teacher-weight 0`` is the
labels-only control run of the same recipe.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from cribwatch.cry import eval as ev
from cribwatch.cry.api import load_filter_config, make_scorer
from cribwatch.cry.audio import read_audio
from cribwatch.cry.bootstrap import CryOutcome, ratio_bootstrap
from cribwatch.cry.dataset import CrySet, load_set
from cribwatch.cry.model import MAX_MACS, MAX_PARAMS, CryNetConfig
from cribwatch.cry.pretrained import VerifierHead, from_uint8
from cribwatch.cry.train import (
    TrainConfig,
    dist_barrier,
    set_tag,
    setup_dist,
    train,
)
from cribwatch.cry.verifier_train import set_class_scores, set_embeddings
from cribwatch.cry.yamnet import BABY_CRY, dequantize_embedding
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path, guard_output
from cribwatch.progress import Progress, report

TEACHERS = ("verifier", "class20")
"""Teachers :func:`teacher_scores` knows."""
TEACHER_HOP_S = 0.25
"""Grid of the teacher's window scores (s); a multiple of YAMNet's 10 ms hop."""
VERIFIER = Path(__file__).resolve().parent.parent / "weights" / "cry_verifier_onnx.npz"
"""The default cascade's verifier head (on YAMNet's ONNX embedding; trained on fit sources
only: no val or test source). The first distillation run used ``cry_verifier.npz`` (on the
521 class scores), named with ``--verifier``."""


def teacher_scores(
    root: Path,
    teacher: str = "verifier",
    verifier: Path | None = None,
    hop_s: float = TEACHER_HOP_S,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """The teacher's score (0-1, float32) of every ``hop_s`` window of every file of the cry
    set ``root``: ``{file: (n_windows,)}``."""
    if teacher not in TEACHERS:
        raise CribwatchError(f"--teacher must be one of {', '.join(TEACHERS)}, not {teacher!r}")
    s = load_set(root)
    head = None if teacher == "class20" else VerifierHead.load(verifier or VERIFIER)
    if head is not None and head.needs_embedding:
        scores, embs, _ = set_embeddings(s, hop_s=hop_s, progress=progress, tag="distill-all")
        return {
            f: head(from_uint8(sc), dequantize_embedding(embs[f])).astype(np.float32)
            if len(sc)
            else np.zeros(0, np.float32)
            for f, sc in scores.items()
        }
    scores, _ = set_class_scores(s, hop_s=hop_s, progress=progress, tag="distill-all")
    if head is None:
        return {f: from_uint8(sc[:, BABY_CRY]).astype(np.float32) for f, sc in scores.items()}
    return {
        f: head(from_uint8(sc)).astype(np.float32) if len(sc) else np.zeros(0, np.float32)
        for f, sc in scores.items()
    }


def pooled_teacher(
    roots: list[Path],
    teacher: str = "verifier",
    verifier: Path | None = None,
    hop_s: float = TEACHER_HOP_S,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """:func:`teacher_scores` of several sets, file names tagged as
    :func:`cribwatch.cry.train.pooled_features` tags them."""
    out: dict[str, np.ndarray] = {}
    for k, r in enumerate(roots):
        tag = set_tag(k, len(roots))
        for f, sc in teacher_scores(r, teacher, verifier, hop_s, progress).items():
            out[tag + f] = sc
    return out


def distill(
    data: list[Path],
    out: Path,
    cfg: TrainConfig,
    teacher: str = "verifier",
    verifier: Path | None = None,
    arch: CryNetConfig = CryNetConfig(),
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, object]:
    """Train the board CNN on ``data`` against the teacher's scores (and the labels); write
    the checkpoint to ``out`` (a ``cry train`` checkpoint: every cry verb loads it); return
    its meta. Under torchrun rank 0 scores (and caches) the teacher first, the other ranks
    read its cache."""
    roots = [Path(d) for d in data]
    if not roots:
        raise CribwatchError("--data: at least one cry set is needed")
    guard_output(out, option="--out", inputs={"--data": roots[0]}, force=force)
    rank, world = setup_dist()
    soft = None
    if cfg.teacher_weight > 0:
        if rank == 0:
            soft = pooled_teacher(roots, teacher, verifier, TEACHER_HOP_S, progress)
        dist_barrier(world)
        if rank > 0:
            soft = pooled_teacher(roots, teacher, verifier, TEACHER_HOP_S)
    extra: dict[str, object] = {
        "distill": {
            "teacher": teacher if cfg.teacher_weight > 0 else None,
            "verifier": str(verifier or VERIFIER) if teacher == "verifier" else None,
            "teacher_weight": cfg.teacher_weight,
            "teacher_hop_s": TEACHER_HOP_S,
            "front_end": "cribwatch.cry.features (float log-mel, uint8 model input)",
        }
    }
    meta = train(
        roots,
        out,
        cfg,
        arch,
        progress=progress,
        soft=soft,
        soft_hop_s=TEACHER_HOP_S,
        extra_meta=extra,
    )
    params, macs = meta.get("params"), meta.get("macs")
    if (
        isinstance(params, int)
        and isinstance(macs, int)
        and (params > MAX_PARAMS or macs > MAX_MACS)
    ):
        raise CribwatchError(
            f"student has {params} parameters and {macs} MACs: over the board budget "
            f"({MAX_PARAMS}, {MAX_MACS})"
        )
    return meta


# ----------------------------------------------------------------------------- held-out report

REPORT_GRID = (
    0.9,
    0.95,
    0.97,
    0.98,
    0.985,
    0.99,
    0.991,
    0.993,
    0.995,
    0.997,
    0.998,
    0.999,
    0.9995,
    0.9999,
)
"""Thresholds of the report (the learning curve's grid, docs/results/cry.md)."""


def valid_threshold(curve: list[dict[str, float]], max_far: float = 1.0) -> float:
    """The rule's threshold: the highest sensitivity at <= ``max_far`` FA/h (ties: the higher
    threshold); where no point reaches it, the lowest FA/h (ties: the higher sensitivity)."""
    ok = [c for c in curve if c["far_per_hour"] <= max_far]
    if ok:
        return max(ok, key=lambda c: (c["sensitivity"], c["threshold"]))["threshold"]
    return min(curve, key=lambda c: (c["far_per_hour"], -c["sensitivity"]))["threshold"]


def _scored(s: CrySet, an: dict[str, ev.FileAnalysis], model: Path, hop_s: float):  # type: ignore[no-untyped-def]
    """A copy of the analysis with ``model``'s window scores, cached in the set's ``.cache/``
    (keyed by the model file's bytes and the hop)."""
    digest = hashlib.sha256(Path(model).read_bytes()).hexdigest()[:12]
    cp = s.root / ".cache" / f"scores-{digest}-{hop_s:g}.npz"
    out = {f: replace(fa) for f, fa in an.items()}
    if cp.is_file():
        z = np.load(cp)
        if list(z["names"]) == list(out):
            for i, fa in enumerate(out.values()):
                fa.scores, fa.scores_hop_s = z[f"s{i}"], hop_s
            return out
    ev.score_set(out, make_scorer(model), hop_s=hop_s, audio=lambda f: read_audio(s.audio_path(f)))
    try:
        arrays: dict[str, np.ndarray] = {"names": np.array(list(out))}
        arrays.update({f"s{i}": fa.scores for i, fa in enumerate(out.values())})
        cp.parent.mkdir(exist_ok=True)
        with atomic_path(cp, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
    except OSError:
        pass
    return out


def paired_by_baby(
    a: list[CryOutcome], b: list[CryOutcome], real: bool = True
) -> dict[str, object]:
    """Sensitivity of ``a`` minus ``b`` over the same cries (real ones with ``real``) and its
    95% interval resampling babies (the clusters of :func:`cribwatch.cry.bootstrap.uncertainty`)."""
    key = {(o.file, round(o.onset, 2)): o for o in b}
    diff: dict[str, float] = {}
    count: dict[str, float] = {}
    for o in a:
        if real and o.source != "real":
            continue
        other = key[(o.file, round(o.onset, 2))]
        diff[o.cluster] = diff.get(o.cluster, 0.0) + float(o.found) - float(other.found)
        count[o.cluster] = count.get(o.cluster, 0.0) + 1.0
    names = sorted(diff)
    d = np.array([diff[n] for n in names])
    c = np.array([count[n] for n in names])
    lo, hi = ratio_bootstrap(d, c)
    return {"difference": round(float(d.sum() / c.sum()), 4), "ci95": [round(lo, 4), round(hi, 4)]}


def student_report(
    val: Path,
    held_out: dict[str, Path],
    models: dict[str, Path],
    config: Path,
    fixed: dict[str, float] | None = None,
    grid: tuple[float, ...] = REPORT_GRID,
    pick_on: str = "test",
    progress: Progress | None = None,
) -> dict[str, object]:
    """The distillation rule's numbers (docs/results/cry.md): each model's threshold on ``val``
    (:func:`valid_threshold`, the chain of ``config``), every held-out set at that threshold
    and at the grid point with <= 1 FA/h on ``held_out[pick_on]`` (a diagnostic of ranking),
    with intervals resampling babies, and paired differences on ``pick_on``'s real cries
    against each other model. ``fixed``: extra named thresholds of a model (the shipped
    CNN's own)."""
    base = load_filter_config(config, next(iter(models.values())))
    grid_a = np.asarray(grid)
    out: dict[str, object] = {"config": str(config), "grid": list(grid)}
    s, an = ev.load_and_analyse(val)
    chosen: dict[str, float] = {}
    for name, m in models.items():
        sc = _scored(s, an, m, base.hop_s)
        curve = ev.sweep(s, sc, base, grid_a, extra=("sensitivity_real",))
        chosen[name] = valid_threshold(curve)
        out[f"val:{name}"] = {"threshold": chosen[name], "curve": curve}
        report(progress, 1, 1)
    picked: dict[str, float] = {}
    outcomes: dict[str, list[CryOutcome]] = {}
    order = [pick_on, *[k for k in held_out if k != pick_on]]
    for set_name in order:
        s, an = ev.load_and_analyse(held_out[set_name])
        dur = {f: a.duration for f, a in an.items()}
        for name, m in models.items():
            sc = _scored(s, an, m, base.hop_s)
            if set_name == pick_on:
                curve = ev.sweep(s, sc, base, grid_a, extra=("sensitivity_real",))
                picked[name] = valid_threshold(curve)
                out[f"{set_name}:{name}:curve"] = curve
            points = {"val": chosen[name], "heldout_pick": picked[name]}
            points.update({k: v for k, v in (fixed or {}).items() if k.startswith(name + ":")})
            for label, thr in points.items():
                res, oc = ev.evaluate(s, ev.detect_set(sc, replace(base, threshold=thr)), dur)
                res["threshold"] = thr
                out[f"{set_name}:{name}:{label}"] = res
                if set_name == pick_on and label == "heldout_pick":
                    outcomes[name] = oc
            report(progress, 1, 1)
    names = list(models)
    out["paired"] = {
        f"{x}-{y}": paired_by_baby(outcomes[x], outcomes[y])
        for i, x in enumerate(names)
        for y in names[i + 1 :]
    }
    return out
