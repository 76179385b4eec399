"""A small learned posture classifier on the same geometric features as the rules.

Input: a fixed-length vector per frame (:func:`feature_matrix`): the rule features (roll
estimate, signed shoulder and hip widths with presence flags, side direction, face counts)
plus the scores of the face and torso keypoints. Model: a two-layer MLP (ReLU) with four
outputs (supine, side_left, side_right, prone), trained with cross-entropy on synthetic
training sequences (``cribwatch rollover train-posture``). Inference runs in numpy (a few
hundred multiply-adds per frame), so it ports like the rules do.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cribwatch.errors import CribwatchError
from cribwatch.rollover.posture import FACE, PostureConfig, features

CLASSES: tuple[str, ...] = ("supine", "side_left", "side_right", "prone")
"""Output classes of the learned classifier."""
WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "rollover_posture.pt"
"""Shipped weights (with a ``.json`` card beside them)."""


@dataclass(frozen=True)
class TrainConfig:
    """Training settings of the learned classifier."""

    hidden: int = 32
    """Hidden units per layer."""
    epochs: int = 12
    """Passes over the training frames."""
    batch: int = 512
    """Frames per step."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """L2 penalty."""
    seed: int = 0
    """Initialisation and shuffling seed."""


def feature_matrix(kp: np.ndarray, config: PostureConfig | None = None) -> np.ndarray:
    """(N, 17, 3) keypoints -> (N, F) float32 classifier input (F = 18)."""
    cfg = config or PostureConfig()
    k = np.asarray(kp, dtype=np.float64)
    if k.ndim == 2:
        k = k[None]
    f = features(k, cfg)
    cs = f.sw / cfg.shoulder_ratio
    ch = f.hw / cfg.hip_ratio
    rel = k[:, :, 2] >= cfg.score_thr
    front = rel[:, [0, 1, 2]].sum(axis=1)
    cols = [
        np.nan_to_num(np.clip(f.c, -2, 2)),
        f.valid.astype(float),
        np.nan_to_num(np.clip(cs, -2, 2)),
        (~np.isnan(cs)).astype(float),
        np.nan_to_num(np.clip(ch, -2, 2)),
        (~np.isnan(ch)).astype(float),
        np.clip(f.d, -2, 2),
        front / 3.0,
        f.n_face / 5.0,
    ]
    scores = k[:, list(FACE) + [5, 6, 11, 12], 2]
    x = np.concatenate([np.stack(cols, axis=1), scores], axis=1)
    return x.astype(np.float32)


@dataclass
class LearnedPosture:
    """MLP weights (numpy) and input normalisation."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    w3: np.ndarray
    b3: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(N, F) features -> (N, 4) logits."""
        h = (x - self.mean) / self.std
        h = np.maximum(h @ self.w1 + self.b1, 0.0)
        h = np.maximum(h @ self.w2 + self.b2, 0.0)
        return np.asarray(h @ self.w3 + self.b3)

    def predict(self, kp: np.ndarray, config: PostureConfig | None = None) -> np.ndarray:
        """(N, 17, 3) keypoints -> (N, 4) class probabilities (``CLASSES`` order)."""
        z = self.logits(feature_matrix(kp, config))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def save(self, path: str | os.PathLike[str], card: dict[str, Any]) -> None:
        """Write ``path`` (a torch state file of plain tensors) and its ``.json`` card."""
        import torch

        from cribwatch.io import atomic_path, write_json

        state = {
            k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in asdict(self).items()
        }
        with atomic_path(path) as tmp:
            torch.save(state, tmp)
        write_json(Path(path).with_suffix(".json"), card)


def load(path: str | os.PathLike[str] | None = None) -> LearnedPosture:
    """Load classifier weights (default: the shipped ones)."""
    p = Path(path) if path is not None else WEIGHTS
    if not p.is_file():
        raise CribwatchError(f"{p}: posture classifier weights not found")
    import pickle
    import struct

    import torch

    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
        return LearnedPosture(**{k: v.numpy() for k, v in state.items()})
    except (
        OSError, RuntimeError, ValueError, TypeError, KeyError, EOFError, struct.error,
        pickle.UnpicklingError,
    ) as exc:  # fmt: skip
        raise CribwatchError(f"{p}: not valid classifier weights ({exc})") from exc


def to_state_probs(p4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """4-class probabilities -> ((N, 3) supine/side/prone, side direction d)."""
    p3 = np.stack([p4[:, 0], p4[:, 1] + p4[:, 2], p4[:, 3]], axis=1)
    return p3, p4[:, 1] - p4[:, 2]


def train(
    x: np.ndarray, y: np.ndarray, cfg: TrainConfig | None = None
) -> tuple[LearnedPosture, dict[str, Any]]:
    """Fit the MLP to features ``x`` (N, F) and labels ``y`` (N,) in ``CLASSES`` indices."""
    import torch

    cfg = cfg or TrainConfig()
    if len(x) == 0:
        raise CribwatchError("no training frames with ground truth")
    import time

    t_start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-6
    xt = torch.from_numpy((x - mean) / std).float()
    yt = torch.from_numpy(y).long()
    f = x.shape[1]
    net = torch.nn.Sequential(
        torch.nn.Linear(f, cfg.hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(cfg.hidden, cfg.hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(cfg.hidden, len(CLASSES)),
    )
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    g = torch.Generator().manual_seed(cfg.seed)
    losses = []
    for _ in range(cfg.epochs):
        perm = torch.randperm(len(xt), generator=g)
        tot = 0.0
        for i in range(0, len(xt), cfg.batch):
            idx = perm[i : i + cfg.batch]
            loss = torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss) * len(idx)
        losses.append(tot / len(xt))
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    model = LearnedPosture(
        w1=lin[0].weight.detach().numpy().T.copy(),
        b1=lin[0].bias.detach().numpy().copy(),
        w2=lin[1].weight.detach().numpy().T.copy(),
        b2=lin[1].bias.detach().numpy().copy(),
        w3=lin[2].weight.detach().numpy().T.copy(),
        b3=lin[2].bias.detach().numpy().copy(),
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
    )
    acc = float((model.logits(x).argmax(axis=1) == y).mean())
    minutes = (time.perf_counter() - t_start) / 60.0
    return model, {
        "loss": losses,
        "train_accuracy": acc,
        "config": asdict(cfg),
        "frames": int(len(x)),
        "minutes": round(minutes, 2),
    }


def training_frames(
    dirs: list[str | os.PathLike[str]], config: PostureConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of every frame with ground-truth posture in the given set folders."""
    from cribwatch.rollover.pose import read_sequence

    xs, ys = [], []
    for d in dirs:
        files = sorted(Path(d).glob("*.jsonl"))
        if not files:
            raise CribwatchError(f"{d}: no *.jsonl keypoint sequences")
        for f in files:
            seq = read_sequence(f)
            keep = [i for i, p in enumerate(seq.posture) if p in CLASSES]
            if not keep:
                continue
            xs.append(feature_matrix(seq.kp[keep], config))
            ys.append(np.array([CLASSES.index(str(seq.posture[i])) for i in keep]))
    if not xs:
        raise CribwatchError("no frames with ground-truth posture")
    return np.concatenate(xs), np.concatenate(ys)


def make_set_command(d: str, man: dict[str, Any]) -> str:
    """The ``cribwatch rollover make-set`` command that rebuilds a set from its manifest."""
    from cribwatch.rollover.synth import HELDOUT_RANGES, NoiseModel, SceneRanges, SynthConfig

    cfg = man.get("config", {})
    cmd = "cribwatch rollover make-set"
    cmd += f" --out {d} --hours {man.get('hours'):g} --seed {man.get('seed')}"
    if cfg.get("quiet"):
        cmd += " --quiet"
    scene = cfg.get("scene", {})

    def same(a: dict[str, Any], b: Any) -> bool:
        return json.loads(json.dumps(a)) == json.loads(json.dumps(asdict(b)))

    if same(scene, HELDOUT_RANGES):
        cmd += " --ranges heldout"
    elif not same(scene, SceneRanges()):
        cmd += " (camera ranges other than train/heldout: see the manifest)"
    dropout = cfg.get("noise", {}).get("dropout")
    if dropout is not None and dropout != NoiseModel().dropout:
        cmd += f" --dropout {dropout:g}"
    rest = {k: v for k, v in cfg.items() if k not in ("quiet", "scene", "noise", "seq_s")}
    default = {
        k: v
        for k, v in json.loads(json.dumps(asdict(SynthConfig()))).items()
        if k not in ("quiet", "scene", "noise", "seq_s")
    }
    noise = {k: v for k, v in cfg.get("noise", {}).items() if k != "dropout"}
    dnoise = {
        k: v for k, v in json.loads(json.dumps(asdict(NoiseModel()))).items() if k != "dropout"
    }
    if rest != default or noise != dnoise:
        cmd += " (generator settings differ from this version's defaults: see the manifest)"
    return cmd


def card(info: dict[str, Any], data: list[str]) -> dict[str, Any]:
    """The weights card (JSON-ready), with the command that rebuilds each training set."""
    sets = []
    for d in data:
        m = Path(d) / "manifest.json"
        if m.is_file():
            man = json.loads(m.read_text())
            cfg = man.get("config", {})
            sets.append(
                {
                    "dir": d,
                    "make_set": make_set_command(d, man),
                    "seed": man.get("seed"),
                    "hours": man.get("hours"),
                    "quiet": cfg.get("quiet"),
                    "distance_m": cfg.get("scene", {}).get("distance_m"),
                    "tilt_deg": cfg.get("scene", {}).get("tilt_deg"),
                }
            )
    return {
        "training_sets": sets,
        "command": "cribwatch rollover train-posture " + " ".join(f"--data {d}" for d in data),
        "frames": info.get("frames"),
        "minutes": info.get("minutes"),
        "model": "rollover posture MLP",
        "classes": list(CLASSES),
        "inputs": "cribwatch.rollover.learned.feature_matrix (18 features)",
        "training_data": data,
        "train_accuracy": info["train_accuracy"],
        "final_loss": info["loss"][-1],
        "config": info["config"],
        "licence": "Apache-2.0 (trained on synthetic data generated by cribwatch)",
    }


def dumps_card(c: dict[str, Any]) -> str:
    """Card as a JSON string."""
    return json.dumps(c, indent=2)
