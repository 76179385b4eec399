import sys, time, json
from dataclasses import replace
from functools import partial
from pathlib import Path
import numpy as np
sys.path.insert(0, "/work/plan/logs/i23e")
from stageA import load_an, cnn_scores
from cribwatch.cry import eval as ev
from cribwatch.cry.api import load_filter_config, DEFAULT_ONNX
from cribwatch.cry.postprocess import WindowInfo, infos_from, cry_voiced, run_chain
from cribwatch.cry.dataset import load_set
from cribwatch.cry.pretrained import VerifierHead
from cribwatch.cry.verifier_train import set_embeddings, training_selection, training_windows, balance, train_verifier
from cribwatch.cry.yamnet import dequantize_embedding

CFG = load_filter_config(None, DEFAULT_ONNX)   # shipped chain

class SetData:
    def __init__(self, name):
        self.name = name
        self.s, self.an = load_an(name)
        self.c = cnn_scores(name, self.s, self.an)
        sel = lambda f, n: np.asarray(self.c[f][:n] >= 0.5)
        self.sc, self.em, self.m = set_embeddings(self.s, select=sel, tag="cnn>=0.5")
        self.base = {}
        for f, fa in self.an.items():
            n = len(self.c[f])
            self.base[f] = infos_from(np.zeros(n), fa.power, cry_voiced(fa.f0, fa.harm, CFG), CFG)
        self.dur = {f: a.duration for f, a in self.an.items()}

    def verifier(self, head):
        out = {}
        for f in self.s.files:
            v = np.zeros(len(self.c[f]))
            idx = np.flatnonzero(self.m[f][: len(v)])
            if idx.size:
                v[idx] = head(self.sc[f][idx] / 256.0, dequantize_embedding(self.em[f][idx]))
            out[f] = v
        return out

    def run(self, scores, cfg, sed=False):
        from cribwatch.cry.postprocess import low_threshold
        lo = low_threshold(cfg)
        dets = {}
        for f in self.s.files:
            sc = scores[f]
            if sc.size == 0 or sc.max() < lo:
                dets[f] = []
                continue
            infos = [WindowInfo(float(sv), b.level_db, b.voiced_share, b.voiced) for sv, b in zip(sc, self.base[f])]
            dets[f] = run_chain(infos, cfg)
        return ev.evaluate(self.s, dets, self.dur, with_sed=sed)

def cascade(c, v, gate):
    return {f: np.where(c[f] >= gate, v[f], 0.0) for f in c}

class NegData:
    """Per-family rendered recordings of the negatives split (val or test)."""
    def __init__(self, split):
        z = np.load(f"data/cry/negcache/{split}.npz")
        self.fams = sorted({k.split("/")[0] for k in z.files})
        self.d = {}
        for fam in self.fams:
            g = {k.split("/")[1]: z[k] for k in z.files if k.startswith(fam + "/")}
            base = infos_from(np.zeros(len(g["cnn"])), g["power"], cry_voiced(g["f0"], g["harm"], CFG), CFG)
            self.d[fam] = dict(c=g["cnn"], s=g["s"], e=g["e"], dur=float(g["dur"][0]), base=base, m=g["cnn"] >= 0.5)

    def fa(self, head, gate, cfg):
        """{family: (false alarms, hours)} of the cascade (head None: CNN alone)."""
        out = {}
        for fam, g in self.d.items():
            if head is None:
                sc = g["c"].astype(np.float64)
            else:
                v = np.zeros(len(g["c"]))
                idx = np.flatnonzero(g["m"])
                if idx.size:
                    v[idx] = head(g["s"][idx] / 256.0, dequantize_embedding(g["e"][idx]))
                sc = np.where(g["c"] >= gate, v, 0.0)
            infos = [WindowInfo(float(a), b.level_db, b.voiced_share, b.voiced) for a, b in zip(sc, g["base"])]
            evs = run_chain(infos, cfg)
            n = sum(1 + np.floor((e.offset - e.onset) / 5.0) for e in evs)
            out[fam] = (float(n), g["dur"] / 3600)
        return out
