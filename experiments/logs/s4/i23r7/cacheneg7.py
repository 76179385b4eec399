"""Round 7: features of the negatives' test part per family (round 7's recordings included; seed 100 + family index):
board CNN scores, analysis, ONNX YAMNet embeddings on windows the CNN scores >= 0.5 and their two predecessors. No scoring."""
import sys, time
from pathlib import Path
import numpy as np
from cribwatch.cry import negatives as ng
from cribwatch.cry.api import DEFAULT_ONNX
from cribwatch.cry.stream import OnnxScorer
from cribwatch.cry.postprocess import block_powers, pitch_frames
from cribwatch.cry.yamnet import Yamnet, ONNX_WEIGHTS, window_patches
t = time.time()
cnn = OnnxScorer(DEFAULT_ONNX); yam = Yamnet(ONNX_WEIGHTS, embedding=True)
split = sys.argv[1]
files = ng.negative_files(Path("data/negatives"), split); arrays = {}
for k, (fam, fl) in enumerate(files.items()):
    x, spans = ng.family_recording(fl, seed=100 + k)
    c = ng.first_stage_scores(x, cnn, 0.5)
    f0, harm = pitch_frames(x)
    p = window_patches(x, 8000, len(c))
    m = c >= 0.5; m2 = m.copy(); m2[:-1] |= m[1:]; m2[:-2] |= m[2:]; m2[len(p):] = False
    sel = np.flatnonzero(m2)
    sc = np.zeros((len(c), 521), np.uint8); em = np.zeros((len(c), 1024), np.float32)
    if sel.size:
        s_, e_ = yam.embed(p[sel]); sc[sel] = np.clip(np.rint(s_ * 256), 0, 255); em[sel] = e_
    arrays.update({f"{fam}/power": block_powers(x), f"{fam}/f0": f0, f"{fam}/harm": harm, f"{fam}/cnn": c,
                   f"{fam}/s": sc, f"{fam}/e": em, f"{fam}/dur": np.array([x.shape[0] / 16000]),
                   f"{fam}/files": np.array([n for _, _, n in spans])})
    print(split, fam, len(fl), round(x.shape[0] / 16000 / 60, 1), "min", round(time.time() - t), flush=True)
np.savez(f"data/cry/negcache/{split}_onnx7.npz", **arrays)
print("done", round(time.time() - t), flush=True)
