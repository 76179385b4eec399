"""Ceiling of intensity evidence: the night fit from the TARGET's colours (the truth), applied to
the reference; AUC of |difference| (what a perfect NIR model would see), per edit group."""
import sys
from pathlib import Path
import numpy as np, torch, cv2
from PIL import Image
from sklearn.metrics import roc_auc_score
sys.argv += []
exec(open('/work/plan/logs/s4/i26ev_feats.py').read().split("def main")[0])
from cribwatch.io import read_rgb
pairs = [p for p in load_pair_set(Path("data/pairs-val")) if p.target is not None][:60]
ds, ys, rs, ks = [], [], [], []
for p in pairs:
    night, ref = load_inputs(p)
    tgt = read_rgb(p.target)
    def r128(a):
        return resize(np_to_t(a), (S, S)).clamp(0, 1)[0].permute(1, 2, 0).numpy().copy().astype(np.float32)
    n = resize(np_to_t(np.clip(night, 0, 1)), (S, S)).clamp(0, 1)[0, 0].numpy().astype(np.float32)
    rr, tt = r128(ref), r128(tgt)
    h, w = n.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32); xx = xx/(w-1)*2-1; yy = yy/(h-1)*2-1
    def X(rgb):
        l = lin(gblur(rgb, 0.7)); mx = l.max(2)
        phi = [l[...,0], l[...,1], l[...,2], mx]; sp = [np.ones_like(xx), xx, yy, xx*xx, yy*yy, xx*yy]
        return np.stack([c.ravel() for c in [q*s for q in phi for s in sp] + sp], 1)
    t = gblur(n, 0.7).ravel()
    coef, *_ = np.linalg.lstsq(X(tt), t, rcond=None)
    res_t = t - X(tt) @ coef
    sig = 1.4826*np.median(np.abs(res_t))
    d = ((X(tt) - X(rr)) @ coef).reshape(h, w) / sig
    e = (t - X(rr) @ coef).reshape(h, w) / sig
    ds.append(gblur(np.abs(e).astype(np.float32), float(sys.argv[1])) if sys.argv[2]=='abs' else np.abs(gblur(e.astype(np.float32), float(sys.argv[1])))); rs.append(np.abs(res_t).reshape(h,w)/sig)
    ys.append(np.asarray(Image.open(p.mask).convert("L").resize((S, S), Image.Resampling.BILINEAR)) > 127)
    ks.append("+".join(sorted({e["edit"] for e in p.meta.get("edits", []) if e["edit"] != "shift"})))
y = np.stack(ys); d = np.stack(ds)
print("ceiling AUC all", round(roc_auc_score(y.ravel(), d.ravel()), 3), "median fit resid (sigma units)", np.median(np.stack(rs)))
for k in sorted(set(ks)):
    ids = [i for i, kk in enumerate(ks) if kk == k]
    yy_ = y[ids].ravel()
    if yy_.min() != yy_.max(): print(k, len(ids), round(roc_auc_score(yy_, d[ids].ravel()), 3), "mean |d| changed", round(float(d[ids][y[ids]].mean()),2), "static", round(float(d[ids][~y[ids]].mean()),2))
