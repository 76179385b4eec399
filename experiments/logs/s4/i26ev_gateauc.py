"""AUC of 1 - gate (network fed the evidence-fused map, or the SSIM map) as a detector of the
changed pixels, first N val pairs: python i26ev_gateauc.py N LOGISTIC.json W1 W2 ..."""
import json, sys
from pathlib import Path
import numpy as np, torch
from PIL import Image
from sklearn.metrics import roc_auc_score
from cribwatch.color.eval import load_inputs
from cribwatch.color.evidence import Logistic
from cribwatch.color.lab import np_to_t
from cribwatch.color.model import evidence_inputs, make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import load_net
torch.set_num_threads(1)
n_pairs = int(sys.argv[1]); lm = Logistic(**json.load(open(sys.argv[2])))
pairs = [p for p in load_pair_set(Path("data/pairs-val")) if p.target is not None][:n_pairs]
for w in sys.argv[3:]:
    net = load_net(Path(w)); s = net.model.cfg.size
    out = {"ssim": [], "fused": []}; ls = []; ps = []
    with torch.no_grad():
        for p in pairs:
            night, ref = load_inputs(p)
            n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
            nl, rl, sm = make_inputs(n_t, r_t, s, net.ssim_cfg)
            pr, fused = evidence_inputs(n_t, r_t, sm, lm, s)
            for k, m in (("ssim", sm), ("fused", fused)):
                _, g = net.model.forward_parts(nl, rl, m)
                out[k].append(g[0, 0].numpy().ravel())
            ps.append(pr[0, 0].numpy().ravel())
            ls.append((np.asarray(Image.open(p.mask).convert("L").resize((s, s), Image.Resampling.BILINEAR)) > 127).ravel())
    lab = np.concatenate(ls)
    print(w, "AUC(1-gate) with SSIM map", round(roc_auc_score(lab, -np.concatenate(out["ssim"])), 3),
          "with fused map", round(roc_auc_score(lab, -np.concatenate(out["fused"])), 3), "AUC(p)", round(roc_auc_score(lab, np.concatenate(ps)), 3), flush=True)
