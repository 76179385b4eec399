import json, sys, numpy as np
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f)]
def fam(k):
    if k.startswith('base'): return 'base'
    if k.startswith('sift'): return 'sift'
    if k.startswith('dis'): return 'dis'
    return 'masked'
sets = {'base': {'base'}, '+sift': {'base','sift'}, '+dis': {'base','dis'}, '+masked': {'base','masked'}, 'all': {'base','sift','dis','masked'}}
print('n', len(rows))
for name, fs in sets.items():
    orc, sel, sel2 = [], [], []
    for r in rows:
        ks = [k for k in r['err'] if fam(k) in fs]
        orc.append(min(r['err'][k] for k in ks))
        kp = [k for k in ks if r['plaus'][k]] or ks
        sel.append(r['err'][max(kp, key=lambda k: r['cons'][k])])
    orc, sel = np.array(orc), np.array(sel)
    print(f"{name:10s} oracle fail {np.mean(orc>3):.3f}  consensus-choice fail {np.mean(sel>3):.3f} p50 {np.median(sel):.2f} p90 {np.percentile(sel,90):.1f}")
base = np.array([r['err'][r['base_best']] for r in rows]); print('base as align', np.mean(base>3))
t = {k: np.mean([r['times'][k] for r in rows]) for k in rows[0]['times']}; print('mean s', t)
for k in ['sift_int_aff','sift_int_aff_ecc','sift_int_aff_blk','sift_int_hom','sift_str_aff','sift_str_aff_ecc','sift_str_hom','dis_id','dis_best','masked_best']:
    e = np.array([r['err'].get(k, 1e9) for r in rows]); print(f"{k:18s} present {np.mean(e<1e9):.2f} <=3px {np.mean(e<=3):.3f}")
