"""Tiny conv change classifier on evidence stacks (train pairs only), AUC on validation:
python i26ev_cnn.py TRAIN.npz VAL.npz OUT.pt STEPS"""
import sys, time
import numpy as np, torch, torch.nn as nn
from sklearn.metrics import roc_auc_score
torch.set_num_threads(1); torch.manual_seed(0)
tr, va = np.load(sys.argv[1]), np.load(sys.argv[2])
def prep(x):
    return torch.from_numpy(np.log1p(np.abs(x)).astype(np.float32))
xt, yt = prep(tr["x"]), torch.from_numpy(tr["y"].astype(np.float32))[:, None]
xv, yv = prep(va["x"]), va["y"]
c = xt.shape[1]
net = nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(),
                    nn.Conv2d(16, 16, 3, padding=4, dilation=4), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=8, dilation=8), nn.ReLU(), nn.Conv2d(16, 1, 1))
opt = torch.optim.Adam(net.parameters(), 3e-3)
steps = int(sys.argv[4]); t0 = time.time()
g = torch.Generator().manual_seed(0)
for s in range(steps):
    i = torch.randint(0, len(xt), (8,), generator=g)
    oy, ox = torch.randint(0, 64, (2,), generator=g)
    xb, yb = xt[i, :, oy:oy + 64, ox:ox + 64], yt[i, :, oy:oy + 64, ox:ox + 64]
    if torch.rand(1, generator=g) < 0.5:
        xb, yb = xb.flip(-1), yb.flip(-1)
    loss = nn.functional.binary_cross_entropy_with_logits(net(xb), yb)
    opt.zero_grad(); loss.backward(); opt.step()
    if s % 200 == 0 or s == steps - 1:
        with torch.no_grad():
            z = net(xv).numpy()
        print(s, f"{time.time()-t0:.0f}s loss {loss.item():.3f} val AUC {roc_auc_score(yv.ravel(), z.ravel()):.3f}", flush=True)
torch.save(net.state_dict(), sys.argv[3])
