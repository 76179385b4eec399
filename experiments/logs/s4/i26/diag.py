"""Issue 26 diagnosis + route (a) on the TUNING split: per pair changed fraction, structure
energy (noise-free night), noise, and registration with an alignment frame = mean of K night
frames (K = 1, 4, 8) against the right and a wrong-scene reference."""
import sys, json, time
from dataclasses import replace
import numpy as np, cv2
from pathlib import Path
from scipy.ndimage import gaussian_filter
from cribwatch.color.pairs import load_pair_set
from cribwatch.color import align as A
from cribwatch.io import read_gray, read_rgb
from cribwatch.sim.night import NightParams, render_night
cv2.setNumThreads(1)
folder = Path(sys.argv[1]); out = sys.argv[2]; ks = [int(k) for k in sys.argv[3].split(',')]
lo, hi = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (0, 10**9)
pairs = load_pair_set(folder)

def gmag(x, s=2.0):
    b = gaussian_filter(x.astype(np.float64), s)
    gx = cv2.Sobel(b, cv2.CV_64F, 1, 0, ksize=3); gy = cv2.Sobel(b, cv2.CV_64F, 0, 1, ksize=3)
    return np.hypot(gx, gy)

def night_frames(p, K):
    meta = p.meta; prm = NightParams(**meta['night'])
    tgt = read_rgb(p.target)
    seed, idx = meta['seed']
    fr = [read_gray(p.night)]
    for k in range(1, K):
        fr.append(render_night(tgt, prm, np.random.default_rng([seed, idx, 2, 1000 + k])))
    return fr

with open(out, 'a') as fh:
    for i, p in enumerate(pairs):
        if not lo <= i < hi:
            continue
        meta = p.meta; prm = NightParams(**meta['night'])
        tgt = read_rgb(p.target); mask = read_gray(p.mask) > 0.5
        clean = render_night(tgt, replace(prm, photons=1e9, read_noise=0.0, jpeg_quality=None), np.random.default_rng(0))
        frames = night_frames(p, max(ks))
        g = gmag(clean); noise = frames[0] - clean
        gn = gmag(noise)
        static = ~mask
        row = dict(i=i, scene=meta['scene'], changed=float(mask.mean()),
                   edits=[e['edit'] for e in meta['edits']],
                   g_static=float(g[static].mean()) if static.any() else 0.0,
                   g_changed=float(g[mask].mean()) if mask.any() else 0.0,
                   g_share_changed=float(g[mask].sum() / (g.sum() + 1e-12)),
                   noise_std=float(noise.std()), g_noise=float(gn.mean()),
                   photons=prm.photons, read_noise=prm.read_noise, jpeg=prm.jpeg_quality)
        # reference structure, to compare scenes (day grey)
        row['g_ref'] = float(gmag(A._gray(read_rgb(p.reference))).mean())
        truth = A._to3(np.asarray(meta['ref_warp']['night_to_reference'], np.float64))
        j = (i + 1) % len(pairs)
        while pairs[j].meta.get('scene') == meta.get('scene') and j != i:
            j = (j + 1) % len(pairs)
        r = read_rgb(p.reference); rw = read_rgb(pairs[j].reference)
        for K in ks:
            n = np.mean(frames[:K], axis=0).astype(np.float32)
            t0 = time.time(); a = A.align(n, r)
            row[f'err{K}'] = A.registration_error(a.matrix, truth, n.shape); row[f'ok{K}'] = a.ok
            row[f'cons{K}'] = a.consensus; row[f'ms{K}'] = (time.time() - t0) * 1000
            row[f'noise{K}'] = float((n - clean).std())
            row[f'wrongok{K}'] = A.align(n, rw).ok
        fh.write(json.dumps(row) + '\n'); fh.flush()
        print(i, meta['scene'], round(row['changed'], 2), round(row['g_share_changed'], 2), [round(row[f'err{K}'], 1) for K in ks], flush=True)
