import sys, json, numpy as np
from cribwatch.color.align import clopper_pearson
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f)]
ks = [k[3:] for k in rows[0] if k.startswith('err')]
n = len(rows); print('pairs', n)
rng = np.random.default_rng(0)
u = np.array([r['unwarped']['de00'] for r in rows])
print('unwarped de00 %.2f static %.2f changed %.2f dcf %.2f' % (u.mean(), np.nanmean([r['unwarped']['de00_static'] for r in rows]), np.nanmean([r['unwarped']['de00_changed'] for r in rows]), np.nanmean([r['unwarped']['dcf'] for r in rows])))
for K in ks:
    e = np.array([r[f'err{K}'] for r in rows]); ok = np.array([r[f'ok{K}'] for r in rows]); wok = np.array([r[f'wrongok{K}'] for r in rows])
    f = int((e > 3).sum()); rr = int((~ok).sum()); wr = int((~wok).sum())
    c = np.array([r[f'col{K}']['de00'] for r in rows]); d = c - u
    bs = [d[rng.integers(0, n, n)].mean() for _ in range(2000)]
    print(f"K={K}: p50 {np.percentile(e,50):.2f} p90 {np.percentile(e,90):.2f} fail {f/n:.3f} {clopper_pearson(f,n)} right_refused {rr/n:.3f} {clopper_pearson(rr,n)} wrong_refused {wr/n:.3f} {clopper_pearson(wr,n)} accepted>3 {np.mean((e>3)&ok):.3f}")
    print(f"   colour --align de00 {c.mean():.2f} (unwarped {u.mean():.2f}; diff {d.mean():+.2f}, bootstrap 95% [{np.percentile(bs,2.5):+.2f}, {np.percentile(bs,97.5):+.2f}]) static {np.nanmean([r[f'col{K}']['de00_static'] for r in rows]):.2f} changed {np.nanmean([r[f'col{K}']['de00_changed'] for r in rows]):.2f} dcf {np.nanmean([r[f'col{K}']['dcf'] for r in rows]):.2f}")
