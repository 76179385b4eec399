"""Runtime (ONNX, evidence from metadata) against the torch composition with the fused map, on val pairs."""
import json, sys
from pathlib import Path
import numpy as np, torch
from cribwatch.color.eval import load_inputs
from cribwatch.color.evidence import Logistic
from cribwatch.color.lab import compose, gray_to_l, np_to_t, t_to_np
from cribwatch.color.metrics import psnr
from cribwatch.color.model import evidence_inputs, make_inputs
from cribwatch.color.pairs import load_pair_set
from cribwatch.color.pipeline import PipelineConfig, _parts_hr, load_net
from cribwatch.color.runtime import ColorRuntime
torch.set_num_threads(1)
w, onnx_path = Path(sys.argv[1]), Path(sys.argv[2])
net = load_net(w); lm = Logistic(**net.meta["evidence"])
rt = ColorRuntime(onnx_path)
for p in [q for q in load_pair_set(Path("data/pairs-val"))][:4]:
    night, ref = load_inputs(p)
    n8 = np.round(night * 255).astype(np.uint8); r8 = np.round(ref * 255).astype(np.uint8)
    night, ref = n8 / 255.0, r8 / 255.0
    n, r = np_to_t(night.astype(np.float32)), np_to_t(ref.astype(np.float32))
    with torch.no_grad():
        nl, rl, sm = make_inputs(n, r, 128, net.ssim_cfg)
        _, fused = evidence_inputs(n, r, sm, lm, 128)
        ab, g = net.model.forward_parts(nl, rl, fused)
        l_hr = gray_to_l(n)
        a, gg, rab = _parts_hr(ab, g, r, l_hr, PipelineConfig())
        want = t_to_np(compose(l_hr, gg * rab + (1 - gg) * a))
    rt.set_reference(r8, n8.shape)
    got = rt(n8).astype(np.float32) / 255
    print(p.id, "PSNR runtime vs torch (fused map)", round(float(psnr(got, want)), 1))
