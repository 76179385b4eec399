"""Set-level helpers and training of the YAMNet verifier (:mod:`cribwatch.cry.pretrained`).

- :func:`set_class_scores`: YAMNet's 521 scores of every detector window of a cry set, cached
  in ``DIR/.cache/`` (uint8, exact for the int8 graph);
- :func:`window_targets` / :func:`window_noise`: window labels and noise types;
- :func:`training_windows` and :func:`train_verifier`: the head's training data (hard negatives
  weighted) and its training (torch, extra ``train``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.cry.audio import read_audio
from cribwatch.cry.dataset import CrySet
from cribwatch.cry.postprocess import HOP_S
from cribwatch.cry.pretrained import SCORE_STEP, VerifierHead, from_uint8, kind_features
from cribwatch.cry.stream import n_windows
from cribwatch.cry.yamnet import (
    BABY_CRY,
    DEFAULT_MODEL,
    EMBED_DIM,
    N_CLASSES,
    Yamnet,
    dequantize_embedding,
    window_patches,
)
from cribwatch.errors import CribwatchError
from cribwatch.io import atomic_path
from cribwatch.progress import Progress

# ----------------------------------------------------------------------------- set helpers


def _class_cache(root: Path, hop_s: float, model: Path, tag: str) -> Path:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:12]
    key = hashlib.sha256(json.dumps([2, hop_s, digest, tag]).encode()).hexdigest()[:12]
    return root / ".cache" / f"yamnet-{key}.npz"


Selection = Callable[[str, int], "np.ndarray | None"]
"""``select(file, n_windows)``: a boolean mask of the windows to score (None: all)."""


def set_class_scores(
    s: CrySet,
    hop_s: float = HOP_S,
    model: Path | None = None,
    progress: Progress | None = None,
    cache: bool = True,
    select: Selection | None = None,
    tag: str = "all",
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """YAMNet's 521 scores of the detector windows of every file of a set:
    ``({file: (n_windows, 521) uint8}, {file: (n_windows,) bool scored})``; the scores hold
    ``score * 256`` (exact for the int8 graph; 255 stands for 255/256 and above), rows not
    scored (``select``) are 0. Cached in ``DIR/.cache/`` keyed by hop, model and ``tag`` (name
    the selection)."""
    model = Path(model) if model is not None else DEFAULT_MODEL
    cp = _class_cache(s.root, hop_s, model, tag)
    hit = _load_cache(cp, s.files, "sm") if cache else None
    if hit is not None:
        return hit[0], hit[1]
    out, _, done = _score_windows(s, hop_s, Yamnet(model), select, progress)
    if cache:
        _save_cache(cp, s.files, {"s": out, "m": done}, compressed=False)
    return out, done


def set_embeddings(
    s: CrySet,
    hop_s: float = HOP_S,
    model: Path | None = None,
    progress: Progress | None = None,
    cache: bool = True,
    select: Selection | None = None,
    tag: str = "all",
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """YAMNet's scores and 1024-d embedding of the selected detector windows of every file:
    ``({file: (n, 521) uint8 score * 256}, {file: (n, 1024) embedding in units of EMBED_SCALE:
    uint8 codes of the TFLite graph, float32 from the ONNX graph}, {file: (n,) bool scored})``
    (:meth:`cribwatch.cry.yamnet.Yamnet.embed`; rows not scored are 0).
    Cached in ``DIR/.cache/`` keyed by hop, model and ``tag``."""
    model = Path(model) if model is not None else DEFAULT_MODEL
    cp = _class_cache(s.root, hop_s, model, "emb:" + tag)
    hit = _load_cache(cp, s.files, "sem") if cache else None
    if hit is not None:
        return hit[0], hit[1], hit[2]
    out, embs, done = _score_windows(s, hop_s, Yamnet(model, embedding=True), select, progress)
    if cache:
        _save_cache(cp, s.files, {"s": out, "e": embs, "m": done}, compressed=True)
    return out, embs, done


def _score_windows(
    s: CrySet,
    hop_s: float,
    net: Yamnet,
    select: Selection | None,
    progress: Progress | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """YAMNet over the selected detector windows of every file: uint8 scores * 256, the
    embedding in units of EMBED_SCALE (uint8 codes of the TFLite graph, float32 from the ONNX
    graph; empty (n, 0) arrays unless ``net`` reads the embedding) and the masks."""
    hop = int(round(hop_s * 16000))
    dim = EMBED_DIM if net.has_embedding else 0
    out: dict[str, np.ndarray] = {}
    embs: dict[str, np.ndarray] = {}
    done: dict[str, np.ndarray] = {}
    for i, f in enumerate(s.files):
        x = read_audio(s.audio_path(f))
        n = n_windows(x.shape[0], hop_s)
        mask = np.ones(n, bool) if select is None else select(f, n)
        mask = np.ones(n, bool) if mask is None else np.asarray(mask, bool)[:n]
        sc = np.zeros((n, N_CLASSES), np.uint8)
        em = np.zeros((n, dim), np.float32 if net.backend == "onnx" else np.uint8)
        idx = np.flatnonzero(mask)
        if idx.size:
            patches = window_patches(x, hop, n)[idx]
            if dim:
                raw, em[idx] = net.embed(patches)
            else:
                raw = net(patches)
            sc[idx] = np.clip(np.rint(raw * SCORE_STEP), 0, 255).astype(np.uint8)
        out[f], embs[f], done[f] = sc, em, mask
        if progress:
            progress(i + 1, len(s.files))
    return out, embs, done


def _load_cache(cp: Path, files: list[str], keys: str) -> list[dict[str, np.ndarray]] | None:
    """The per-file arrays ``{key}{i}`` of a window cache, one dict per key, or None when the
    cache is absent or was written for other files."""
    if not cp.is_file():
        return None
    z = np.load(cp)
    if list(z["names"]) != files:
        return None
    return [{f: z[f"{k}{i}"] for i, f in enumerate(files)} for k in keys]


def _save_cache(
    cp: Path, files: list[str], parts: dict[str, dict[str, np.ndarray]], compressed: bool
) -> None:
    """Write a window cache atomically; a cache that cannot be written is skipped."""
    try:
        cp.parent.mkdir(exist_ok=True)
        arrays: dict[str, Any] = {"names": np.array(files)}
        for k, per_file in parts.items():
            arrays.update({f"{k}{i}": per_file[f] for i, f in enumerate(files)})
        with atomic_path(cp, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            (np.savez_compressed if compressed else np.savez)(fh, **arrays)
    except OSError:
        pass


def training_selection(s: CrySet, f: str, n: int) -> np.ndarray:
    """The windows a verifier trains on: every second window of a file with cries, every
    fifth of a cry-free file (hard negatives are weighted, :func:`training_windows`)."""
    m = np.zeros(n, bool)
    m[:: 2 if s.labels.get(f) else 5] = True
    return m


def window_targets(s: CrySet, f: str, n: int, hop_s: float = HOP_S) -> np.ndarray:
    """Window labels of file ``f``: 1 where a window holds at least 0.5 s of labelled cry,
    0 where it holds none, -1 (ignored) in between."""
    t0 = np.arange(n) * hop_s
    cry = np.zeros(n)
    for a, b in s.labels.get(f, []):
        cry += np.clip(np.minimum(t0 + 1.0, b) - np.maximum(t0, a), 0.0, None)
    return np.where(cry >= 0.5, 1, np.where(cry <= 0.0, 0, -1)).astype(np.int8)


def window_noise(s: CrySet, f: str, n: int, hop_s: float = HOP_S) -> list[str]:
    """The most specific noise type at each window's centre ('' where none is listed)."""
    rows = s.noise.get(f, [])
    out = []
    for k in range(n):
        t = k * hop_s + 0.5
        best = ("", float("inf"))
        for a, b, name in rows:
            if a <= t < b and b - a < best[1]:
                best = (name, b - a)
        out.append(best[0])
    return out


# ----------------------------------------------------------------------------- training


HARD_TYPES = ("baby_noncry", "speech", "music", "tv", "animal")
"""Noise types (substrings of noise_types.tsv names) whose cry-free windows count as hard
negatives: baby non-cry sounds, laughs, babble, speech, music, animals."""


def training_windows(
    sets: list[tuple[CrySet, dict[str, np.ndarray], dict[str, np.ndarray]]],
    hop_s: float = HOP_S,
    hard_weight: float = 3.0,
    zero_shot_hard: float = 0.1,
    embeddings: list[dict[str, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (N, 521) uint8 scores, y (N,), sample weight (N,)) of every labelled window of the
    sets (windows not scored are left out); with ``embeddings`` (one ``{file: (n, 1024) uint8
    codes}`` per set) X is (N, 521 + 1024): scores, then embedding codes. Negatives of a hard
    type (:data:`HARD_TYPES`) or whose zero-shot class-20 score reaches ``zero_shot_hard``
    weigh ``hard_weight``; classes are balanced by weight."""
    xs, ys, ws = [], [], []
    for k, (s, scores, scored) in enumerate(sets):
        for f in s.files:
            sc = scores[f]
            if embeddings is not None:
                sc = np.concatenate([sc, embeddings[k][f]], axis=1)
            y = window_targets(s, f, sc.shape[0], hop_s)
            y = np.where(scored[f], y, -1)
            names = window_noise(s, f, sc.shape[0], hop_s)
            hard = np.array([any(h in nm.lower() for h in HARD_TYPES) for nm in names], bool)
            hard |= from_uint8(sc[:, BABY_CRY]) >= zero_shot_hard
            keep = y >= 0
            xs.append(sc[keep])
            ys.append(y[keep])
            ws.append(np.where(hard[keep] & (y[keep] == 0), hard_weight, 1.0))
    x = np.concatenate(xs)
    y = np.concatenate(ys).astype(np.float64)
    w = np.concatenate(ws)
    return x, y, balance(y, w)


def balance(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sample weights rescaled so that both classes weigh the same in total."""
    pos, neg = w[y == 1].sum(), w[y == 0].sum()
    if pos == 0 or neg == 0:
        raise CribwatchError("verifier training needs windows with and without cries")
    return np.asarray(np.where(y == 1, w / pos, w / neg) * len(y) / 2.0, dtype=np.float64)


def row_features(kind: str, x: np.ndarray) -> np.ndarray:
    """The head's raw input of ``kind`` from training rows X (uint8 scores[, embedding])."""
    scores = from_uint8(x[:, :N_CLASSES])
    emb = dequantize_embedding(x[:, N_CLASSES:]) if x.shape[1] > N_CLASSES else None
    return kind_features(kind, scores, emb)


def train_verifier(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    hidden: int = 32,
    steps: int = 3000,
    lr: float = 3e-3,
    weight_decay: float = 1e-3,
    seed: int = 0,
    batch: int = 1024,
    progress: Progress | None = None,
    kind: str = "scores",
    dropout: float = 0.1,
) -> VerifierHead:
    """Train the head (AdamW, weighted cross-entropy) on training rows X (uint8 class scores,
    then, for a head on the embedding, the uint8 embedding codes)."""
    # extra: train
    import torch  # extra: train

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    feats = row_features(kind, x)
    d = feats.shape[1]
    mean = feats.mean(0)
    std = feats.std(0) + 1e-3
    z = torch.from_numpy(((feats - mean) / std).astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    wt = torch.from_numpy(w.astype(np.float32))
    lin1 = torch.nn.Linear(d, hidden)
    lin2 = torch.nn.Linear(hidden, 1)
    net = torch.nn.Sequential(torch.nn.Dropout(dropout), lin1, torch.nn.ReLU(), lin2)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    n = len(y)
    for step in range(steps):
        idx = torch.from_numpy(rng.integers(0, n, size=min(batch, n)))
        logit = net(z[idx]).squeeze(1)
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(logit, yt[idx], reduction="none")
            * wt[idx]
        ).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if progress and (step + 1) % 100 == 0:
            progress(step + 1, steps)
    net.eval()
    return VerifierHead(
        mean=mean,
        std=std,
        w1=lin1.weight.detach().numpy().astype(np.float64).T.copy(),
        b1=lin1.bias.detach().numpy().astype(np.float64),
        w2=lin2.weight.detach().numpy().astype(np.float64).reshape(-1),
        b2=float(lin2.bias.detach().numpy()[0]),
        kind=kind,
    )
