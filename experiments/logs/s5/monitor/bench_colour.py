"""`cribwatch monitor bench` (60 s, defaults) with the colour stage's alignment on or off, and
the monitor's final colour health added (status, choice, history). Usage: bench_colour.py on|off OUT.json"""
import dataclasses
import json
import os
import sys

import cribwatch.monitor.bench as b

mode, out = sys.argv[1], sys.argv[2]
CAP = []
_Orig, _Cfg = b.Monitor, b.MonitorConfig


class M(_Orig):
    def close(self):
        snap = super().close()
        CAP.append(snap)
        return snap


def cfg(**kw):
    return _Cfg(**kw, colour_align=(mode == "on"))


b.Monitor, b.MonitorConfig = M, cfg
res = b.bench(seconds=60.0)
h = CAP[0]["health"]
res["colour_align"] = mode == "on"
res["colour_health"] = {k: h.get(k) for k in ("colour", "colour_status", "colour_choice", "colour_history")}
with open(out, "w") as f:
    json.dump(res, f)
st = res["stages"]
print(mode, "load", res["load_avg_before"], "->", res["load_avg_after"], "fps", res["processed_fps"],
      "dropped", res["frames_dropped"], "color", st.get("color"), "color_align", st.get("color_align"),
      "pose", st.get("pose"), "status", res["colour_health"]["colour_status"],
      "rolls", res.get("rolls_alerted"), "cry", res["cry_alerts"])
