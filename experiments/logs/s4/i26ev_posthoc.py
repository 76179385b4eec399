"""Issue 26, session 4: the change evidence (cribwatch.color.evidence, logistic fitted on training
pairs) as a post-hoc gate modification, scored on a pair set exactly as the pipeline composes.

Usage: python i26ev_posthoc.py WEIGHTS DATA OUT.json LIMIT MODEL.json [grid]

Per pair: p = change probability at model resolution (sigmoid(logit + bias)). Configs
(map, bias, c, s):
  map 'ssim'  : the network sees its SSIM map as shipped; 'fused': it sees smap * (1 - p)
  gate' = gate * (1 - c p);  own ab' = own ab * (1 - s p)
Composition at full resolution through pipeline._parts_hr (guided upsampling), as Colorizer does.
"""
import itertools, json, sys, time
from pathlib import Path
import numpy as np, torch
from skimage.color import deltaE_ciede2000, rgb2lab
from cribwatch.color.eval import changed_region, load_inputs
from cribwatch.color.evidence import Logistic, evidence_stack
from cribwatch.color.lab import compose, gray_to_l, np_to_t, resize, t_to_np
from cribwatch.color.metrics import colorfulness
from cribwatch.color.model import make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import PipelineConfig, _parts_hr, load_net
from cribwatch.io import read_rgb

torch.set_num_threads(1)
weights, data, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
limit = int(sys.argv[4]) if sys.argv[4] != "all" else None
lm = Logistic(**json.load(open(sys.argv[5])))
grid = sys.argv[6] if len(sys.argv) > 6 else "wide"
if grid == "wide":
    configs = list(itertools.product(["ssim", "fused"], [-1.0, 0.0, 1.0], [0.0, 0.5, 1.0], [0.0, 0.5]))
else:
    configs = [(c.split(",")[0], *(float(v) for v in c.split(",")[1:])) for c in grid.split(";")]
net = load_net(weights)
model = net.model
S = model.cfg.size
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
        night_l, ref_lab, smap = make_inputs(n, r, S, net.ssim_cfg)
        n128 = resize(n, (S, S)).clamp(0, 1)[0, 0].numpy().astype(np.float32)
        r128 = resize(r, (S, S)).clamp(0, 1)[0].permute(1, 2, 0).numpy().astype(np.float32).copy()
        z = lm.logit(evidence_stack(n128, r128, smap[0, 0].numpy()))
        l_hr = gray_to_l(n)
        parts = {}
        for mp in sorted({c[0] for c in configs}):
            for b in sorted({c[1] for c in configs}):
                pt = torch.from_numpy((1 / (1 + np.exp(-np.clip(z + b, -30, 30)))).astype(np.float32))[None, None]
                a = smap if mp == "ssim" else smap * (1 - pt)
                ab, gate = model.forward_parts(night_l, ref_lab, a)
                parts[(mp, b)] = (ab, gate, pt)
        for c in configs:
            mp, b, cg, s = c
            ab, gate, pt = parts[(mp, b)]
            ab_hr, gate_hr, ref_ab_hr = _parts_hr(ab * (1 - s * pt), gate * (1 - cg * pt), r, l_hr, pcfg)
            pred = t_to_np(compose(l_hr, gate_hr * ref_ab_hr + (1.0 - gate_hr) * ab_hr))
            lab_p = rgb2lab(np.asarray(pred, np.float64))
            lab_p[..., 0] = lab_gt[..., 0]
            d = deltaE_ciede2000(lab_gt, lab_p)
            a_ = acc[c]
            if ch.any(): a_["ch"].append(float(d[ch].mean()))
            if (~ch).any(): a_["st"].append(float(d[~ch].mean()))
            a_["all"].append(float(d.mean()))
            a_["dcf"].append(abs(colorfulness(pred) - cf_gt))
        print(i, f"{time.time() - t0:.0f}s", flush=True)
rows = []
for c in configs:
    a_ = acc[c]
    rows.append({"map": c[0], "bias": c[1], "c": c[2], "s": c[3], "de00_changed": float(np.mean(a_["ch"])),
                 "de00_static": float(np.mean(a_["st"])), "de00": float(np.mean(a_["all"])), "dcf": float(np.mean(a_["dcf"]))})
out.write_text(json.dumps({"weights": str(weights), "data": str(data), "n": len(pairs), "rows": rows}, indent=1))
for r_ in rows: print(r_)
