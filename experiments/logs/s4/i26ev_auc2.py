"""AUC per evidence map on validation, and the logistic fitted on training pairs: python i26ev_auc2.py TRAIN.npz VAL.npz [features]"""
import sys, json
import numpy as np
from sklearn.metrics import roc_auc_score
from cribwatch.color.evidence import FEATURES, fit_logistic
tr, va = np.load(sys.argv[1]), np.load(sys.argv[2])
yv = va["y"].ravel()
for i, k in enumerate(FEATURES):
    print(f"{k:14s} AUC {roc_auc_score(yv, va['x'][:, i].ravel()):.3f}")
sel = [FEATURES.index(k) for k in sys.argv[3].split(",")] if len(sys.argv) > 3 else list(range(len(FEATURES)))
m = fit_logistic([s[sel] for s in tr["x"]], list(tr["y"]))
z = np.concatenate([m.logit(s[sel]).ravel() for s in va["x"]])
print("logistic", [FEATURES[i] for i in sel], f"AUC {roc_auc_score(yv, z):.3f}")
