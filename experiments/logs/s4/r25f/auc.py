"""Out-of-family discrimination of the veto on the hard frames (MLP prone >= 0.2): ROC AUC per left-out family."""
import sys
import numpy as np
sys.path.insert(0, "/work/plan/logs/s4/r25f")
from val import FAMS, fit, data
def auc(s, y):
    o = np.argsort(s); r = np.empty(len(s)); r[o] = np.arange(1, len(s) + 1)
    n1 = y.sum(); n0 = len(y) - n1
    return (r[y > 0].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
for var in ("hard", "all"):
    out = []
    for F in FAMS:
        m = fit([f for f in FAMS if f != F], var)
        x, y = data(F, "hard")  # scored on the frames that matter: MLP prone >= 0.2
        out.append(f"{F} {auc(m.logit(x), y):.3f} (not prone {y.mean():.3f})")
    print(var, "; ".join(out), flush=True)
