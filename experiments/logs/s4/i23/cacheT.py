"""Round 6 route 2 caches: ONNX YAMNet embeddings of every fit1 window; negatives' fit rows with file names
(training_rows' loop, same rng); valA windows the CNN scores >= 0.5 and their two predecessors."""
import sys, time
from functools import partial
from pathlib import Path
import numpy as np
sys.path.insert(0, "/work/plan/logs/i23e")
from stageA import load_an, cnn_scores
from cribwatch.cry import negatives as ng
from cribwatch.cry.api import DEFAULT_ONNX
from cribwatch.cry.audio import SR
from cribwatch.cry.dataset import load_set
from cribwatch.cry.stream import OnnxScorer
from cribwatch.cry.verifier_train import set_embeddings
from cribwatch.cry.yamnet import Yamnet, ONNX_WEIGHTS, window_patches
t = time.time()
def dil(m):
    m2 = m.copy(); m2[:-1] |= m[1:]; m2[:-2] |= m[2:]; return m2
for w in sys.argv[1:]:
    if w == "fit1":
        fit = load_set(Path("data/cry/fit1"))
        set_embeddings(fit, model=ONNX_WEIGHTS, select=None, tag="all")
    elif w == "negfit":
        first = OnnxScorer(DEFAULT_ONNX); yam = Yamnet(ONNX_WEIGHTS, embedding=True)
        files = [(fam, f) for fam, fl in ng.negative_files(Path("data/negatives"), "fit").items() for f in fl]
        rng = np.random.default_rng(1)
        xs, cs, fams, names = [], [], [], []
        for i, (fam, f) in enumerate(files):
            x = ng.render(f, rng)
            c = ng.first_stage_scores(x, first, 0.5) if x.shape[0] >= SR else np.zeros(0)
            p = window_patches(x, 8000, len(c)) if len(c) else np.zeros((0, 96, 64), np.float32)
            if len(p):
                s, e = yam.embed(p)
                xs.append(e.astype(np.float32)); cs.append(c[: len(p)]); fams += [fam] * len(p); names += [f.name] * len(p)
        np.savez("data/cry/negcache/fit_onnx6_ctx.npz", e=np.concatenate(xs), c=np.concatenate(cs), fam=np.array(fams), fname=np.array(names))
    else:
        s, an = load_an(w); c = cnn_scores(w, s, an)
        set_embeddings(s, model=ONNX_WEIGHTS, select=lambda f, n: dil(np.asarray(c[f][:n] >= 0.5)), tag="cnn>=0.5ctx2")
    print(w, "done", round(time.time() - t, 1), flush=True)
