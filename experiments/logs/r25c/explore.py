"""Development (fit families a, b, r, c only): label-free side-passage cues before to_prone alerts."""
import csv, glob, json, sys, time
from collections import defaultdict
from dataclasses import replace
import numpy as np
from cribwatch.rollover.pose import read_sequence
from cribwatch.rollover.events import frame_probabilities, run_features, EventConfig
from cribwatch.rollover.learned import load
R = "data/rollover/"
EV = {"E0": EventConfig(), "E1": replace(EventConfig(), smooth_s=1.0, prone_dwell_s=1.5)}
name, method, evn, sets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
model = load() if name == "shipped" else load(f"{R}posture_{name}.pt")
W = 8.0
for s in sets:
    t0 = time.time()
    truth = defaultdict(list)
    for r in csv.DictReader(open(R + s + "/events.tsv"), delimiter="\t"):
        if r["event"] == "to_prone":
            truth[r["file"]].append(float(r["time"]))
    rows = []
    for f in sorted(glob.glob(R + s + "/*.jsonl")):
        seq = read_sequence(f)
        fn = f.split("/")[-1]
        feat, p = frame_probabilities(seq.kp, None, method, model)
        det = run_features(seq.t, feat, p, EV[evn])
        k = seq.kp
        rel = k[:, :, 2] >= 0.5
        aw = np.abs(feat.sw)
        ahw = np.abs(feat.hw)
        one = feat.valid & (rel[:, 5] ^ rel[:, 6])
        for e in det.events:
            if e.kind != "alert" or e.event != "to_prone":
                continue
            tp = any(e.time - 5 <= g <= e.time for g in truth[fn])
            i1 = int(round(e.time * seq.fps)); i0 = max(0, i1 - int(W * seq.fps))
            win = slice(i0, i1 + 1)
            a = aw[win]; a = a[~np.isnan(a)]
            h = ahw[win]; h = h[~np.isnan(h)]
            ps = p[win, 1]; ps = ps[~np.isnan(ps)]
            gt = seq.posture[i0:i1 + 1]
            rows.append({"set": s, "file": fn, "t": round(e.time, 2), "tp": tp,
                         "minsw": round(float(a.min()), 3) if len(a) else None,
                         "n_sw03": int((a < 0.3).sum()), "n_sw04": int((a < 0.4).sum()),
                         "minhw": round(float(h.min()), 3) if len(h) else None,
                         "n_one": int(one[win].sum()), "max_pside": round(float(ps.max()), 3) if len(ps) else None,
                         "n_pside5": int((ps > 0.5).sum()),
                         "gt_side": sum(1 for g in gt if g and g.startswith("side")),
                         "gt_first": gt[0] if gt else None})
    for r in rows:
        print(json.dumps(r), flush=True)
    print(json.dumps({"set": s, "done": round(time.time() - t0, 1)}), flush=True)
