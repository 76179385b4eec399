import sys, json, time
import numpy as np, cv2
from pathlib import Path
from cribwatch.color.pairs import load_pair_set
from cribwatch.color import align as A
from cribwatch.io import read_gray, read_rgb
cv2.setNumThreads(1)
cfg = A.AlignConfig()

def u8(g): lo, hi = np.percentile(g, [0.5, 99.5]); return (np.clip((g-lo)/(hi-lo+1e-6), 0, 1)*255).astype(np.uint8)
def preset(n, r, nf=2000, side=1024, ratio=0.8):
    def prep(g):
        s = min(1.0, side/max(g.shape)); 
        if s < 1: g = cv2.resize(g, (round(g.shape[1]*s), round(g.shape[0]*s)), interpolation=cv2.INTER_AREA)
        x = cv2.createCLAHE(2.0, (8, 8)).apply(u8(cv2.GaussianBlur(g, (0, 0), 1.0)))
        k, d = cv2.SIFT_create(nfeatures=nf).detectAndCompute(x, None)
        if d is None: return None, None, s
        d = d/(np.abs(d).sum(1, keepdims=True)+1e-7); return k, np.sqrt(d).astype(np.float32), s
    k1, d1, s1 = prep(n); k2, d2, s2 = prep(r)
    if d1 is None or d2 is None or len(k1) < 8 or len(k2) < 8: return None, 0
    good = [m[0] for m in cv2.BFMatcher().knnMatch(d1, d2, k=2) if len(m) == 2 and m[0].distance < ratio*m[1].distance]
    if len(good) < 8: return None, 0
    p = np.float32([k1[g.queryIdx].pt for g in good])/s1; q = np.float32([k2[g.trainIdx].pt for g in good])/s2
    H, inl = cv2.findHomography(p, q, cv2.USAC_MAGSAC, 3.0/min(s1, s2), maxIters=5000, confidence=0.999)
    if H is None: return None, 0
    return H, int(inl.sum())

def finest(n, r):
    hn, wn = n.shape; wh, ww = A._work_size(hn, wn, cfg.work_side)
    b = cfg.blur
    return A.structure(cv2.resize(n, (ww, wh), interpolation=cv2.INTER_AREA), cfg, b), A.structure(cv2.resize(A._gray(r), (ww, wh), interpolation=cv2.INTER_AREA), cfg, b), (wh, ww)

def cons_full(tn, tr, work, full, ns, rs):
    mw = exp_to_work(full, ns, rs, work)
    return A._consensus(tn, tr, mw)
def exp_to_work(full, night, ref, work):
    (hn, wn), (hr, wr), (fh, fw) = night, ref, work
    def grid(sx, sy): return np.array([[sx, 0, 0.5*sx-0.5], [0, sy, 0.5*sy-0.5], [0, 0, 1.0]])
    return grid(fw/wr, fh/hr) @ full @ np.linalg.inv(grid(fw/wn, fh/hn))

folder = Path(sys.argv[1]); out = sys.argv[2]
pairs = load_pair_set(folder)
with open(out, 'w') as fh:
    for i, p in enumerate(pairs):
        n, r = read_gray(p.night), read_rgb(p.reference)
        truth = np.asarray(p.meta['ref_warp']['night_to_reference'], np.float64); truth = A._to3(truth)
        a = A.align(n, r)
        tn, tr, work = finest(n, r)
        ns, rs = n.shape, r.shape[:2]
        row = dict(i=i, scene=p.meta['scene'], err=A.registration_error(a.matrix, truth, ns), ok=a.ok, a=a.to_dict(),
                   cons_new=cons_full(tn, tr, work, a.matrix, ns, rs), cons_id=cons_full(tn, tr, work, np.eye(3), ns, rs),
                   cons_truth=cons_full(tn, tr, work, truth, ns, rs), err_id=A.registration_error(np.eye(3), truth, ns))
        H, ni = preset(n, A._gray(r))
        row['ph_inl'] = ni; row['ph_err'] = A.registration_error(H, truth, ns) if H is not None else None
        j = (i + 1) % len(pairs)
        while pairs[j].meta.get('scene') == p.meta.get('scene') and j != i: j = (j + 1) % len(pairs)
        H2, ni2 = preset(n, A._gray(read_rgb(pairs[j].reference))); row['wrong_ph_inl'] = ni2
        fh.write(json.dumps(row) + '\n'); fh.flush()
        print(i, round(row['err'], 2), a.ok, round(row['cons_new'], 3), round(row['cons_id'], 3), round(row['cons_truth'], 3), ni, row['ph_err'] and round(row['ph_err'], 1), ni2, flush=True)
