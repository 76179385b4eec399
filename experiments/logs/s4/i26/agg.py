import sys, json
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1])]
ks = [int(k) for k in sys.argv[2].split(',')] if len(sys.argv) > 2 else [1, 4, 8]
print('n', len(rows))
def stats(rs, K, tag):
    if not rs: print(tag, 'empty'); return
    e = np.array([r[f'err{K}'] for r in rs]); ok = np.array([r[f'ok{K}'] for r in rs]); wok = np.array([r[f'wrongok{K}'] for r in rs])
    print(f"{tag:28s} K={K} n={len(rs):3d} fail={np.mean(e>3):.3f} p50={np.percentile(e,50):.2f} p90={np.percentile(e,90):.2f} right_ref={1-ok.mean():.3f} wrong_ref={1-wok.mean():.3f} acc>3={np.mean((e>3)&ok):.3f}")
for K in ks: stats(rows, K, 'all')
for r in rows: r['snr'] = r['g_static'] / (r['g_noise'] + 1e-9)
f = [r for r in rows if r['err1'] > 3]; o = [r for r in rows if r['err1'] <= 3]
for key in ['changed', 'g_share_changed', 'g_static', 'g_changed', 'g_noise', 'snr', 'noise_std', 'g_ref', 'photons']:
    a = [r[key] for r in f]; b = [r[key] for r in o]
    print(f"{key:16s} failing p25/50/75 {np.percentile(a,25):.4f} {np.median(a):.4f} {np.percentile(a,75):.4f} | ok {np.percentile(b,25):.4f} {np.median(b):.4f} {np.percentile(b,75):.4f}")
for key in ['changed', 'g_share_changed', 'snr', 'g_static', 'noise_std']:
    v = np.array([r[key] for r in rows]); q = np.percentile(v, [33.3, 66.7])
    parts = [[r for r in rows if r[key] <= q[0]], [r for r in rows if q[0] < r[key] <= q[1]], [r for r in rows if r[key] > q[1]]]
    print(key, 'terciles', np.round(q, 4), 'fail by tercile', [round(float(np.mean([r['err1'] > 3 for r in p])), 3) for p in parts])
for K in ks:
    stats([r for r in rows if r['changed'] <= 0.3], K, 'changed<=0.3')
    stats([r for r in rows if r['g_share_changed'] <= 0.5], K, 'share<=0.5')
    stats([r for r in rows if r['changed'] <= 0.3 and r['g_share_changed'] <= 0.5], K, 'changed<=0.3&share<=0.5')
print('failing pairs:')
for r in f:
    print(r['i'], r['scene'], 'chg', round(r['changed'], 2), 'share', round(r['g_share_changed'], 2), 'snr', round(r['snr'], 2), 'edits', r['edits'], [round(r[f'err{K}'], 1) for K in ks])
