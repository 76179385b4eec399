"""Cost of the change evidence at 640x480, one thread, configurations interleaved in one
process: blocks of BLOCK frames per configuration, rotated, ROUNDS rounds (after a warm-up
round), on the bundled demo pair resized to 640x480 (as runtime.bench_one).
1) the whole runtime frame (pre + model + post; pre holds the evidence): slim (no evidence),
   slim_ev with the fit (stride, rounds) and refit every 1 or 4 frames;
2) the evidence alone at 128x128 (stack + logistic; per frame, and the stream state).
python bench.py ROUNDS BLOCK OUT.json"""
import json, os, sys, time
from pathlib import Path
os.environ.setdefault("OMP_NUM_THREADS", "1")
import cv2, numpy as np
import cribwatch.color.evidence as ev
import cribwatch.color.runtime as R

cv2.setNumThreads(1)
rounds, block = int(sys.argv[1]), int(sys.argv[2])
W = Path("cribwatch/weights")
s = Path("cribwatch/demo/samples/color/00000")
night = cv2.resize(cv2.imread(str(s / "night.png"), 0), (640, 480), interpolation=cv2.INTER_LINEAR)
ref = cv2.resize(cv2.cvtColor(cv2.imread(str(s / "reference.png")), cv2.COLOR_BGR2RGB), (640, 480), interpolation=cv2.INTER_LINEAR)

def rt_of(m, cfg=None):
    r = R.ColorRuntime(W / m, 1, cfg); r.set_reference(ref); return r

rts = {
    "slim (no evidence)": rt_of("color_ssim_guided_slim.onnx"),
    "slim_ev 2,6 refit 1": rt_of("color_ssim_guided_slim_ev.onnx", R.RuntimeConfig(evidence_refit=1, evidence_stride=2, evidence_rounds=6)),
    "slim_ev 2,6 refit 4": rt_of("color_ssim_guided_slim_ev.onnx", R.RuntimeConfig(evidence_refit=4, evidence_stride=2, evidence_rounds=6)),
    "slim_ev 4,8 refit 1": rt_of("color_ssim_guided_slim_ev.onnx", R.RuntimeConfig(evidence_refit=1, evidence_stride=4, evidence_rounds=8)),
    "slim_ev 4,8 refit 4": rt_of("color_ssim_guided_slim_ev.onnx", R.RuntimeConfig(evidence_refit=4, evidence_stride=4, evidence_rounds=8)),
}
ev_rt = rts["slim_ev 2,6 refit 1"]
n = ev.resize_aa(cv2.LUT(night, R.F_TABLE), (128, 128)); r = ev_rt._ref["rgb"]
m = R.ssim_attention_map_np(n, None, ev_rt.ssim, ev_rt._ref["ssim_side"])
logi = ev_rt.evidence
states = {k: ev.EvidenceState(refit_every=4, stride=a, rounds=b) for k, (a, b) in {"2,6": (2, 6), "4,8": (4, 8)}.items()}
evs = {
    "evidence_stack 2,6 (per frame, no cache)": lambda: ev.change_probability(ev.evidence_stack(n, r, m, 2, 6), logi),
    "evidence_stack 4,8 (per frame, no cache)": lambda: ev.change_probability(ev.evidence_stack(n, r, m, 4, 8), logi),
    "EvidenceState 2,6 refit 1": (lambda st=ev.EvidenceState(1, stride=2, rounds=6): ev.change_probability(st.stack(n, r, m), logi)),
    "EvidenceState 2,6 refit 4": lambda: ev.change_probability(states["2,6"].stack(n, r, m), logi),
    "EvidenceState 4,8 refit 1": (lambda st=ev.EvidenceState(1, stride=4, rounds=8): ev.change_probability(st.stack(n, r, m), logi)),
    "EvidenceState 4,8 refit 4": lambda: ev.change_probability(states["4,8"].stack(n, r, m), logi),
}
tot = {k: [] for k in rts}; pre = {k: [] for k in rts}; evt = {k: [] for k in evs}
loads = [os.getloadavg()[0]]
t_start = time.strftime("%H:%M:%S", time.gmtime())
for rnd in range(rounds + 1):
    keys = list(rts); keys = keys[rnd % len(keys):] + keys[:rnd % len(keys)]
    for k in keys:
        for _ in range(block):
            mk = R.stage_marks(rts[k], night)
            if rnd:
                tot[k].append(1000 * (mk[-1][0] - mk[0][0])); pre[k].append(1000 * (mk[1][0] - mk[0][0]))
    ekeys = list(evs); ekeys = ekeys[rnd % len(ekeys):] + ekeys[:rnd % len(ekeys)]
    for k in ekeys:
        for _ in range(block):
            t0 = time.perf_counter(); evs[k](); dt = 1000 * (time.perf_counter() - t0)
            if rnd:
                evt[k].append(dt)
    loads.append(os.getloadavg()[0])
q = lambda v: {"p50": round(float(np.percentile(v, 50)), 3), "p90": round(float(np.percentile(v, 90)), 3), "n": len(v)}
out = {"start_utc": t_start, "end_utc": time.strftime("%H:%M:%S", time.gmtime()), "rounds": rounds, "block": block,
       "load_1min_min_max": [round(min(loads), 2), round(max(loads), 2)],
       "runtime_total_ms": {k: q(v) for k, v in tot.items()}, "runtime_pre_ms": {k: q(v) for k, v in pre.items()},
       "evidence_ms": {k: q(v) for k, v in evt.items()}}
json.dump(out, open(sys.argv[3], "w"), indent=1)
print(json.dumps(out, indent=1))
