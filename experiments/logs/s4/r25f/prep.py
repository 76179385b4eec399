"""Veto training frames per fit family (training sets only): veto features of judged frames,
label 1 = not prone (ground truth), the abrdo29 MLP's prone probability. Subsampled."""
import pickle, sys, time
import numpy as np
from cribwatch.rollover.events import frame_probabilities
from cribwatch.rollover.faceveto import veto_features
from cribwatch.rollover.learned import load
FAM = {"a": ["train", "train2", "train_quiet"], "b": ["trainb", "trainb_quiet"],
       "r": ["trainr", "trainr_quiet"], "o": ["traino", "traino_quiet"],
       "d": ["traind", "traind_quiet"], "c": ["trainc", "trainc_quiet"], "e": ["traine", "traine_quiet"]}
m = load("data/rollover/posture_abrdo29.pt")
for fam in sys.argv[1:]:
    t0 = time.time()
    X, Y, P, G = [], [], [], []
    for s in FAM[fam]:
        for name, q in pickle.load(open(f"data/rollover/cache7/{s}.pkl", "rb")):
            feat, p = frame_probabilities(q.kp, None, "learned", m)
            x, j = veto_features(q.kp, None, feat)
            post = np.array([str(z) for z in q.posture])
            y = (post != "prone")
            X.append(x[j]); Y.append(y[j]); P.append(np.nan_to_num(p[j, 2]))
    X = np.concatenate(X); Y = np.concatenate(Y); P = np.concatenate(P)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(Y))[:200000]
    np.savez(f"data/rollover/cache7/vetotrain_{fam}.npz", x=X[idx], y=Y[idx], p=P[idx])
    print(fam, len(Y), "judged; not prone", round(Y.mean(), 3), "hard(p>=0.2)", int((P >= 0.2).sum()),
          "hard not prone", round(Y[P >= 0.2].mean(), 3), round(time.time() - t0, 1), flush=True)
