/* cw_infer.c - integer inference (see cw_infer.h). */
#include "cw_infer.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* |acc * M| as an unsigned 32 x 32 -> 64 bit product (M > 0, |acc| < 2^31), then
 * round_half_away(|p| / 2^rshift) with the sign put back: the rule of
 * cribwatch.deploy.quantize.rounding_shift. For rshift > 32 only the high word matters:
 * (|p| + 2^(rshift-1)) >> rshift = (hi + 2^(rshift-33)) >> (rshift-32), all in 32 bits. */
static inline int8_t requant(int32_t acc, uint32_t mult, int rshift, int32_t zp, int32_t qmin,
                             int32_t qmax)
{
    const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    const uint64_t p = (uint64_t)a * mult;
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

/* the same for rshift > 32 (every layer of the shipped models), with r = rshift - 32 and
 * add = 2^(r-1) precomputed: only the high word of the product, all in 32 bits */
static inline int8_t requant_hi(int32_t acc, uint32_t mult, int r, uint32_t add, int32_t zp,
                                int32_t qmin, int32_t qmax)
{
    const uint32_t a = acc < 0 ? 0u - (uint32_t)acc : (uint32_t)acc;
    const uint32_t hi = (uint32_t)(((uint64_t)a * mult) >> 32);
    const int32_t mag = (int32_t)((hi + add) >> r);
    int32_t v = (acc < 0 ? -mag : mag) + zp;
    v = v < qmin ? qmin : v;
    return (int8_t)(v > qmax ? qmax : v);
}

/* requantize n int32 accumulators of one output channel */
static inline void requant_row(const int32_t *acc, int n, int8_t *y, uint32_t M, int rs, int32_t zp,
                        int32_t qmin, int32_t qmax)
{
    int i;
    if (rs > 32) {
        const int r = rs - 32;
        const uint32_t add = 1u << (r - 1);
        for (i = 0; i < n; i++)
            y[i] = requant_hi(acc[i], M, r, add, zp, qmin, qmax);
    } else {
        for (i = 0; i < n; i++)
            y[i] = requant(acc[i], M, rs, zp, qmin, qmax);
    }
}

int8_t cw_requant(int32_t acc, int32_t mult, int rshift, int32_t zp, int32_t qmin, int32_t qmax)
{
    return requant(acc, (uint32_t)mult, rshift, zp, qmin, qmax);
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

#if defined(__GNUC__)
#define CW_NOINLINE __attribute__((noinline))
#else
#define CW_NOINLINE
#endif

#define MULT(L, c) ((uint32_t)cw_rd_i32((L)->mult + 4 * (c)))
#define RSH(L, c) (31 + cw_rd_i32((L)->shift + 4 * (c)))
#define REQ(L, c, acc) requant((acc), MULT(L, c), RSH(L, c), (L)->out_zp, (L)->qmin, (L)->qmax)

/* one output channel of a pointwise convolution, four pixels per pass */
static void pw_one(const cw_layer *L, const int8_t *x, int8_t *yo, const int8_t *w, int co)
{
    const int hw = L->in_h * L->in_w, cin = L->cin;
    const int32_t zp = L->out_zp, qmin = L->qmin, qmax = L->qmax;
    const uint32_t M = MULT(L, co);
    const int rs = RSH(L, co);
    int32_t sumw = 0, base;
    int ci, p;
    for (ci = 0; ci < cin; ci++)
        sumw += w[ci];
    /* sum (x - zp) w = sum x w - zp sum w: the same integer, fewer operations */
    base = cw_rd_i32(L->bias + 4 * co) - L->in_zp * sumw;
    for (p = 0; p + 4 <= hw; p += 4) {
        const int8_t *xp = x + p;
        int32_t a0 = base, a1 = base, a2 = base, a3 = base;
        for (ci = 0; ci < cin; ci++, xp += hw) {
            const int32_t wv = w[ci];
            a0 += xp[0] * wv;
            a1 += xp[1] * wv;
            a2 += xp[2] * wv;
            a3 += xp[3] * wv;
        }
        yo[p] = requant(a0, M, rs, zp, qmin, qmax);
        yo[p + 1] = requant(a1, M, rs, zp, qmin, qmax);
        yo[p + 2] = requant(a2, M, rs, zp, qmin, qmax);
        yo[p + 3] = requant(a3, M, rs, zp, qmin, qmax);
    }
    for (; p < hw; p++) {
        const int8_t *xp = x + p;
        int32_t acc = base;
        for (ci = 0; ci < cin; ci++, xp += hw)
            acc += (int32_t)*xp * w[ci];
        yo[p] = requant(acc, M, rs, zp, qmin, qmax);
    }
}

/* 2 output channels x 4 pixels of a pointwise convolution: six loads for eight products
 * (kept out of line so that its accumulators stay in registers) */
CW_NOINLINE static void pw_block(const int8_t *xp, int hw, const int8_t *w0, const int8_t *w1,
                                 int cin, int32_t b0, int32_t b1, int32_t *acc)
{
    int32_t a0 = b0, a1 = b0, a2 = b0, a3 = b0;
    int32_t c0 = b1, c1 = b1, c2 = b1, c3 = b1;
    const int8_t *const we = w0 + cin;
    while (w0 < we) {
        const int32_t u = *w0++, v = *w1++;
        const int32_t x0 = xp[0], x1 = xp[1], x2 = xp[2], x3 = xp[3];
        xp += hw;
        a0 += x0 * u;
        a1 += x1 * u;
        a2 += x2 * u;
        a3 += x3 * u;
        c0 += x0 * v;
        c1 += x1 * v;
        c2 += x2 * v;
        c3 += x3 * v;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    acc[4] = c0, acc[5] = c1, acc[6] = c2, acc[7] = c3;
}

static void conv_pointwise(const cw_layer *L, const int8_t *x, int8_t *y, int8_t *wk)
{
    int32_t acc8[8];
    const int hw = L->in_h * L->in_w, cin = L->cin;
    const int32_t zp = L->out_zp, qmin = L->qmin, qmax = L->qmax;
    int co = 0, ci, p;
    if (L->bits == 8) {
        /* two output channels by four pixels per pass over the input channels: six loads
         * for eight products */
        for (; co + 2 <= L->cout; co += 2) {
            const int8_t *w0 = (const int8_t *)(const void *)(L->w + (long)co * cin);
            const int8_t *w1 = w0 + cin;
            const uint32_t M0 = MULT(L, co), M1 = MULT(L, co + 1);
            const int r0 = RSH(L, co), r1 = RSH(L, co + 1);
            int32_t s0 = 0, s1 = 0, b0, b1;
            int8_t *y0 = y + (long)co * hw, *y1 = y0 + hw;
            for (ci = 0; ci < cin; ci++) {
                s0 += w0[ci];
                s1 += w1[ci];
            }
            b0 = cw_rd_i32(L->bias + 4 * co) - L->in_zp * s0;
            b1 = cw_rd_i32(L->bias + 4 * (co + 1)) - L->in_zp * s1;
            for (p = 0; p + 4 <= hw; p += 4) {
                pw_block(x + p, hw, w0, w1, cin, b0, b1, acc8);
                requant_row(acc8, 4, y0 + p, M0, r0, zp, qmin, qmax);
                requant_row(acc8 + 4, 4, y1 + p, M1, r1, zp, qmin, qmax);
            }
            for (; p < hw; p++) {
                const int8_t *xp = x + p;
                int32_t a = b0, c = b1;
                for (ci = 0; ci < cin; ci++, xp += hw) {
                    a += (int32_t)*xp * w0[ci];
                    c += (int32_t)*xp * w1[ci];
                }
                y0[p] = requant(a, M0, r0, zp, qmin, qmax);
                y1[p] = requant(c, M1, r1, zp, qmin, qmax);
            }
        }
    }
    for (; co < L->cout; co++)
        pw_one(L, x, y + (long)co * hw, channel_weights(L, co, cin, wk), co);
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

/* channel `c` of x (H x W) into ws->pad with `p` rows and columns of the input zero point
 * around it: padding by the zero point is zero in the real domain, so every 3x3 output is
 * then an interior one. */
static void pad_channel(const cw_layer *L, const int8_t *xc, int8_t *P)
{
    const int H = L->in_h, W = L->in_w, p = L->pad, PW = W + 2 * p;
    int r;
    memset(P, (int)(int8_t)L->in_zp, (size_t)((H + 2 * p) * PW));
    for (r = 0; r < H; r++)
        memcpy(P + (long)(r + p) * PW + p, xc + (long)r * W, (size_t)W);
}

/* one output channel of a 3x3 convolution over a padded channel P (width PW): weights in
 * registers, sum (x - zp) w = sum x w - zp sum w, the columns shared by neighbouring outputs
 * loaded once; a row of accumulators, then its requantization */
CW_NOINLINE static void conv3_padded(const cw_layer *L, const int8_t *P, const int8_t *w, int co,
                                     int8_t *yo, int32_t *acc, int oy0, int oy1)
{
    const int s = L->stride, PW = L->in_w + 2 * L->pad, OW = L->out_w;
    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];
    const int32_t w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    const int32_t base = cw_rd_i32(L->bias + 4 * co) -
                         L->in_zp * (w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + w8);
    const uint32_t M = MULT(L, co);
    const int rs = RSH(L, co);
    int oy, ox;
    for (oy = oy0, yo += (long)oy0 * OW; oy < oy1; oy++, yo += OW) {
        const int8_t *r0 = P + (long)oy * s * PW, *r1 = r0 + PW, *r2 = r1 + PW;
        if (s == 1) {
            int32_t a0 = r0[0], b0 = r1[0], c0 = r2[0], a1 = r0[1], b1 = r1[1], c1 = r2[1];
            for (ox = 0; ox < OW; ox++) {
                const int32_t a2 = r0[ox + 2], b2 = r1[ox + 2], c2 = r2[ox + 2];
                acc[ox] = base + a0 * w0 + a1 * w1 + a2 * w2 + b0 * w3 + b1 * w4 + b2 * w5 +
                          c0 * w6 + c1 * w7 + c2 * w8;
                a0 = a1, b0 = b1, c0 = c1;
                a1 = a2, b1 = b2, c1 = c2;
            }
        } else if (s == 2) {
            int32_t a0 = r0[0], b0 = r1[0], c0 = r2[0];
            for (ox = 0; ox < OW; ox++) {
                const int k = 2 * ox;
                const int32_t a1 = r0[k + 1], b1 = r1[k + 1], c1 = r2[k + 1];
                const int32_t a2 = r0[k + 2], b2 = r1[k + 2], c2 = r2[k + 2];
                acc[ox] = base + a0 * w0 + a1 * w1 + a2 * w2 + b0 * w3 + b1 * w4 + b2 * w5 +
                          c0 * w6 + c1 * w7 + c2 * w8;
                a0 = a2, b0 = b2, c0 = c2;
            }
        } else {
            for (ox = 0; ox < OW; ox++) {
                const int k = s * ox;
                acc[ox] = base + r0[k] * w0 + r0[k + 1] * w1 + r0[k + 2] * w2 + r1[k] * w3 +
                          r1[k + 1] * w4 + r1[k + 2] * w5 + r2[k] * w6 + r2[k + 1] * w7 +
                          r2[k + 2] * w8;
            }
        }
        requant_row(acc, OW, yo, M, rs, L->out_zp, L->qmin, L->qmax);
    }
}

/* the padded 3x3 path applies to L */
static int padded_path(const cw_layer *L)
{
    const int cin_g = L->groups != 1 ? 1 : L->cin;
    return cin_g == 1 && L->kh == 3 && L->kw == 3 && L->out_w <= CW_MAX_ROW &&
           (long)(L->in_h + 2 * L->pad) * (L->in_w + 2 * L->pad) <= CW_MAX_PAD;
}

/* A general convolution; output rows [keep_lo, keep_hi) are already in y (see cw_infer_ex)
 * and are not computed again (keep_lo >= keep_hi: none). */
static void conv_general(const cw_layer *L, const int8_t *x, int8_t *y, cw_infer_ws *ws,
                         int keep_lo, int keep_hi)
{
    const int H = L->in_h, W = L->in_w, dw = L->groups != 1, cin_g = dw ? 1 : L->cin;
    const int k = cin_g * L->kh * L->kw, ohw = L->out_h * L->out_w;
    int co, oy, ox;
    if (padded_path(L)) {
        if (keep_lo >= keep_hi)
            keep_lo = keep_hi = L->out_h;
        for (co = 0; co < L->cout; co++) {
            const int8_t *w = channel_weights(L, co, k, ws->wk);
            int8_t *yo = y + (long)co * ohw;
            if (co == 0 || dw)
                pad_channel(L, x + (long)(dw ? co : 0) * H * W, ws->pad);
            conv3_padded(L, ws->pad, w, co, yo, ws->row, 0, keep_lo);
            conv3_padded(L, ws->pad, w, co, yo, ws->row, keep_hi, L->out_h);
        }
        return;
    }
    for (co = 0; co < L->cout; co++) {
        const int8_t *w = channel_weights(L, co, k, ws->wk);
        const int32_t b = cw_rd_i32(L->bias + 4 * co);
        int8_t *yo = y + (long)co * ohw;
        for (oy = 0; oy < L->out_h; oy++)
            for (ox = 0; ox < L->out_w; ox++)
                yo[oy * L->out_w + ox] = REQ(L, co, b + conv_at(L, x, w, co, oy, ox));
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

/* Rows of layer 0's output that window k+1 shares with window k when its input starts `shift`
 * frames later: output row r reads input rows [r s - pad, r s - pad + kh), so the new row r
 * equals the old row r + shift / s when neither touches the padding. Sets [*lo, *hi) and
 * returns the row shift, or 0 when nothing can be reused. */
static int shared_rows(const cw_layer *L, int shift, int *lo, int *hi)
{
    const int s = L->stride, rs = shift > 0 && shift % s == 0 ? shift / s : 0;
    const int first = (L->pad + s - 1) / s;             /* no top padding */
    const int lo_pad = (L->in_h - L->kh + L->pad) / s;  /* no bottom padding */
    const int last_old = lo_pad < L->out_h - 1 ? lo_pad : L->out_h - 1;
    *lo = first;
    *hi = last_old - rs + 1;
    if (L->kind != CW_CONV || !padded_path(L) || L->groups != 1 || rs == 0 || *hi <= *lo)
        return *lo = *hi = 0;
    return rs;
}

int8_t cw_infer_ex(const cw_model *m, cw_infer_ws *ws, const int8_t *q0, int shift,
                   cw_layer_cb cb, void *ctx)
{
    const int8_t *x = q0;
    int i, cur = 0;
    for (i = 0; i < m->n_layers; i++) {
        const cw_layer *L = &m->layers[i];
        int8_t *y = i == 0 ? ws->l0 : ws->act[cur];
        if (L->kind == CW_CONV) {
            int lo = 0, hi = 0;
            if (L->kh == 1 && L->kw == 1 && L->stride == 1 && L->pad == 0 && L->groups == 1) {
                conv_pointwise(L, x, y, ws->wk);
            } else {
                if (i == 0 && shared_rows(L, shift, &lo, &hi)) {
                    /* move the previous window's rows into place, channel by channel */
                    const int rs = shared_rows(L, shift, &lo, &hi), ow = L->out_w;
                    int c;
                    for (c = 0; c < L->cout; c++) {
                        int8_t *yc = y + (long)c * L->out_h * ow;
                        memmove(yc + (long)lo * ow, yc + (long)(lo + rs) * ow,
                                (size_t)(hi - lo) * (size_t)ow);
                    }
                }
                conv_general(L, x, y, ws, lo, hi);
            }
        } else if (L->kind == CW_GAP) {
            gap(L, x, y);
        } else {
            fc(L, x, y, ws->wk);
        }
        if (cb)
            cb(ctx, i, y, L->cout * L->out_h * L->out_w);
        x = y;
        if (i > 0)
            cur ^= 1;
    }
    return x[0];
}

int8_t cw_infer(const cw_model *m, cw_infer_ws *ws, const int8_t *q0, cw_layer_cb cb, void *ctx)
{
    return cw_infer_ex(m, ws, q0, 0, cb, ctx);
}

double cw_logit(const cw_model *m, int8_t q)
{
    const cw_layer *L = &m->layers[m->n_layers - 1];
    return ((double)q - (double)L->out_zp) * L->out_scale;
}

double cw_score(const cw_model *m, int8_t q) { return 1.0 / (1.0 + exp(-cw_logit(m, q))); }
