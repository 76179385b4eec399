import sys, json, time
import numpy as np, cv2
from pathlib import Path
sys.path.insert(0, '/tmp/i26')
from cribwatch.color.pairs import load_pair_set
from cribwatch.color import align as A
from cribwatch.io import read_gray, read_rgb
import inten
cv2.setNumThreads(1)

def cands_of(night, reference, cfg=A.AlignConfig()):
    n, r = A._gray(night), A._gray(reference)
    hn, wn = n.shape; hr, wr = r.shape
    wh, ww = A._work_size(hn, wn, cfg.work_side)
    sizes = [(max(8, round(wh / 2**k)), max(8, round(ww / 2**k))) for k in range(cfg.levels)][::-1]
    pyr = []
    for k, (hh, w_) in enumerate(sizes):
        b = max(0.8, cfg.blur / 2 ** (len(sizes) - 1 - k))
        pyr.append((A.structure(cv2.resize(n, (w_, hh), interpolation=cv2.INTER_AREA), cfg, b), A.structure(cv2.resize(r, (w_, hh), interpolation=cv2.INTER_AREA), cfg, b)))
    t0s, r0s = pyr[0]; h0, w0 = t0s.shape
    win = cv2.createHanningWindow((w0, h0), cv2.CV_32F)
    c = np.array([(w0 - 1) / 2.0, (h0 - 1) / 2.0]); peaks = []
    for ang in cfg.seed_angles:
        for z in cfg.seed_zooms:
            t = np.deg2rad(ang); lin = z * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
            m = np.eye(3); m[:2, :2] = lin; m[:2, 2] = c - lin @ c
            turned = cv2.warpPerspective(r0s, m, (w0, h0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
            (sx, sy), resp = cv2.phaseCorrelate(t0s, turned, win)
            m[:2, 2] += lin @ np.array([sx, sy]); peaks.append((float(resp), m))
    peaks.sort(key=lambda x: -x[0])
    starts = [m for _, m in peaks[: cfg.seeds]] + [np.eye(3)]
    fh, fw = sizes[-1]
    feat = A._feature_seed(cv2.resize(n, (fw, fh), interpolation=cv2.INTER_AREA), cv2.resize(r, (fw, fh), interpolation=cv2.INTER_AREA), cfg)
    if feat is not None: starts.append(A._scale(feat, w0 / fw))
    uniq = A._dedupe(starts)
    cands = [A._refine(pyr, sizes, m, cfg) for m in uniq]
    cands += [A._block_candidate(pyr, sizes, m) for m in uniq[: cfg.blocks]]
    scores = [A._consensus(pyr[-1][0], pyr[-1][1], m) for m in cands]
    return dict(n=n, sizes=sizes, pyr=pyr, cands=cands, scores=scores, hn=hn, wn=wn, hr=hr, wr=wr)

if __name__ == "__main__":
  folder = Path(sys.argv[1]); out = sys.argv[2]; idx = [int(x) for x in sys.argv[3].split(',')] if len(sys.argv) > 3 else None
  pairs = load_pair_set(folder)
  rows = []
  for i, p in enumerate(pairs):
      if idx is not None and i not in idx: continue
      t0 = time.perf_counter()
      n, r = read_gray(p.night), read_rgb(p.reference)
      truth = np.asarray(p.meta["ref_warp"]["night_to_reference"], np.float64)
      C = cands_of(n, r)
      fh, fw = C['sizes'][-1]
      full = lambda m: A._centre_fix(m, (C['hn'], C['wn']), (C['hr'], C['wr']), (fh, fw))
      err = lambda m: A.registration_error(full(m), truth, n.shape)
      n_w = cv2.resize(n, (fw, fh), interpolation=cv2.INTER_AREA)
      r_w = cv2.resize(r, (fw, fh), interpolation=cv2.INTER_AREA)
      ce = [err(m) for m in C['cands']]
      best = int(np.argmax(C['scores']))
      ir = [inten.refine(n_w, r_w, m) for m in C['cands']]
      ie = [err(m) for m, _ in ir]; iscore = [s for _, s in ir]
      row = dict(i=i, base=ce[best], oracle=min(ce), ibest=ie[best], ioracle=min(ie), isel=ie[int(np.argmax(iscore))],
                 ce=ce, ie=ie, iscore=iscore, cscore=C['scores'], sec=time.perf_counter() - t0)
      rows.append(row)
      print(i, p.meta['scene'][:20], *(f"{k}={row[k]:.2f}" for k in ['base','oracle','ibest','ioracle','isel','sec']), flush=True)
  json.dump(rows, open(out, 'w'))
