/* cw_infer.c - integer inference (see cw_infer.h). */
#include "cw_infer.h"

#include <math.h>
#include <stddef.h>

int8_t cw_requant(int32_t acc, int32_t mult, int rshift, int32_t zp, int32_t qmin, int32_t qmax)
{
    /* |acc * M| as an unsigned 32 x 32 -> 64 bit product (M > 0, |acc| < 2^31), then
     * round_half_away(|p| / 2^rshift) with the sign put back: the rule of
     * cribwatch.deploy.quantize.rounding_shift. For rshift > 32 only the high word matters:
     * (|p| + 2^(rshift-1)) >> rshift = (hi + 2^(rshift-33)) >> (rshift-32), all in 32 bits. */
    const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    const uint64_t p = (uint64_t)a * (uint32_t)mult;
    int64_t v;
    if (rshift > 32) { /* p < 2^62, so hi < 2^30 and everything fits 32 bits */
        const int r = rshift - 32;
        const uint32_t hi = (uint32_t)(p >> 32);
        const int32_t mag = (int32_t)((hi + (1u << (r - 1))) >> r);
        const int32_t v32 = (acc < 0 ? -mag : mag) + zp;
        return (int8_t)(v32 < qmin ? qmin : v32 > qmax ? qmax : v32);
    }
    v = (int64_t)((p + ((uint64_t)1 << (rshift - 1))) >> rshift);
    v = (acc < 0 ? -v : v) + zp;
    return (int8_t)(v < qmin ? qmin : v > qmax ? qmax : v);
}

/* weights of output channel `co` (k values) as int8 */
static const int8_t *channel_weights(const cw_layer *L, int co, int k, int8_t *wk)
{
    long j, base = (long)co * k;
    if (L->bits == 8)
        return (const int8_t *)(const void *)(L->w + base);
    for (j = 0; j < k; j++) {
        long t = base + j;
        int v = (L->w[t >> 1] >> ((t & 1) * 4)) & 15;
        wk[j] = (int8_t)(v > 7 ? v - 16 : v);
    }
    return wk;
}

#define REQ(L, c, acc) \
    cw_requant((acc), cw_rd_i32((L)->mult + 4 * (c)), 31 + cw_rd_i32((L)->shift + 4 * (c)), \
               (L)->out_zp, (L)->qmin, (L)->qmax)

static void conv_pointwise(const cw_layer *L, const int8_t *x, int8_t *y, int8_t *wk)
{
    const int hw = L->in_h * L->in_w, cin = L->cin;
    int co, ci, p;
    for (co = 0; co < L->cout; co++) {
        const int8_t *w = channel_weights(L, co, cin, wk);
        int32_t sumw = 0, base;
        const int32_t M = cw_rd_i32(L->mult + 4 * co);
        const int rs = 31 + cw_rd_i32(L->shift + 4 * co);
        int8_t *yo = y + (long)co * hw;
        for (ci = 0; ci < cin; ci++)
            sumw += w[ci];
        /* sum (x - zp) w = sum x w - zp sum w: the same integer, fewer operations */
        base = cw_rd_i32(L->bias + 4 * co) - L->in_zp * sumw;
        for (p = 0; p + 4 <= hw; p += 4) { /* four pixels per pass over the input channels */
            const int8_t *xp = x + p;
            int32_t a0 = base, a1 = base, a2 = base, a3 = base;
            for (ci = 0; ci < cin; ci++, xp += hw) {
                const int32_t wv = w[ci];
                a0 += xp[0] * wv;
                a1 += xp[1] * wv;
                a2 += xp[2] * wv;
                a3 += xp[3] * wv;
            }
            yo[p] = cw_requant(a0, M, rs, L->out_zp, L->qmin, L->qmax);
            yo[p + 1] = cw_requant(a1, M, rs, L->out_zp, L->qmin, L->qmax);
            yo[p + 2] = cw_requant(a2, M, rs, L->out_zp, L->qmin, L->qmax);
            yo[p + 3] = cw_requant(a3, M, rs, L->out_zp, L->qmin, L->qmax);
        }
        for (; p < hw; p++) {
            const int8_t *xp = x + p;
            int32_t acc = base;
            for (ci = 0; ci < cin; ci++, xp += hw)
                acc += (int32_t)*xp * w[ci];
            yo[p] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
        }
    }
}

/* one output of a general convolution at a border: the tap ranges are clipped to the input */
static int32_t conv_at(const cw_layer *L, const int8_t *x, const int8_t *w, int co, int oy, int ox)
{
    const int H = L->in_h, W = L->in_w, kh = L->kh, kw = L->kw;
    const int dw = L->groups != 1, cin_g = dw ? 1 : L->cin;
    const int iy0 = oy * L->stride - L->pad, ix0 = ox * L->stride - L->pad;
    const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + kh > H ? H - iy0 : kh;
    const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + kw > W ? W - ix0 : kw;
    const int32_t zp = L->in_zp;
    int32_t acc = 0;
    int ci, ky, kx;
    for (ci = 0; ci < cin_g; ci++) {
        const int8_t *xc = x + (long)(dw ? co : ci) * H * W;
        const int8_t *wc = w + ci * kh * kw;
        for (ky = ky0; ky < ky1; ky++) {
            const int8_t *xr = xc + (long)(iy0 + ky) * W + ix0;
            const int8_t *wr = wc + ky * kw;
            for (kx = kx0; kx < kx1; kx++)
                acc += ((int32_t)xr[kx] - zp) * wr[kx];
        }
    }
    return acc;
}

/* first output index whose taps all lie inside [0, n) along one axis, and one past the last */
static void interior(int n, int k, int s, int pad, int out, int *lo, int *hi)
{
    int a = (pad + s - 1) / s, b = n - k + pad < 0 ? 0 : (n - k + pad) / s + 1;
    *lo = a < out ? a : out;
    *hi = b < *lo ? *lo : b > out ? out : b;
}

static void conv_general(const cw_layer *L, const int8_t *x, int8_t *y, int8_t *wk)
{
    const int H = L->in_h, W = L->in_w, s = L->stride;
    const int dw = L->groups != 1, cin_g = dw ? 1 : L->cin, k = cin_g * L->kh * L->kw;
    const int fast = cin_g == 1 && L->kh == 3 && L->kw == 3;
    int co, oy, ox, y_lo, y_hi, x_lo, x_hi;
    interior(H, L->kh, s, L->pad, L->out_h, &y_lo, &y_hi);
    interior(W, L->kw, s, L->pad, L->out_w, &x_lo, &x_hi);
    for (co = 0; co < L->cout; co++) {
        const int8_t *w = channel_weights(L, co, k, wk);
        const int32_t b = cw_rd_i32(L->bias + 4 * co), M = cw_rd_i32(L->mult + 4 * co);
        const int rs = 31 + cw_rd_i32(L->shift + 4 * co);
        int8_t *yo = y + (long)co * L->out_h * L->out_w;
        for (oy = 0; oy < L->out_h; oy++) {
            const int inside_y = fast && oy >= y_lo && oy < y_hi;
            for (ox = 0; ox < L->out_w; ox++) {
                int32_t acc;
                if (inside_y && ox >= x_lo && ox < x_hi) {
                    break; /* the interior run is done below */
                }
                acc = b + conv_at(L, x, w, co, oy, ox);
                yo[oy * L->out_w + ox] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
            }
            if (inside_y && x_lo < x_hi) {
                /* 3x3, one input channel, all nine taps inside: weights in registers and
                 * sum (x - zp) w = sum x w - zp sum w */
                const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
                const int32_t w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
                const int32_t base = b - L->in_zp * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
                const int8_t *xc = x + (long)(dw ? co : 0) * H * W;
                const int8_t *r0 = xc + (long)(oy * s - L->pad) * W - L->pad;
                const int8_t *r1 = r0 + W, *r2 = r1 + W;
                for (ox = x_lo; ox < x_hi; ox++) {
                    const int c = ox * s;
                    const int32_t acc = base + r0[c] * w0 + r0[c + 1] * w1 + r0[c + 2] * w2 +
                                        r1[c] * w3 + r1[c + 1] * w4 + r1[c + 2] * w5 +
                                        r2[c] * w6 + r2[c + 1] * w7 + r2[c + 2] * w8;
                    yo[oy * L->out_w + ox] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
                }
                for (ox = x_hi; ox < L->out_w; ox++) {
                    const int32_t acc = b + conv_at(L, x, w, co, oy, ox);
                    yo[oy * L->out_w + ox] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
                }
            }
        }
    }
}

static void gap(const cw_layer *L, const int8_t *x, int8_t *y)
{
    const int hw = L->in_h * L->in_w;
    int c, p;
    for (c = 0; c < L->cin; c++) {
        int32_t acc = 0;
        for (p = 0; p < hw; p++)
            acc += (int32_t)x[c * hw + p] - L->in_zp;
        y[c] = REQ(L, 0, acc);
    }
}

static void fc(const cw_layer *L, const int8_t *x, int8_t *y, int8_t *wk)
{
    int co, ci;
    for (co = 0; co < L->cout; co++) {
        const int8_t *w = channel_weights(L, co, L->cin, wk);
        int32_t acc = cw_rd_i32(L->bias + 4 * co);
        for (ci = 0; ci < L->cin; ci++)
            acc += ((int32_t)x[ci] - L->in_zp) * w[ci];
        y[co] = REQ(L, co, acc);
    }
}

int8_t cw_infer(const cw_model *m, cw_infer_ws *ws, const int8_t *q0, cw_layer_cb cb, void *ctx)
{
    const int8_t *x = q0;
    int i, cur = 0;
    for (i = 0; i < m->n_layers; i++) {
        const cw_layer *L = &m->layers[i];
        int8_t *y = ws->act[cur];
        if (L->kind == CW_CONV) {
            if (L->kh == 1 && L->kw == 1 && L->stride == 1 && L->pad == 0 && L->groups == 1)
                conv_pointwise(L, x, y, ws->wk);
            else
                conv_general(L, x, y, ws->wk);
        } else if (L->kind == CW_GAP) {
            gap(L, x, y);
        } else {
            fc(L, x, y, ws->wk);
        }
        if (cb)
            cb(ctx, i, y, L->cout * L->out_h * L->out_w);
        x = y;
        cur ^= 1;
    }
    return x[0];
}

double cw_logit(const cw_model *m, int8_t q)
{
    const cw_layer *L = &m->layers[m->n_layers - 1];
    return ((double)q - (double)L->out_zp) * L->out_scale;
}

double cw_score(const cw_model *m, int8_t q) { return 1.0 / (1.0 + exp(-cw_logit(m, q))); }
