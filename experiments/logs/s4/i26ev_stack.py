"""Evidence stacks (cribwatch.color.evidence) at model resolution for the first N pairs of a set,
with the true change masks: python i26ev_stack.py DATA N OUT.npz"""
import sys, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
from cribwatch.color.eval import load_inputs
from cribwatch.color.evidence import evidence_stack
from cribwatch.color.lab import np_to_t, resize
from cribwatch.color.model import default_ssim_config, make_inputs
from cribwatch.color.pairs import load_pair_set
torch.set_num_threads(1)
S = 128
data, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pairs = [p for p in load_pair_set(data) if p.target is not None][:n]
xs, ys, ts = [], [], []
for p in pairs:
    night, ref = load_inputs(p)
    n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
    _, _, sm = make_inputs(n_t, r_t, S, default_ssim_config())
    n128 = resize(n_t, (S, S)).clamp(0, 1)[0, 0].numpy().astype(np.float32)
    r128 = resize(r_t, (S, S)).clamp(0, 1)[0].permute(1, 2, 0).numpy().astype(np.float32).copy()
    t0 = time.perf_counter()
    xs.append(evidence_stack(n128, r128, sm[0, 0].numpy()))
    ts.append(time.perf_counter() - t0)
    ys.append(np.asarray(Image.open(p.mask).convert("L").resize((S, S), Image.Resampling.BILINEAR)) > 127)
print("evidence ms p50", 1000 * np.median(ts))
np.savez_compressed(out, x=np.stack(xs), y=np.stack(ys))
