"""Stage A: CNN scores of every window + YAMNet scores/embeddings where CNN >= 0.5 (valA, test, real)."""
import sys, time
from pathlib import Path
import numpy as np
from cribwatch.cry import eval as ev
from cribwatch.cry.dataset import load_set
from cribwatch.cry.stream import OnnxScorer
from cribwatch.cry.verifier_train import set_embeddings
from cribwatch.cry.api import DEFAULT_ONNX

def load_an(name):
    root = Path("data/cry") / name
    if name == "real":
        s = load_set(root)
        z = np.load(root / ".cache/sub-k1-analysis.npz")
        assert list(z["names"]) == s.files
        an = {f: ev.FileAnalysis(z[f"feat{i}"], float(z[f"dur{i}"]), z[f"power{i}"], z[f"f0{i}"], z[f"harm{i}"]) for i, f in enumerate(s.files)}
        return s, an
    return ev.load_and_analyse(root)

def cnn_scores(name, s, an):
    cp = Path("data/cry") / name / ".cache" / "i23-cnn.npz"
    if cp.is_file():
        z = np.load(cp)
        return {f: z[f"c{i}"] for i, f in enumerate(s.files)}
    ev.score_set(an, OnnxScorer(DEFAULT_ONNX))
    out = {f: an[f].scores.astype(np.float32) for f in s.files}
    np.savez(cp, **{f"c{i}": out[f] for i, f in enumerate(s.files)})
    return out

if __name__ == "__main__":
    for name in sys.argv[1:]:
        t = time.time()
        s, an = load_an(name)
        print(name, "loaded", time.time() - t, flush=True)
        c = cnn_scores(name, s, an)
        print(name, "cnn", time.time() - t, sum(len(v) for v in c.values()), sum(int((v >= 0.5).sum()) for v in c.values()), flush=True)
        sel = lambda f, n: np.asarray(c[f][:n] >= 0.5)
        set_embeddings(s, select=sel, tag="cnn>=0.5")
        print(name, "emb", time.time() - t, flush=True)
