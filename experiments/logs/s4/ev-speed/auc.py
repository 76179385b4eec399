"""ROC AUC of the logistic on the first 60 pairs of data/pairs-val (as the doc's table) per NIR-fit
setting, and the fit cost: python auc.py "2,6;4,4;..." """
import json, sys, time, os
from pathlib import Path
import numpy as np, torch
from PIL import Image
from sklearn.metrics import roc_auc_score
import cribwatch.color.evidence as ev
from cribwatch.color.eval import load_inputs
from cribwatch.color.lab import np_to_t, resize
from cribwatch.color.model import default_ssim_config, make_inputs
from cribwatch.color.pairs import load_pair_set
torch.set_num_threads(1)
lm = ev.Logistic(**json.load(open("/work/plan/logs/s4/ev2_logistic.json")))
pairs = [p for p in load_pair_set(Path("data/pairs-val")) if p.target is not None][:60]
cache = []
for p in pairs:
    night, ref = load_inputs(p)
    n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
    _, _, sm = make_inputs(n_t, r_t, 128, default_ssim_config())
    n = resize(n_t, (128, 128)).clamp(0, 1)[0, 0].numpy().astype(np.float32)
    r = resize(r_t, (128, 128)).clamp(0, 1)[0].permute(1, 2, 0).numpy().astype(np.float32).copy()
    y = np.asarray(Image.open(p.mask).convert("L").resize((128, 128), Image.Resampling.BILINEAR)) > 127
    cache.append((n, r, sm[0, 0].numpy(), y))
Y = np.concatenate([c[3].ravel() for c in cache])
for spec in sys.argv[1].split(";"):
    stride, rounds = map(int, spec.split(","))
    ts, zs = [], []
    for n, r, m, y in cache:
        t0 = time.perf_counter(); z = lm.logit(ev.evidence_stack(n, r, m, stride, rounds)); ts.append(time.perf_counter() - t0)
        zs.append(z.ravel())
    print(stride, rounds, "AUC", round(roc_auc_score(Y, np.concatenate(zs)), 4), "stack+logit ms p50", round(1000 * np.median(ts), 2), "load", os.getloadavg()[0], flush=True)
