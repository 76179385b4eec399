"""Per-frame cost of the change evidence at 128x128 (model resolution), on the first val pair:
python i26ev_bench.py [N]"""
import json, os, sys, time
import numpy as np, torch
from cribwatch.color.eval import load_inputs
from cribwatch.color.evidence import Logistic, change_probability, evidence_stack, nir_fit
from cribwatch.color.lab import np_to_t, resize
from cribwatch.color.model import default_ssim_config, make_inputs
from cribwatch.color.pairs import load_pair_set
torch.set_num_threads(1)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
p = [q for q in load_pair_set(__import__("pathlib").Path("data/pairs-val"))][0]
night, ref = load_inputs(p)
n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
_, _, sm = make_inputs(n_t, r_t, 128, default_ssim_config())
n = resize(n_t, (128, 128)).clamp(0, 1)[0, 0].numpy().astype(np.float32)
r = resize(r_t, (128, 128)).clamp(0, 1)[0].permute(1, 2, 0).numpy().astype(np.float32).copy()
m = sm[0, 0].numpy()
lm = Logistic(**json.load(open("/work/plan/logs/s4/ev2_logistic.json")))
def run(f):
    ts = []
    for _ in range(N):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return round(1000 * float(np.percentile(ts, 50)), 2), round(1000 * float(np.percentile(ts, 90)), 2)
print("nir_fit p50/p90 ms", run(lambda: nir_fit(n, r)))
print("evidence + logistic p50/p90 ms", run(lambda: change_probability(evidence_stack(n, r, m), lm)))
print("load", os.getloadavg())
