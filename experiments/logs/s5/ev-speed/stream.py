"""The stream's refit on generated night sequences of VALIDATION pairs, through the ONNX runtime
with change evidence (color_ssim_guided_slim_ev.onnx): per (stride, rounds, refit) setting, the
evidence's pooled per-pixel ROC AUC at model resolution (change = the pair's mask or the
object, per frame) and the output's mean de00_changed / de00_static / dcf against the day truth
(color.metrics.score_pair, as the pair metrics), plus the NIR refits and the output's distance
to the per-frame (refit 1) output of the same fit.
python stream.py N_PAIRS "2,6,1;2,6,4;4,8,1;4,8,4" OUT.json [GAIN_AT (default 8)]"""
import json, os, sys, time
from pathlib import Path
import cv2, numpy as np
from sklearn.metrics import roc_auc_score
import cribwatch.color.runtime as R
from cribwatch.color.eval import changed_region
from cribwatch.color.metrics import score_pair
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.temporal import SequenceConfig, night_sequence
from cribwatch.io import read_rgb

cv2.setNumThreads(1)
n_pairs = int(sys.argv[1])
specs = [tuple(map(int, s.split(","))) for s in sys.argv[2].split(";")]
onnx = Path("cribwatch/weights/color_ssim_guided_slim_ev.onnx")
pairs = [p for p in load_pair_set(Path("data/pairs-val")) if p.target is not None][:n_pairs]

last = {}
_cp = R.change_probability
def _rec(stack, model):
    p = _cp(stack, model); last["p"] = p; return p
R.change_probability = _rec

rows = {s: {"z": [], "y": [], "changed": [], "static": [], "dcf": [], "refits": 0, "frames": 0, "diff": []} for s in specs}
t0 = time.time()
for i, pair in enumerate(pairs):
    target = read_rgb(pair.target)
    reference = read_rgb(pair.reference)
    pmask = changed_region(pair, reference, target)
    seq = night_sequence(target, np.random.default_rng([0, i]), SequenceConfig(gain_at=int(sys.argv[4]) if len(sys.argv) > 4 else 8))
    ref8 = (np.clip(reference, 0, 1) * 255 + 0.5).astype(np.uint8)
    outs = {}
    for s in specs:
        stride, rounds, refit = s
        rt = R.ColorRuntime(onnx, 1, R.RuntimeConfig(evidence_refit=refit, evidence_stride=stride, evidence_rounds=rounds))
        rt.set_reference(ref8)
        o = []
        for t, night in enumerate(seq.night):
            n8 = (np.clip(night, 0, 1) * 255 + 0.5).astype(np.uint8)
            out = rt(n8)
            o.append(out)
            ch = pmask | seq.object_mask[t]
            y = cv2.resize(ch.astype(np.float32), (128, 128), interpolation=cv2.INTER_AREA) > 0.5
            r = rows[s]
            r["z"].append(last["p"].ravel()); r["y"].append(y.ravel())
            sc = score_pair(out.astype(np.float32) / 255.0, seq.day[t], ch)
            r["changed"].append(sc.de00_changed); r["static"].append(sc.de00_static); r["dcf"].append(sc.dcf)
        rows[s]["refits"] += rt._evidence_state.refits
        rows[s]["frames"] += len(seq.night)
        outs[s] = o
    for s in specs:
        base = (s[0], s[1], 1)
        if base in outs and base != s:
            rows[s]["diff"].append(float(np.mean([np.abs(a.astype(np.int16) - b).mean() for a, b in zip(outs[s], outs[base])])))
    print(i, round(time.time() - t0), flush=True)

summary = {}
for s, r in rows.items():
    summary[",".join(map(str, s))] = {
        "auc": round(float(roc_auc_score(np.concatenate(r["y"]), np.concatenate(r["z"]))), 4),
        "de00_changed": round(float(np.nanmean(r["changed"])), 4),
        "de00_static": round(float(np.nanmean(r["static"])), 4),
        "dcf": round(float(np.nanmean(r["dcf"])), 4),
        "refits_per_frame": round(r["refits"] / r["frames"], 3),
        "mean_abs_u8_vs_refit1": round(float(np.mean(r["diff"])), 4) if r["diff"] else 0.0,
        "frames": r["frames"],
    }
out = {"pairs": len(pairs), "summary": summary, "load": os.getloadavg()}
json.dump(out, open(sys.argv[3], "w"), indent=1)
print(json.dumps(out, indent=1))
