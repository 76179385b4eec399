import sys
sys.path.insert(0, "/work/plan/logs/i23g")
from common4 import *  # noqa

HEAD = Path("cribwatch/weights/cry_verifier_onnx.npz")
CFG4 = load_filter_config(None, HEAD)

def two_tier(c, v, gate_lo, t2, gate_hi=0.98):
    """(B): v where c >= gate_hi; v where gate_lo <= c < gate_hi and v >= t2; else 0."""
    out = {}
    for f in c:
        cc, vv = c[f], v[f]
        hi = cc >= gate_hi
        lo = (cc >= gate_lo) & ~hi & (vv >= t2)
        out[f] = np.where(hi | lo, vv, 0.0)
    return out

def timely(outs, lim=4.0):
    return sum(1 for o in outs if o.found and o.latency <= lim)

def row(r, outs):
    return dict(sens=r["sensitivity"], found=int(round(r["sensitivity"] * r["cries"])), real=r["sensitivity_real"],
                nreal=sum(1 for o in outs if o.found and o.source == "real"), synth=r["sensitivity_synth"],
                far=float(r["far_per_hour"]), fa=float(r["false_alarms"]), lat50=r["latency_p50_s"], lat90=r["latency_p90_s"],
                timely=timely(outs))
