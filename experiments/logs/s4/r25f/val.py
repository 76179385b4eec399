"""Round 7 (issue 25): the learned face veto, leave-one-family-out.
For each fit family F the veto is fitted on the other six families' training frames (and
Platt-calibrated on out-of-family log-odds of those six, nested), then run on F's validation
sets with the abrdo29 MLP (`learned`) at each threshold and event setting.
usage: val.py VARIANT[,VARIANT] THRESHOLDS EVENTS [SETS]"""
import json, pickle, sys, time
from dataclasses import replace
from pathlib import Path
import numpy as np
import cribwatch.rollover.eval as ev
from cribwatch.rollover.events import EventConfig, frame_probabilities, run_features
from cribwatch.rollover import faceveto as fv
from cribwatch.rollover.learned import load
sys.path.insert(0, "/work/plan/logs/r25e")
from cands import EVENTS  # noqa: E402
FAMS = "abrodce"
SETS = {"a": ["vala_roll", "vala_quiet"], "b": ["famb_roll", "famb_quiet"], "r": ["famr_roll", "famr_quiet"],
        "o": ["famo_roll", "famo_quiet"], "d": ["famd_roll", "famd_quiet"], "c": ["famc_roll", "famc_quiet"],
        "e": ["fame_roll", "fame_quiet"]}
KEYS = ("hours", "to_prone_events", "event_recall", "false_alarms", "false_alarms_per_hour",
        "latency_p50_s", "latency_p90_s")
CAP = 60000
TR = {f: np.load(f"data/rollover/cache7/vetotrain_{f}.npz") for f in FAMS}

def data(f, variant):
    d = TR[f]
    keep = d["p"] >= 0.2 if variant.startswith("hard") else np.ones(len(d["y"]), bool)
    idx = np.flatnonzero(keep)[:CAP]  # prep's frames are already in random order
    return d["x"][idx], d["y"][idx].astype(float)

def fit(fams, variant):
    x = np.concatenate([data(f, variant)[0] for f in fams]); y = np.concatenate([data(f, variant)[1] for f in fams])
    l2 = 1e-2 if variant.endswith("s") else 1e-3
    # balance classes on the hard subset (not-prone frames dominate everywhere else)
    wt = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    return fv.fit_logistic(x, y, l2=l2, weight=wt)

def fold_model(out, variant):
    fams = [f for f in FAMS if f != out]
    m = fit(fams, variant)
    # nested out-of-family calibration over the six
    lg, yy = [], []
    for g in fams:
        mg = fit([f for f in fams if f != g], variant)
        x, y = data(g, variant)
        lg.append(mg.logit(x)); yy.append(y)
    m.calib = fv.fit_platt(np.concatenate(lg), np.concatenate(yy))
    return m

if __name__ == "__main__":
    variants = sys.argv[1].split(","); ths = [float(v) for v in sys.argv[2].split(",")]
    evs = sys.argv[3].split(","); only = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    mlp = load("data/rollover/posture_abrdo29.pt")
    for variant in variants:
        for F in FAMS:
            sets = [s for s in SETS[F] if only is None or s in only]
            if not sets:
                continue
            t0 = time.time(); vm = fold_model(F, variant.split("+")[0])
            print(json.dumps({"variant": variant, "fold": F, "calib": vm.calib.round(3).tolist(),
                              "fit_s": round(time.time() - t0, 1)}), flush=True)
            for s in sets:
                d = Path("data/rollover/" + s); truth = ev._read_truth(d)
                cache = []
                for fn, q in pickle.load(open(f"data/rollover/cache7/{s}.pkl", "rb")):
                    feat, p = frame_probabilities(q.kp, None, "learned", mlp)
                    x, j = fv.veto_features(q.kp, None, feat)
                    pv = np.zeros(len(j)); pv[j] = vm.prob(x[j])
                    cache.append((fn, q, feat, p, j, pv))
                for th in ths:
                    for en in evs:
                        ec = EVENTS[en]; c = ev._Counts()
                        if "+win" in variant:
                            w, q = variant.split("+win")[1].split(":")
                            ec = replace(ec, veto_window_s=float(w), veto_frac=float(q))
                        for fn, q, feat, p, j, pv in cache:
                            pp = p.copy()
                            feat.veto = np.zeros(0, dtype=bool)
                            if th > 0 and "+win" in variant:
                                feat.veto = j & (pv >= th)  # the tracker's windowed vote decides
                            elif th > 0 and variant.endswith("+entry"):
                                feat.veto = j & (pv >= th)  # the tracker applies it outside prone
                            elif th > 0:
                                v = j & (pv >= th)
                                side = v & (np.nan_to_num(pp[:, 1]) > np.nan_to_num(pp[:, 0]))
                                sup = v & ~side
                                pp[sup, 0] += pp[sup, 2]; pp[side, 1] += pp[side, 2]; pp[v, 2] = 0.0
                            c.seconds += float(q.t[-1] - q.t[0]) + 1.0 / q.fps
                            det = run_features(q.t, feat, pp, ec)
                            ev._score_file(q, det, fn, truth, ec, ev.EvalConfig(), c)
                        r = ev._result(d, "learned", ec, len(cache), c)
                        print(json.dumps({"variant": variant, "th": th, "events": en, "set": s,
                                          **{k: r.get(k) for k in KEYS}}), flush=True)
                print(json.dumps({"set": s, "secs": round(time.time() - t0, 1)}), flush=True)
