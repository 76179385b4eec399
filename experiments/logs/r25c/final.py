"""Round 5 (issue 25): one candidate on the named sets, with 95% intervals (recall: Wilson;
false alarms per hour: exact Poisson; latency p50: order statistics)."""
import json, math, sys, time
from dataclasses import replace
import numpy as np
from scipy.stats import beta, binom, chi2
import cribwatch.rollover.eval as ev
from cribwatch.rollover.events import EventConfig
from cribwatch.rollover.learned import load
sys.path.insert(0, "/work/plan/logs/r25c")
from cands import EVENTS  # noqa: E402  (the same event settings as the validation run)

def wilson(k, n, z=1.96):
    if n == 0: return None
    p = k / n; d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d; h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(c - h, 3), round(c + h, 3)]

def poisson(k, hours):
    lo = 0.0 if k == 0 else chi2.ppf(0.025, 2 * k) / 2
    hi = chi2.ppf(0.975, 2 * k + 2) / 2
    return [round(lo / hours, 2), round(hi / hours, 2)]

def median_ci(x):
    x = sorted(x); n = len(x)
    if n < 6: return None
    lo = int(binom.ppf(0.025, n, 0.5)); hi = int(binom.isf(0.025, n, 0.5))
    return [round(x[max(lo - 1, 0)], 2), round(x[min(hi, n - 1)], 2)]

name, method, evn, sets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
model = load() if name == "shipped" else load(f"data/rollover/posture_{name}.pt")
ec = EVENTS[evn]
lat = {}
orig = ev._result
def capture(d, m, e, files, c):
    lat["x"] = list(c.latencies)
    return orig(d, m, e, files, c)
ev._result = capture
for s in sets:
    t0 = time.time()
    r = ev.evaluate("data/rollover/" + s, event_cfg=ec, method=method, model=model)
    n, k = r["to_prone_events"], (round(r["event_recall"] * r["to_prone_events"]) if r["event_recall"] is not None else 0)
    out = {"cand": name, "method": method, "events": evn, "set": s, "hours": r["hours"],
           "rolls": n, "found": k, "recall": r["event_recall"], "recall_ci": wilson(k, n),
           "false_alarms": r["false_alarms"], "fa_per_h": r["false_alarms_per_hour"],
           "fa_ci": poisson(r["false_alarms"], r["hours"]),
           "latency_p50_s": r["latency_p50_s"], "latency_p50_ci": median_ci(lat.get("x", [])),
           "latency_p90_s": r["latency_p90_s"], "face_not_visible": r["face_not_visible"],
           "secs": round(time.time() - t0, 1)}
    print(json.dumps(out), flush=True)
