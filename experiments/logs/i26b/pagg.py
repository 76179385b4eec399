import json, sys, numpy as np
def load(n): return [json.loads(l) for l in open(f'/work/plan/logs/i26b/p_{n}.jsonl')]
cam = load('tune-camera') + load('val-camera'); idn = load('tune-identity') + load('val-identity')
print('n cam', len(cam), 'n id', len(idn))
allr = cam + idn
ri = np.array([r['ph_inl'] for r in allr]); re_ = np.array([r['ph_err'] if r['ph_err'] is not None else 1e9 for r in allr])
wi = np.array([r['wrong_ph_inl'] for r in allr])
print('wrong inliers pct', np.percentile(wi, [50, 90, 95, 99, 100]))
print('right inliers where err<=3 pct', np.percentile(ri[re_ <= 3], [5, 25, 50]) if (re_<=3).any() else None, 'n', (re_<=3).sum())
print('right inliers where err>3', np.sort(ri[re_ > 3])[-10:])
for t in [10, 12, 15, 20, 25, 30, 40]:
    acc_w = np.mean(wi >= t); acc_r_good = np.mean((ri >= t) & (re_ <= 3)); acc_r_bad = np.mean((ri >= t) & (re_ > 3))
    refused_old = np.array([not r['ok'] for r in allr])
    rescue = np.mean(refused_old & (ri >= t) & (re_ <= 3)); badrescue = np.mean(refused_old & (ri >= t) & (re_ > 3))
    print(f"t={t}: wrong >=t {acc_w:.3f}; right >=t & good {acc_r_good:.3f}, & bad {acc_r_bad:.3f}; refused-by-old rescued good {rescue:.3f} bad {badrescue:.3f}")
# keep-prior simulation
for name, rows, prior in [('identity pairs, prior=identity(true)', idn, 'id'), ('camera pairs, prior=truth (view unchanged)', cam, 'truth'), ('camera pairs, prior=identity (stale)', cam, 'id')]:
    for m in [None, 0.0, 0.02, 0.05, 0.1, 0.2]:
        errs = []
        for r in rows:
            pc = r['cons_id'] if prior == 'id' else r['cons_truth']; pe = r['err_id'] if prior == 'id' else 0.0
            if m is None: e = r['err']
            else: e = pe if not (r['ok'] and r['cons_new'] > pc + m) else r['err']
            errs.append(e)
        errs = np.array(errs); print(f"{name:45s} margin {m}: fail {np.mean(errs>3):.3f} p50 {np.median(errs):.2f} p90 {np.percentile(errs,90):.1f}")
