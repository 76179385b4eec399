"""Colour with alignment on the TUNING split: ssim-guided on unwarped twins; on warped pairs
with the true warp (the ceiling of any aligner), the K=1 estimate and the K=8 estimate
(alignment frame = mean of 8 night frames; colour always of the single night frame)."""
import sys, json, numpy as np, torch, cv2
from dataclasses import asdict
from pathlib import Path
torch.set_num_threads(1); cv2.setNumThreads(1)
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.eval import resolve_method, changed_region, load_inputs
from cribwatch.color.metrics import score_pair
from cribwatch.color.align import align, fill_guided, registration_error, Alignment, _to3
from cribwatch.io import read_rgb, read_gray
from cribwatch.sim.night import NightParams, render_night
cam, idn, out = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
K = int(sys.argv[4]) if len(sys.argv) > 4 else 8
fn = resolve_method('ssim-guided')
pairs, ipairs = load_pair_set(cam), load_pair_set(idn)
def col(p, n, r, a):
    t = read_rgb(p.target); ch = changed_region(p, r, t)
    ref = a.warp(r) if (a is not None and a.ok) else r
    o = fn(n, ref)
    if a is not None and a.ok: o = fill_guided(o, a.covered(), n)
    return asdict(score_pair(o, t, ch))
with open(out, 'w') as fh:
    for i, p in enumerate(pairs):
        n, r = load_inputs(p)
        truth = _to3(np.asarray(p.meta['ref_warp']['night_to_reference'], np.float64))
        a1 = align(n, r)
        if p.align is not None:
            nk = read_gray(p.align)
        else:
            prm = NightParams(**p.meta['night']); seed, idx = p.meta['seed']; tg = read_rgb(p.target)
            nk = np.mean([read_gray(p.night)] + [render_night(tg, prm, np.random.default_rng([seed, idx, 2, 1000 + k])) for k in range(1, K)], axis=0).astype(np.float32)
        ak = align(nk, r)
        at = Alignment(matrix=truth, confidence=1.0, coverage=1.0, night_size=n.shape, ref_size=r.shape[:2])
        q = ipairs[i]; ni, ri = load_inputs(q)
        row = dict(i=i, scene=p.meta['scene'], err1=registration_error(a1.matrix, truth, n.shape), ok1=a1.ok,
                   errk=registration_error(ak.matrix, truth, n.shape), okk=ak.ok,
                   unwarped=col(q, ni, ri, None), truth=col(p, n, r, at), est1=col(p, n, r, a1), estk=col(p, n, r, ak),
                   none=col(p, n, r, None))
        fh.write(json.dumps(row) + '\n'); fh.flush()
        print(i, round(row['err1'], 1), round(row['errk'], 1), {k: round(row[k]['de00'], 2) for k in ('unwarped', 'truth', 'est1', 'estk')}, flush=True)
