import sys
sys.path.insert(0, "/work/plan/logs/i23h")
from common5 import *  # noqa  (SetData, NegData, cascade, two_tier, timely, row, CFG4, HEAD)
L6 = Path("/work/plan/logs/s4/i23")
HEADS = {"R4": HEAD, "H6": L6 / "head-h6.npz", "H6w": L6 / "head-h6w.npz"}
HORDER = {"R4": 0, "H6": 1, "H6w": 2}
def is4(q):
    return q["head"] == "R4" and q["fam"] == "A" and q["gate"] == 0.98 and q["th"] == 0.7 and q["k"] == 1 and q["n"] == 1 and q["t2"] is None
def key(q):
    return (q["timely"], -q["lat90"], q["nreal"], -q["fa"], is4(q), -HORDER[q["head"]], q["fam"] == "A", q["gate"], q["th"], q["t2"] or 0, -(q["k"] + q["n"]))
def system(q):
    """(scores-maker, cfg) of a grid row."""
    cfg = replace(CFG4, threshold=q["th"], k_on=q["k"], n_on=q["n"])
    if q["fam"] == "A":
        return (lambda c, v: cascade(c, v, q["gate"])), cfg
    return (lambda c, v: two_tier(c, v, q["gate"], q["t2"])), cfg
