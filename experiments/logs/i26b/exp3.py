import sys, json, time
import numpy as np, cv2
from pathlib import Path
sys.path.insert(0, '/work/plan/logs/i26')
from cribwatch.color.pairs import load_pair_set
from cribwatch.color import align as A
from cribwatch.io import read_gray, read_rgb
cv2.setNumThreads(1)
cfg = A.AlignConfig()

def to_work(full, night, ref, work):
    (hn, wn), (hr, wr), (fh, fw) = night, ref, work
    def grid(sx, sy): return np.array([[sx, 0, 0.5*sx-0.5], [0, sy, 0.5*sy-0.5], [0, 0, 1.0]])
    return grid(fw/wr, fh/hr) @ full @ np.linalg.inv(grid(fw/wn, fh/hn))

def u8(g): lo, hi = np.percentile(g, [0.5, 99.5]); return (np.clip((g-lo)/(hi-lo+1e-6), 0, 1)*255).astype(np.uint8)

def rootsift(img, n=3000, mode='int'):
    if mode == 'int':
        x = cv2.createCLAHE(2.0, (8, 8)).apply(u8(cv2.GaussianBlur(img, (0, 0), 1.0)))
    else:
        x = u8(A.structure(img, cfg, 1.5))
    k, d = cv2.SIFT_create(nfeatures=n).detectAndCompute(x, None)
    if d is None: return k, None
    d = d / (np.abs(d).sum(1, keepdims=True) + 1e-7); d = np.sqrt(d).astype(np.float32)
    return k, d

def sift_cands(n, r, mode):
    k1, d1 = rootsift(n, mode=mode); k2, d2 = rootsift(r, mode=mode)
    out = {}
    if d1 is None or d2 is None or len(k1) < 8 or len(k2) < 8: return out
    good = [m[0] for m in cv2.BFMatcher().knnMatch(d1, d2, k=2) if len(m) == 2 and m[0].distance < 0.8*m[1].distance]
    if len(good) < 8: return out
    p = np.float32([k1[g.queryIdx].pt for g in good]); q = np.float32([k2[g.trainIdx].pt for g in good])
    m, inl = cv2.estimateAffine2D(p, q, method=cv2.USAC_MAGSAC, ransacReprojThreshold=3.0, maxIters=5000, confidence=0.999)
    if m is not None and inl.sum() >= 6: out[f'sift_{mode}_aff'] = (A._to3(m.astype(np.float64)), int(inl.sum()))
    H, inl = cv2.findHomography(p, q, cv2.USAC_MAGSAC, 3.0, maxIters=5000, confidence=0.999)
    if H is not None and inl.sum() >= 8: out[f'sift_{mode}_hom'] = (H.astype(np.float64), int(inl.sum()))
    return out

def dis_cand(tn, tr, m3):
    h, w = tn.shape
    wr = cv2.warpPerspective(tr, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    f = dis.calc(u8(tn), u8(wr), None)
    ys, xs = np.mgrid[2:h-2:2, 2:w-2:2]
    wgt = cv2.GaussianBlur(tn, (0, 0), 2)[ys, xs]
    sel = wgt > np.quantile(wgt, 0.3)
    p = np.stack([xs[sel], ys[sel]], 1).astype(np.float32)
    q = p + f[ys[sel], xs[sel]]
    q3 = np.hstack([q, np.ones((len(q), 1), np.float32)]) @ m3.T; q = (q3[:, :2]/q3[:, 2:]).astype(np.float32)
    m, inl = cv2.estimateAffine2D(p, q, method=cv2.USAC_MAGSAC, ransacReprojThreshold=1.0, maxIters=3000)
    return None if m is None else A._to3(m.astype(np.float64))

def local_corr(tpl, warped, sig):
    a = tpl - cv2.GaussianBlur(tpl, (0, 0), sig); b = warped - cv2.GaussianBlur(warped, (0, 0), sig)
    ab = cv2.GaussianBlur(a*b, (0, 0), sig); aa = cv2.GaussianBlur(a*a, (0, 0), sig); bb = cv2.GaussianBlur(b*b, (0, 0), sig)
    return ab / np.sqrt(aa*bb + 1e-6)

def masked_cand(pyr, sizes, m3, rounds=2):
    tn, tr = pyr[-1]; h, w = tn.shape
    for _ in range(rounds):
        wr = cv2.warpPerspective(tr, m3, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        lc = local_corr(tn, wr, max(4.0, w/40))
        mask = (lc > np.quantile(lc, 0.4)).astype(np.uint8)*255
        e = A._ecc(tn, tr, m3, cfg, mask)
        if e is None or not A._plausible(e, cfg): break
        m3 = e
    return m3

def run(n, r, truth=None):
    hn, wn = n.shape; hr, wr_ = r.shape
    wh, ww = A._work_size(hn, wn, cfg.work_side)
    sizes = [(max(8, round(wh/2**k)), max(8, round(ww/2**k))) for k in range(cfg.levels)][::-1]
    pyr = []
    for k, (hh, w_) in enumerate(sizes):
        b = max(0.8, cfg.blur/2**(len(sizes)-1-k))
        pyr.append((A.structure(cv2.resize(n, (w_, hh), interpolation=cv2.INTER_AREA), cfg, b), A.structure(cv2.resize(r, (w_, hh), interpolation=cv2.INTER_AREA), cfg, b)))
    import exp
    C = exp.cands_of(n, r)
    fh, fw = sizes[-1]
    cands = {f'base{j}': m for j, m in enumerate(C['cands'])}
    ib = int(np.argmax(C['scores'])); best = C['cands'][ib]
    t = time.perf_counter()
    extra = {}
    for mode in ('int', 'str'):
        for k, (m, ni) in sift_cands(n, r, mode).items():
            mw = to_work(m, (hn, wn), (hr, wr_), (fh, fw))
            extra[k] = mw; extra[k + '_ni'] = ni
            if k.endswith('aff') and A._plausible(mw, cfg):
                extra[k + '_ecc'] = A._refine(pyr[-1:], sizes[-1:], mw, cfg)
                extra[k + '_blk'] = A._block_candidate(pyr, sizes, A._scale(mw, sizes[0][1]/fw))
    ts = time.perf_counter() - t; t = time.perf_counter()
    # DIS at level 1 (160x120) from identity and best
    lv = 1; s = sizes[lv][1]/fw
    for name, st in (('dis_id', np.eye(3)), ('dis_best', best)):
        m = dis_cand(pyr[lv][0], pyr[lv][1], A._scale(st, s))
        if m is not None:
            m = A._scale(m, 1/s)
            m2 = dis_cand(pyr[-1][0], pyr[-1][1], m)
            extra[name] = m2 if m2 is not None else m
    td = time.perf_counter() - t; t = time.perf_counter()
    extra['masked_best'] = masked_cand(pyr, sizes, best)
    tm = time.perf_counter() - t
    nis = {k: v for k, v in extra.items() if k.endswith('_ni')}
    for k in nis: extra.pop(k)
    cands.update(extra)
    row = dict(times=dict(sift=ts, dis=td, masked=tm), ni=nis, base_best=f'base{ib}')
    row['cons'] = {k: A._consensus(pyr[-1][0], pyr[-1][1], m) for k, m in cands.items()}
    row['sel'] = {k: A._select_score(pyr[-1][0], pyr[-1][1], m) for k, m in cands.items()}
    row['plaus'] = {k: bool(A._plausible(m, cfg)) for k, m in cands.items()}
    if truth is not None:
        row['err'] = {k: A.registration_error(A._centre_fix(m, (hn, wn), (hr, wr_), (fh, fw)), truth, n.shape) for k, m in cands.items()}
    row['mats'] = {k: np.round(m, 6).tolist() for k, m in cands.items()}
    return row

if __name__ == '__main__':
    folder = Path(sys.argv[1]); out = sys.argv[2]
    pairs = load_pair_set(folder)
    with open(out, 'w') as fh:
        for i, p in enumerate(pairs):
            n, r = read_gray(p.night), read_rgb(p.reference)
            truth = np.asarray(p.meta['ref_warp']['night_to_reference'], np.float64)
            row = run(n, A._gray(r), truth); row['i'] = i; row['scene'] = p.meta['scene']
            fh.write(json.dumps(row) + '\n'); fh.flush()
            e = row['err']; b = row['base_best']
            print(i, f"base={e[b]:.2f}", f"oracle_base={min(v for k,v in e.items() if k.startswith('base')):.2f}", f"oracle_all={min(e.values()):.2f}", {k: round(v, 1) for k, v in e.items() if not k.startswith('base')}, flush=True)
