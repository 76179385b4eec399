"""Issue 26 (colour net bar): post-hoc head edits of a gated network, scored on a pair set.

Usage: python i26net_posthoc.py WEIGHTS DATA OUT.json [limit] [grid]

Edits (exact weight edits of the ab+gate head; the network's inputs and outputs unchanged):
gate logit temperature k and bias b (gate = sigmoid(k*y + b) * limit) and ab head gain s
(own ab = tanh(s*y)); scored through the full-resolution pipeline (guided upsampling, gate
mixing with the reference's full-resolution ab) exactly as `Colorizer` does. The network's
pre-activation head output is computed once per pair (a copy of ColorNet.forward_parts that
stops before tanh/sigmoid); the edits are linear in it. Per config: means over pairs of
de00_changed, de00_static, de00 and dcf (as `color eval` computes them).
"""

import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from skimage.color import deltaE_ciede2000, rgb2lab

from cribwatch.color.eval import changed_region, load_inputs
from cribwatch.color.lab import compose, np_to_t, t_to_np
from cribwatch.color.metrics import colorfulness
from cribwatch.color.model import _to_size, attend, make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import PipelineConfig, _parts_hr, load_net
from cribwatch.io import read_rgb

torch.set_num_threads(1)
weights, data, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
limit = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "all" else None
grid = sys.argv[5] if len(sys.argv) > 5 else "wide"
net = load_net(weights)
model = net.model
if grid == "wide":
    configs = list(itertools.product([1.0, 2.0], [1.0, 0.5, 0.0, -0.5, -1.0, -1.5], [1.2, 1.0, 0.8, 0.6]))
else:  # "k,b,s;k,b,s;..."
    configs = [tuple(float(v) for v in c.split(",")) for c in grid.split(";")]


@torch.no_grad()
def raw_head(night_l, ref_lab, a):
    """ColorNet.forward_parts up to the heads' pre-activation output y (B, 3) and the limit."""
    c = model.cfg
    n = model.night(model._night_input(night_l, a))
    b = model.bottleneck(n[3])
    skips = [[n[0]], [n[1]], [n[2]]]
    r = model.ref(ref_lab)
    rb = model.ref_bottleneck(r[3])
    b = model.merge(torch.cat([b, attend(rb, a)], dim=1))
    for i in range(3):
        skips[i].append(attend(r[i], a))
    ref_ab = ref_lab[:, 1:3]
    if c.stem_stride > 1:
        ref_ab = F.avg_pool2d(ref_ab, c.stem_stride)
    skips[0].append(attend(ref_ab, a))
    x = model.up2(b, skips[2])
    x = model.up1(x, skips[1])
    x = model.up0(x, skips[0])
    size = (int(night_l.shape[-2]), int(night_l.shape[-1]))
    w = torch.cat([model.head.weight, model.gate.weight])
    bias = torch.cat([model.head.bias, model.gate.bias])
    y = _to_size(F.conv2d(x, w, bias, padding=1), size)
    lim = torch.clamp(a / c.gate_full_at, max=1.0)
    return y, lim


pcfg = PipelineConfig()
pairs = [p for p in load_pair_set(data) if p.target is not None][:limit]
acc = {c: {"ch": [], "st": [], "all": [], "dcf": []} for c in configs}
t0 = time.time()
with torch.no_grad():
    for i, p in enumerate(pairs):
        night, ref = load_inputs(p)
        tgt = read_rgb(p.target)
        ch = changed_region(p, ref, tgt)
        cf_gt = colorfulness(tgt)
        lab_gt = rgb2lab(np.asarray(tgt, np.float64))
        n, r = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
        night_l, ref_lab, smap = make_inputs(n, r, model.cfg.size, net.ssim_cfg)
        y, lim = raw_head(night_l, ref_lab, smap)
        from cribwatch.color.lab import gray_to_l

        l_hr = gray_to_l(n)
        for c in configs:
            k, b, s = c
            ab = torch.tanh(s * y[:, :2])
            gate = torch.sigmoid(k * y[:, 2:3] + b) * lim
            ab_hr, gate_hr, ref_ab_hr = _parts_hr(ab, gate, r, l_hr, pcfg)
            pred = t_to_np(compose(l_hr, gate_hr * ref_ab_hr + (1.0 - gate_hr) * ab_hr))
            lab_p = rgb2lab(np.asarray(pred, np.float64))
            lab_p[..., 0] = lab_gt[..., 0]
            d = deltaE_ciede2000(lab_gt, lab_p)
            a = acc[c]
            if ch.any():
                a["ch"].append(float(d[ch].mean()))
            if (~ch).any():
                a["st"].append(float(d[~ch].mean()))
            a["all"].append(float(d.mean()))
            a["dcf"].append(abs(colorfulness(pred) - cf_gt))
        print(i, f"{time.time() - t0:.0f}s", flush=True)
rows = []
for c in configs:
    a = acc[c]
    rows.append({"k": c[0], "b": c[1], "s": c[2], "de00_changed": float(np.mean(a["ch"])),
                 "de00_static": float(np.mean(a["st"])), "de00": float(np.mean(a["all"])),
                 "dcf": float(np.mean(a["dcf"]))})
out.write_text(json.dumps({"weights": str(weights), "data": str(data), "n": len(pairs), "rows": rows}, indent=1))
for r_ in rows:
    print(r_)
