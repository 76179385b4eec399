/* cw_infer.c - integer inference (see cw_infer.h). */
#include "cw_infer.h"

#include <math.h>
#include <stddef.h>

int8_t cw_requant(int32_t acc, int32_t mult, int rshift, int32_t zp, int32_t qmin, int32_t qmax)
{
    int64_t prod = (int64_t)acc * (int64_t)mult;
    int64_t mag = prod < 0 ? -prod : prod;
    int64_t v;
    mag = (mag + ((int64_t)1 << (rshift - 1))) >> rshift; /* half away from zero */
    v = (prod < 0 ? -mag : mag) + zp;
    if (v < qmin)
        v = qmin;
    if (v > qmax)
        v = qmax;
    return (int8_t)v;
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
        int32_t M = cw_rd_i32(L->mult + 4 * co);
        int rs = 31 + cw_rd_i32(L->shift + 4 * co);
        for (ci = 0; ci < cin; ci++)
            sumw += w[ci];
        base = cw_rd_i32(L->bias + 4 * co) - L->in_zp * sumw;
        for (p = 0; p < hw; p++) {
            const int8_t *xp = x + p;
            int32_t acc = base;
            for (ci = 0; ci < cin; ci++, xp += hw)
                acc += (int32_t)*xp * w[ci];
            y[co * hw + p] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
        }
    }
}

static void conv_general(const cw_layer *L, const int8_t *x, int8_t *y, int8_t *wk)
{
    const int H = L->in_h, W = L->in_w, kh = L->kh, kw = L->kw, s = L->stride, pad = L->pad;
    const int dw = L->groups != 1, cin_g = dw ? 1 : L->cin, k = cin_g * kh * kw;
    const int32_t zp = L->in_zp;
    int co, oy, ox, ci, ky, kx;
    for (co = 0; co < L->cout; co++) {
        const int8_t *w = channel_weights(L, co, k, wk);
        const int32_t b = cw_rd_i32(L->bias + 4 * co), M = cw_rd_i32(L->mult + 4 * co);
        const int rs = 31 + cw_rd_i32(L->shift + 4 * co);
        int8_t *yo = y + (long)co * L->out_h * L->out_w;
        for (oy = 0; oy < L->out_h; oy++) {
            for (ox = 0; ox < L->out_w; ox++) {
                int32_t acc = b;
                const int iy0 = oy * s - pad, ix0 = ox * s - pad;
                for (ci = 0; ci < cin_g; ci++) {
                    const int8_t *xc = x + (long)(dw ? co : ci) * H * W;
                    const int8_t *wc = w + ci * kh * kw;
                    for (ky = 0; ky < kh; ky++) {
                        const int iy = iy0 + ky;
                        if (iy < 0 || iy >= H)
                            continue;
                        for (kx = 0; kx < kw; kx++) {
                            const int ix = ix0 + kx;
                            if (ix < 0 || ix >= W)
                                continue;
                            acc += ((int32_t)xc[iy * W + ix] - zp) * wc[ky * kw + kx];
                        }
                    }
                }
                yo[oy * L->out_w + ox] = cw_requant(acc, M, rs, L->out_zp, L->qmin, L->qmax);
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
