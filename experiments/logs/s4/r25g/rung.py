"""The one held-out run on famg_quiet: default and the choice (names as in scan.py). Usage: rung.py CHOICE"""
import json, subprocess, sys
import numpy as np
from scipy.stats import chi2
choice = sys.argv[1]
names = "default (unbroken 2.5)|" + choice
subprocess.run([sys.executable, "/work/plan/logs/s4/r25g/scan.py", "famg_quiet",
                "/work/plan/logs/s4/r25g/scan_g.json", names], check=True)
r = json.load(open("/work/plan/logs/s4/r25g/scan_g.json"))
for c, d in r.items():
    v = d["famg_quiet"]
    k, h = v["false"], v["hours"]
    lo = chi2.ppf(0.025, 2 * k) / 2 / h if k else 0.0
    hi = chi2.ppf(0.975, 2 * k + 2) / 2 / h
    lat = v["lat"]
    print(f"{c}: recall {v['recall']:.3f} ({v['found']}/{v['episodes']}; {v['recall_ci'][0]:.2f}-{v['recall_ci'][1]:.2f}), "
          f"false {k} in {h:.1f} h = {k/h:.2f}/h ({lo:.2f}-{hi:.2f}), latency p50 {np.median(lat):.1f} s p90 {np.percentile(lat, 90):.1f} s")
