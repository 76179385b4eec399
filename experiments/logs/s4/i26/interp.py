"""Tuning split: the colour cost of a perfect registration, split into covered and uncovered
pixels, for three resampling kernels of the warped reference."""
import sys, json, numpy as np, torch, cv2
torch.set_num_threads(1); cv2.setNumThreads(1)
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.eval import resolve_method, load_inputs
from cribwatch.color.metrics import de00_map
from cribwatch.color.align import Alignment, fill_guided, _to3
from cribwatch.io import read_rgb
fn = resolve_method('ssim-guided')
pairs, ipairs = load_pair_set(sys.argv[1]), load_pair_set(sys.argv[2])
acc = {k: [] for k in ('unw_cov', 'unw_unc', 'lin_cov', 'lin_unc', 'cub_cov', 'cub_unc', 'lan_cov', 'lan_unc', 'unw', 'lin', 'cub', 'lan')}
for i, p in enumerate(pairs):
    n, r = load_inputs(p); t = read_rgb(p.target)
    truth = _to3(np.asarray(p.meta['ref_warp']['night_to_reference'], np.float64))
    a = Alignment(matrix=truth, confidence=1.0, coverage=1.0, night_size=n.shape, ref_size=r.shape[:2])
    cov = a.covered()
    q = ipairs[i]; ni, ri = load_inputs(q)
    d = de00_map(fn(ni, ri), t); acc['unw'].append(d.mean()); acc['unw_cov'].append(d[cov].mean()); acc['unw_unc'].append(d[~cov].mean() if (~cov).any() else np.nan)
    h, w = n.shape
    for name, flag in (('lin', cv2.INTER_LINEAR), ('cub', cv2.INTER_CUBIC), ('lan', cv2.INTER_LANCZOS4)):
        ref = np.clip(cv2.warpPerspective(r.astype(np.float32), truth, (w, h), flags=flag | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101), 0, 1)
        o = fill_guided(fn(n, ref), cov, n)
        d = de00_map(o, t); acc[name].append(d.mean()); acc[name + '_cov'].append(d[cov].mean()); acc[name + '_unc'].append(d[~cov].mean() if (~cov).any() else np.nan)
    print(i, round(float(cov.mean()), 3), {k: round(float(v[-1]), 2) for k, v in acc.items() if k in ('unw', 'lin', 'cub', 'lan')}, flush=True)
print({k: round(float(np.nanmean(v)), 3) for k, v in acc.items()})
