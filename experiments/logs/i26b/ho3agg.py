import json, sys, numpy as np
rows = sorted([json.loads(l) for f in sys.argv[1:] for l in open(f)], key=lambda r: r['i'])
e = np.array([r['err'] for r in rows]); ok = np.array([r['ok'] for r in rows]); w = np.array([r['wrong_ok'] for r in rows])
ie = np.array([r['id_err'] for r in rows]); ke = np.array([r['keep_err'] for r in rows])
print(f"n {len(rows)} err p50 {np.median(e):.2f} p90 {np.percentile(e,90):.2f} fail {np.mean(e>3):.3f} right refused {1-ok.mean():.3f} wrong refused {1-w.mean():.3f} accepted>3 {np.mean(ok&(e>3)):.3f} preset-used {np.mean([r['a']['inliers']>0 for r in rows]):.3f} wrong-preset {np.mean([r['wrong']['inliers']>0 for r in rows]):.3f}")
print(f"accepted only: p50 {np.median(e[ok]):.2f} p90 {np.percentile(e[ok],90):.2f}; ms p50 {np.median([r['a']['ms'] for r in rows]):.0f}")
print(f"identity pairs: align err p50 {np.median(ie):.2f} p90 {np.percentile(ie,90):.2f} moved>3 {np.mean(ie>3):.3f} refused {1-np.mean([r['id_ok'] for r in rows]):.3f}; keep: p50 {np.median(ke):.2f} p90 {np.percentile(ke,90):.2f} moved>3 {np.mean(ke>3):.3f} refused {1-np.mean([r['keep_ok'] for r in rows]):.3f}")
if 'color' in rows[0]:
    for k in ['color', 'color_id_align', 'color_id_keep']:
        print(k, {m: round(float(np.mean([r[k][m] for r in rows])), 2) for m in ['de00', 'de00_changed', 'de00_static', 'dcf', 'psnr']})
