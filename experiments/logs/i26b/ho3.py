"""Third pass (issue 26): per pair of a camera set, the aligner's registration (right and wrong
scene) and optionally ssim-guided colour with it; and on the twin identity set, align vs
align_keep(identity prior). One JSON line per pair."""
import sys, json, numpy as np, torch, cv2
from dataclasses import asdict
from pathlib import Path
torch.set_num_threads(1); cv2.setNumThreads(1)
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.eval import resolve_method, changed_region, load_inputs
from cribwatch.color.metrics import score_pair
from cribwatch.color.align import align, align_keep, fill_guided, registration_error
from cribwatch.io import read_rgb
cam, idn, out, lo, hi, colour = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == '1'
fn = resolve_method('ssim-guided') if colour else None
pairs, ipairs = load_pair_set(cam), load_pair_set(idn)
def col(p, n, r, a):
    t = read_rgb(p.target); ch = changed_region(p, r, t)
    ref = a.warp(r) if a.ok else r
    o = fn(n, ref)
    if a.ok: o = fill_guided(o, a.covered(), n)
    return asdict(score_pair(o, t, ch))
with open(out, 'a') as fh:
    for i in range(lo, min(hi, len(pairs))):
        p = pairs[i]; n, r = load_inputs(p)
        a = align(n, r)
        truth = np.asarray(p.meta['ref_warp']['night_to_reference'], np.float64)
        err = registration_error(a.matrix, truth, n.shape)
        j = (i + 1) % len(pairs)
        while pairs[j].meta.get('scene') == p.meta.get('scene') and j != i: j = (j + 1) % len(pairs)
        b = align(n, read_rgb(pairs[j].reference))
        q = ipairs[i]; ni, ri = load_inputs(q)
        ai = align(ni, ri); ak = align_keep(ni, ri, np.eye(3))
        row = dict(i=i, id=p.id, scene=p.meta['scene'], err=err, ok=a.ok, a=a.to_dict(), wrong_ok=b.ok, wrong=b.to_dict(),
                   id_err=registration_error(ai.matrix, np.eye(3), ni.shape), id_ok=ai.ok,
                   keep_err=registration_error(ak.matrix, np.eye(3), ni.shape), keep_ok=ak.ok)
        if colour:
            row['color'] = col(p, n, r, a)
            row['color_id_align'] = col(q, ni, ri, ai)
            row['color_id_keep'] = col(q, ni, ri, ak)
        fh.write(json.dumps(row) + '\n'); fh.flush()
        print(i, round(err, 2), a.ok, b.ok, a.inliers, round(row['id_err'], 2), round(row['keep_err'], 2), flush=True)
