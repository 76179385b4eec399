"""AUC of the gate (and of the SSIM map) as a detector of the generator's changed pixels, per pixel at
model resolution, pooled over the first N pairs: python i26net_auc.py DATA N W1 W2 ..."""
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cribwatch.color.eval import load_inputs
from cribwatch.color.lab import np_to_t
from cribwatch.color.model import make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import load_net

torch.set_num_threads(1)
data, n = Path(sys.argv[1]), int(sys.argv[2])
pairs = [p for p in load_pair_set(data) if p.target is not None][:n]


def auc(score, label):
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos = label.sum()
    neg = len(label) - pos
    return (ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg)


for w in sys.argv[3:]:
    net = load_net(Path(w))
    gs, ms, ls = [], [], []
    with torch.no_grad():
        for p in pairs:
            night, ref = load_inputs(p)
            n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
            nl, rl, sm = make_inputs(n_t, r_t, net.model.cfg.size, net.ssim_cfg)
            _, g = net.model.forward_parts(nl, rl, sm)
            s = net.model.cfg.size
            m = np.asarray(Image.open(p.mask).convert("L").resize((s, s), Image.Resampling.BILINEAR)) > 127
            gs.append(g[0, 0].numpy().ravel()); ms.append(sm[0, 0].numpy().ravel()); ls.append(m.ravel())
    g, sm, lab = np.concatenate(gs), np.concatenate(ms), np.concatenate(ls)
    print(w, f"changed share {lab.mean():.3f}", f"AUC(1-gate) {auc(-g, lab):.3f}", f"AUC(1-map) {auc(-sm, lab):.3f}")
