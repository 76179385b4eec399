import numpy as np, cv2
from cribwatch.color import align as A

def lin(x):
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)

def feats(rgb):
    l = lin(rgb)
    return np.dstack([l, l.max(axis=2)]).astype(np.float32)

def basis(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = (x - w / 2) / w; y = (y - h / 2) / w
    return np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], -1)

def warpf(F, m, h, w):
    out = np.dstack([cv2.warpPerspective(F[..., k], m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) for k in range(F.shape[2])])
    cov = cv2.warpPerspective(np.ones(F.shape[:2], np.float32), m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) > 0.99
    return out, cov

def fit(nl, Fw, cov, B, keep=0.7, rounds=3):
    """nl ~ d + V(x) * (Fw @ c), V = B @ v. Returns template T=(nl-d)/V, c, inlier mask, r."""
    h, w = nl.shape
    sel = cov.copy()
    V = np.ones((h, w), np.float32)
    c = None
    for rd in range(rounds):
        for _ in range(2):
            X = np.concatenate([Fw[sel] * V[sel][:, None], np.ones((sel.sum(), 1), np.float32)], 1)
            sol, *_ = np.linalg.lstsq(X, nl[sel], rcond=None)
            c, d = sol[:-1], sol[-1]
            P = Fw @ c
            X2 = B[sel] * P[sel][:, None]
            v, *_ = np.linalg.lstsq(X2, nl[sel] - d, rcond=None)
            V = np.clip(B @ v, 0.05, None).astype(np.float32)
            s = V.mean(); V /= s
        pred = d + V * (Fw @ c) * s
        res = np.abs(nl - pred)
        res = cv2.GaussianBlur(res.astype(np.float32), (0, 0), 3)
        thr = np.quantile(res[cov], keep)
        sel = cov & (res <= thr)
    T = ((nl - d) / V).astype(np.float32)
    pw = (Fw @ c).astype(np.float32)
    a, b = T[sel] - T[sel].mean(), pw[sel] - pw[sel].mean()
    r = float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-12))
    return T, c, sel, r

def refine(n_w, rgb_w, m3, outer=3, keep=0.7, gauss=5, iters=100):
    """n_w night grey at work size, rgb_w reference at work size, m3 work-level map."""
    h, w = n_w.shape
    nl = lin(cv2.GaussianBlur(n_w, (0, 0), 1.0))
    F = feats(rgb_w)
    B = basis(h, w)
    m = m3.copy()
    r = -1
    for _ in range(outer):
        Fw, cov = warpf(F, m, h, w)
        if cov.mean() < 0.3:
            return m, -1.0
        T, c, sel, r = fit(nl, Fw, cov, B, keep)
        P = (F @ c).astype(np.float32)
        init = (m / m[2, 2]).astype(np.float32)[:2].copy()
        try:
            _, out = cv2.findTransformECC(T, P, init, cv2.MOTION_AFFINE,
                                          (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, iters, 1e-6),
                                          (sel * 255).astype(np.uint8), gauss)
        except cv2.error:
            break
        mm = A._to3(np.asarray(out, np.float64))
        if not np.all(np.isfinite(mm)):
            break
        m = mm
    Fw, cov = warpf(F, m, h, w)
    T, c, sel, r = fit(nl, Fw, cov, B, keep)
    return m, r
