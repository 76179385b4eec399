import json, sys, numpy as np, cv2
from pathlib import Path
from PIL import Image
from scipy.ndimage import gaussian_filter
def g(rgb):
    y = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    b = gaussian_filter(y.astype(np.float64), 2.0)
    return float(np.hypot(cv2.Sobel(b, cv2.CV_64F, 1, 0, ksize=3), cv2.Sobel(b, cv2.CV_64F, 0, 1, ksize=3)).mean())
vals = []
for p in sorted(Path('data/test-scenes').iterdir()):
    im = Image.open(p).convert('RGB'); w, h = im.size
    if w / h > 4 / 3: cw, ch = round(h * 4 / 3), h
    else: cw, ch = w, round(w * 3 / 4)
    im = im.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)).resize((320, 240), Image.LANCZOS)
    vals.append(g(np.asarray(im, np.float32) / 255))
v = np.array(vals); print('opencv photos n', len(v), 'p5/10/25/50', np.round(np.percentile(v, [5, 10, 25, 50]), 4))
rows = [json.loads(l) for l in open('/work/plan/logs/s4/i26/diag_tune.jsonl')]
gr = np.array([r['g_ref'] for r in rows]); e = np.array([r['err1'] for r in rows]); e8 = np.array([r['err8'] for r in rows])
print('tune refs p5/10/25/50', np.round(np.percentile(gr, [5, 10, 25, 50]), 4))
for t in [0.03, 0.04, 0.05, 0.06]:
    s = gr >= t; print('g_ref>=', t, 'n', s.sum(), 'fail K1', round(float((e[s] > 3).mean()), 3), 'K8', round(float((e8[s] > 3).mean()), 3), 'p90 K1', round(float(np.percentile(e[s], 90)), 1), 'K8', round(float(np.percentile(e8[s], 90)), 1))
