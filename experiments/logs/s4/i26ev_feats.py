"""Candidate change-evidence maps at model resolution (128x128) for pairs of a set, saved with
the true change mask: python i26ev_feats.py DATA N OUT.npz"""
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from skimage.metrics import structural_similarity

from cribwatch.color.eval import load_inputs
from cribwatch.color.lab import np_to_t, resize
from cribwatch.color.model import default_ssim_config, make_inputs
from cribwatch.color.pairs import load_pair_set

torch.set_num_threads(1)
S = 128


def lin(x):
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def gblur(x, s):
    return cv2.GaussianBlur(x, (0, 0), s, borderType=cv2.BORDER_REFLECT)


def residual_map(night, ref_rgb, trim=0.6, powers=(1.0, 1.5, 2.0, 2.5, 3.0), quad=False):
    """Robust per-image fit of the night frame from the reference's linear RGB (NIR response,
    vignetting as x/y polynomial gain, display gamma searched); |residual| / robust sigma."""
    h, w = night.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx = xx / (w - 1) * 2 - 1
    yy = yy / (h - 1) * 2 - 1
    l = lin(ref_rgb)
    mx = l.max(axis=2)
    phi = [l[..., 0], l[..., 1], l[..., 2], mx]
    sp = [np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy]
    cols = [p * s for p in phi for s in sp] + sp
    if quad:
        for i in range(4):
            for j in range(i, 4):
                cols.append(phi[i] * phi[j])
    X = np.stack([c.ravel() for c in cols], 1).astype(np.float64)
    best = None
    for pw in powers:
        t = (np.clip(night, 0, 1) ** pw).ravel().astype(np.float64)
        keep = np.ones(len(t), bool)
        for _ in range(4):
            coef, *_ = np.linalg.lstsq(X[keep], t[keep], rcond=None)
            r = t - X @ coef
            thr = np.quantile(np.abs(r), trim)
            keep = np.abs(r) <= thr
        sig = 1.4826 * np.median(np.abs(r[keep])) + 1e-6
        score = np.sqrt(np.mean(r[keep] ** 2)) / (t[keep].std() + 1e-6)
        if best is None or score < best[0]:
            best = (score, pw, r.reshape(h, w), (X @ coef).reshape(h, w), sig)
    return best


def census(x, r=2):
    out = []
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx == 0 and dy == 0:
                continue
            sh = np.roll(np.roll(x, dy, 0), dx, 1)
            out.append(sh > x)
    return np.stack(out, 0)


def feats(night, ref_rgb, smap):
    F = {}
    F["ssim_map"] = 1 - smap
    g_ref = ref_rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    nb = gblur(night, 0.7)
    # multi-scale SSIM (skimage) on globally standardised frames
    def std(x):
        return (x - x.mean()) / (x.std() + 1e-6) * 0.15 + 0.5
    a, b = std(nb), std(g_ref)
    ms = np.ones_like(a)
    for s in (1, 2, 4):
        aa = cv2.resize(a, (S // s, S // s), interpolation=cv2.INTER_AREA)
        bb = cv2.resize(b, (S // s, S // s), interpolation=cv2.INTER_AREA)
        _, m = structural_similarity(aa, bb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, full=True)
        m = cv2.resize(np.clip(m, 0, 1).astype(np.float32), (S, S), interpolation=cv2.INTER_LINEAR)
        F[f"ssim_s{s}"] = 1 - gblur(m, 2)
        ms = ms * np.clip(m, 1e-3, 1)
    F["msssim"] = 1 - gblur(ms, 2)
    # gradient orientation agreement
    gx1, gy1 = cv2.Sobel(nb, cv2.CV_32F, 1, 0), cv2.Sobel(nb, cv2.CV_32F, 0, 1)
    gb = gblur(g_ref, 0.7)
    gx2, gy2 = cv2.Sobel(gb, cv2.CV_32F, 1, 0), cv2.Sobel(gb, cv2.CV_32F, 0, 1)
    dot = gblur(gx1 * gx2 + gy1 * gy2, 2)
    n1 = gblur(gx1**2 + gy1**2, 2)
    n2 = gblur(gx2**2 + gy2**2, 2)
    F["grad_corr"] = 1 - np.abs(dot) / np.sqrt(n1 * n2 + 1e-6)
    # structure tensor agreement (orientation, sign free)
    def st(gx, gy):
        return gblur(gx * gx, 2), gblur(gy * gy, 2), gblur(gx * gy, 2)
    a11, a22, a12 = st(gx1, gy1)
    b11, b22, b12 = st(gx2, gy2)
    num = a11 * b11 + a22 * b22 + 2 * a12 * b12
    den = np.sqrt((a11**2 + a22**2 + 2 * a12**2) * (b11**2 + b22**2 + 2 * b12**2)) + 1e-9
    F["tensor_corr"] = 1 - num / den
    # gradient magnitude local NCC
    m1, m2 = np.sqrt(gx1**2 + gy1**2), np.sqrt(gx2**2 + gy2**2)
    mu1, mu2 = gblur(m1, 3), gblur(m2, 3)
    c = gblur(m1 * m2, 3) - mu1 * mu2
    v1 = gblur(m1 * m1, 3) - mu1**2
    v2 = gblur(m2 * m2, 3) - mu2**2
    F["gradmag_ncc"] = 1 - c / np.sqrt(np.clip(v1 * v2, 1e-12, None))
    # census distance
    cn, cr = census(nb), census(gb)
    F["census"] = gblur((cn != cr).mean(0).astype(np.float32), 2)
    # local intensity NCC
    mu1, mu2 = gblur(nb, 3), gblur(g_ref, 3)
    c = gblur(nb * g_ref, 3) - mu1 * mu2
    v1 = gblur(nb * nb, 3) - mu1**2
    v2 = gblur(g_ref * g_ref, 3) - mu2**2
    F["ncc"] = 1 - c / np.sqrt(np.clip(v1 * v2, 1e-12, None))
    # NIR prediction residual
    score, pw, r, pred, sig = residual_map(gblur(night, 0.7), gblur(ref_rgb, 0.7))
    ar = np.abs(r) / sig
    F["nir_resid"] = gblur(ar, 1.5)
    # tolerant: residual outside the 3x3 envelope of the prediction
    k = np.ones((3, 3), np.uint8)
    t = np.clip(gblur(night, 0.7), 0, 1) ** pw
    hi, lo = cv2.dilate(pred.astype(np.float32), k), cv2.erode(pred.astype(np.float32), k)
    env = np.maximum(0, np.maximum(t - hi, lo - t)) / sig
    F["nir_env"] = gblur(env.astype(np.float32), 1.5)
    F["nir_env3"] = gblur(env.astype(np.float32), 3)
    F["nir_resid_sq"] = np.sqrt(gblur((r / sig) ** 2, 2))
    rs = (r / sig).astype(np.float32)
    for s_ in (2, 4, 8):
        F[f"nir_signed{s_}"] = np.abs(gblur(rs, s_))
    envs = (np.sign(r) * env).astype(np.float32)
    for s_ in (3, 6):
        F[f"env_signed{s_}"] = np.abs(gblur(envs, s_))
    # second fit with quadratic colour terms
    score2, pw2, r2, pred2, sig2 = residual_map(gblur(night, 0.7), gblur(ref_rgb, 0.7), quad=True)
    rs2 = (r2 / sig2).astype(np.float32)
    for s_ in (2, 4, 8):
        F[f"quad_signed{s_}"] = np.abs(gblur(rs2, s_))
    return {k: v.astype(np.float32) for k, v in F.items()}, pw, score


def main():
    data, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    pairs = [p for p in load_pair_set(data) if p.target is not None][:n]
    stack, labels, names = [], [], None
    for i, p in enumerate(pairs):
        night, ref = load_inputs(p)
        n_t, r_t = np_to_t(np.clip(night, 0, 1)), np_to_t(ref)
        nl, rl, sm = make_inputs(n_t, r_t, S, default_ssim_config())
        n128 = resize(n_t, (S, S)).clamp(0, 1)[0, 0].numpy()
        r128 = resize(r_t, (S, S)).clamp(0, 1)[0].permute(1, 2, 0).numpy().copy()
        F, pw, sc = feats(n128.astype(np.float32), r128.astype(np.float32), sm[0, 0].numpy())
        names = list(F)
        stack.append(np.stack([F[k] for k in names], 0))
        m = np.asarray(Image.open(p.mask).convert("L").resize((S, S), Image.Resampling.BILINEAR)) > 127
        labels.append(m)
        print(i, p.id, f"pw {pw} fit {sc:.3f}", flush=True)
    np.savez_compressed(out, x=np.stack(stack), y=np.stack(labels), names=np.array(names))


main()
