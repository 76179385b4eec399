"""Round 4 caches: YAMNet ONNX (cry_yamnet_emb.onnx) scores + float embeddings (in EMBED_SCALE units)
of the same windows round 3 used: fit1 training windows, negatives fit rows (rng(1)), CNN>=0.5
windows of valA/test/ood/real, negatives val/test family recordings (seed 100+k)."""
import sys, time
from functools import partial
from pathlib import Path
import numpy as np
sys.path.insert(0, "/work/plan/logs/i23e")
from stageA import load_an, cnn_scores
from cribwatch.cry import negatives as ng
from cribwatch.cry.api import DEFAULT_ONNX
from cribwatch.cry.dataset import load_set
from cribwatch.cry.stream import OnnxScorer
from cribwatch.cry.verifier_train import set_embeddings, training_selection
from cribwatch.cry.yamnet import Yamnet, ONNX_WEIGHTS, window_patches
t = time.time()
M = ONNX_WEIGHTS
OUT = Path("data/cry/negcache")
which = sys.argv[1:]
for w in which:
    if w == "fit1":
        fit = load_set(Path("data/cry/fit1"))
        set_embeddings(fit, model=M, select=partial(training_selection, fit), tag="train-v2")
    elif w == "negfit":
        x, c, fams = ng.training_rows(Path("data/negatives"), OnnxScorer(DEFAULT_ONNX), Yamnet(M, embedding=True))
        np.savez(OUT / "fit_onnx.npz", x=x, c=c, fam=np.array(fams))
    elif w in ("valA", "test", "ood", "real"):
        s, an = load_an(w); c = cnn_scores(w, s, an)
        set_embeddings(s, model=M, select=lambda f, n: np.asarray(c[f][:n] >= 0.5), tag="cnn>=0.5")
    elif w in ("negval", "negtest"):
        split = w[3:]
        files = ng.negative_files(Path("data/negatives"), split)
        old = {**dict(np.load(OUT / f"{split}.npz")), **dict(np.load(OUT / f"{split}3.npz"))}
        yam = Yamnet(M, embedding=True); arrays = {}
        for k, (fam, fl) in enumerate(files.items()):
            x, spans = ng.family_recording(fl, seed=100 + k)
            c = old[f"{fam}/cnn"]
            p = window_patches(x, 8000, len(c))
            sel = np.flatnonzero(c >= 0.5); sel = sel[sel < len(p)]
            sc = np.zeros((len(c), 521), np.uint8); em = np.zeros((len(c), 1024), np.float32)
            if sel.size:
                s_, e_ = yam.embed(p[sel]); sc[sel] = np.clip(np.rint(s_ * 256), 0, 255); em[sel] = e_
            assert abs(x.shape[0] / 16000 - float(old[f"{fam}/dur"][0])) < 1e-6, fam
            for key in ("power", "f0", "harm", "cnn", "dur"):
                arrays[f"{fam}/{key}"] = old[f"{fam}/{key}"]
            arrays[f"{fam}/s"] = sc; arrays[f"{fam}/e"] = em
        np.savez(OUT / f"{split}_onnx.npz", **arrays)
    print(w, "done", round(time.time() - t, 1), flush=True)
