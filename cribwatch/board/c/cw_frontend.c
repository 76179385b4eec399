/* cw_frontend.c - streaming log-mel front end (see cw_frontend.h). */
#include "cw_frontend.h"

#include <math.h>
#include <string.h>

void cw_fe_reset(cw_fe *fe)
{
    memset(fe->ring, 0, sizeof fe->ring);
    fe->ring_pos = 0;
    fe->total = 0;
    fe->next_end = (uint64_t)fe->m->win;
    fe->frame_index = 0;
    fe->frames_done = 0;
}

void cw_fe_init(cw_fe *fe, const cw_model *m)
{
    int i, nw = 0;
    fe->m = m;
    for (i = 0; i < m->win; i++)
        fe->win_q[i] = (int16_t)cw_rd_i32(m->window_q + 4 * i);
    for (i = 0; i < m->n_mels; i++)
        nw += m->mel_count[i];
    for (i = 0; i < nw; i++)
        fe->mel_q[i] = (uint16_t)cw_rd_i32(m->mel_q + 4 * i);
    for (i = 0; i < CW_LUT_N; i++)
        fe->lut[i] = cw_rd_i32(m->lut + 4 * i);
    for (i = 0; i <= m->s_max; i++)
        fe->eps_q[i] = (uint64_t)cw_rd_i64(m->eps_q + 8 * i);
    for (i = 0; i < m->n_fft / 2; i++) {
        int b, r = 0;
        for (b = 1; b < m->n_fft / 2; b <<= 1)
            r = (r << 1) | ((i & b) != 0);
        fe->rev[i] = (uint16_t)r;
    }
    /* the one twiddle table (Q30 in the blob), as Q15 */
    fe->tw_n = m->tw_n;
    for (i = 0; i < m->tw_n / 2; i++) {
        const int32_t re = cw_rd_i32(m->tw_re + 4 * i), im = cw_rd_i32(m->tw_im + 4 * i);
        fe->tw15_re[i] = (re + (1 << 14)) >> 15;
        fe->tw15_im[i] = (im + (1 << 14)) >> 15;
    }
    cw_fe_reset(fe);
}

/* b * w in Q15, per component (fixedfront.py step 3) */
#define QMUL(br, bi, wr, wi, tr, ti)                          \
    do {                                                      \
        (tr) = ((br) * (wr) - (bi) * (wi) + (1 << 14)) >> 15; \
        (ti) = ((br) * (wi) + (bi) * (wr) + (1 << 14)) >> 15; \
    } while (0)

/* Two radix-2 stages (lengths L and 2L) in one pass over z (interleaved re, im), their
 * scalings sa and sb (0 or 1) constant in every call, so that the compiler folds them. */
#if defined(__GNUC__)
#define CW_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define CW_ALWAYS_INLINE inline
#endif
static CW_ALWAYS_INLINE void fft_pair(int32_t *z, int n, int len, const int32_t *tw_re,
                            const int32_t *tw_im, int tw_stride, const int sa, const int sb)
{
    const int h = len >> 1, step1 = (n / len) * tw_stride, step2 = step1 >> 1;
    const int H2 = 2 * h, L2 = 2 * len;
    int k;
    for (k = 0; k < h; k++) {
        const int32_t w1r = tw_re[k * step1], w1i = tw_im[k * step1];
        const int32_t w2r = tw_re[k * step2], w2i = tw_im[k * step2];
        const int32_t w3r = tw_re[(k + h) * step2], w3i = tw_im[(k + h) * step2];
        int32_t *p = z + 2 * k, *const end = z + 2 * n;
        for (; p < end; p += 2 * L2) {
            int32_t *const pb = p + H2, *const pc = p + L2, *const pd = pc + H2;
            const int32_t ar = p[0], ai = p[1], br = pb[0], bi = pb[1];
            int32_t cr = pc[0], ci = pc[1], dr = pd[0], di = pd[1];
            int32_t tr, ti, a2r, a2i, b2r, b2i;
            QMUL(br, bi, w1r, w1i, tr, ti);
            b2r = (ar - tr + sa) >> sa, b2i = (ai - ti + sa) >> sa;
            a2r = (ar + tr + sa) >> sa, a2i = (ai + ti + sa) >> sa;
            QMUL(dr, di, w1r, w1i, tr, ti);
            dr = (cr - tr + sa) >> sa, di = (ci - ti + sa) >> sa;
            cr = (cr + tr + sa) >> sa, ci = (ci + ti + sa) >> sa;
            QMUL(cr, ci, w2r, w2i, tr, ti);
            p[0] = (a2r + tr + sb) >> sb, p[1] = (a2i + ti + sb) >> sb;
            pc[0] = (a2r - tr + sb) >> sb, pc[1] = (a2i - ti + sb) >> sb;
            QMUL(dr, di, w3r, w3i, tr, ti);
            pb[0] = (b2r + tr + sb) >> sb, pb[1] = (b2i + ti + sb) >> sb;
            pd[0] = (b2r - tr + sb) >> sb, pd[1] = (b2i - ti + sb) >> sb;
        }
    }
}

/* The scaled integer FFT of n complex points z (interleaved re, im; fixedfront.py
 * _fft_scaled), its input already in bit-reversed order: twiddles Q15 from a table for size
 * n * tw_stride; the stages after the first `unscaled` halve every output ((x + 1) >> 1).
 * Stages 1 and 2 (twiddles 1 and -i) in one pass, then the others two at a time: the same
 * butterflies, half the loads and stores. */
static void fft_q(int32_t *z, int n, const int32_t *tw_re, const int32_t *tw_im, int tw_stride,
                  int unscaled)
{
    int i, k, len, stage;
    if (n >= 4) {
        const int s1 = unscaled < 1, s2 = unscaled < 2;
        for (i = 0; i < 2 * n; i += 8) {
            int32_t *const q = z + i;
            const int32_t x0r = q[0], x0i = q[1], x1r = q[2], x1i = q[3];
            const int32_t x2r = q[4], x2i = q[5], x3r = q[6], x3i = q[7];
            const int32_t y0r = (x0r + x1r + s1) >> s1, y0i = (x0i + x1i + s1) >> s1;
            const int32_t y1r = (x0r - x1r + s1) >> s1, y1i = (x0i - x1i + s1) >> s1;
            const int32_t y2r = (x2r + x3r + s1) >> s1, y2i = (x2i + x3i + s1) >> s1;
            const int32_t y3r = (x2r - x3r + s1) >> s1, y3i = (x2i - x3i + s1) >> s1;
            q[0] = (y0r + y2r + s2) >> s2;
            q[1] = (y0i + y2i + s2) >> s2;
            q[4] = (y0r - y2r + s2) >> s2;
            q[5] = (y0i - y2i + s2) >> s2;
            q[2] = (y1r + y3i + s2) >> s2; /* y3 * -i = (y3i, -y3r) */
            q[3] = (y1i - y3r + s2) >> s2;
            q[6] = (y1r - y3i + s2) >> s2;
            q[7] = (y1i + y3r + s2) >> s2;
        }
        len = 8, stage = 3;
    } else {
        const int s1 = unscaled < 1;
        for (i = 0; i + 1 < n; i += 2) { /* n == 2 */
            const int32_t ar = z[2 * i], ai = z[2 * i + 1], br = z[2 * i + 2], bi = z[2 * i + 3];
            z[2 * i] = (ar + br + s1) >> s1;
            z[2 * i + 1] = (ai + bi + s1) >> s1;
            z[2 * i + 2] = (ar - br + s1) >> s1;
            z[2 * i + 3] = (ai - bi + s1) >> s1;
        }
        len = 2 * n, stage = 2;
    }
    for (; 2 * len <= n; len <<= 2, stage += 2) { /* stages of lengths L and 2L */
        if (stage > unscaled)
            fft_pair(z, n, len, tw_re, tw_im, tw_stride, 1, 1);
        else if (stage + 1 > unscaled)
            fft_pair(z, n, len, tw_re, tw_im, tw_stride, 0, 1);
        else
            fft_pair(z, n, len, tw_re, tw_im, tw_stride, 0, 0);
    }
    if (len <= n) { /* one stage left */
        const int half = len >> 1, step = (n / len) * tw_stride, sa = stage > unscaled;
        for (k = 0; k < half; k++) {
            const int32_t wr = tw_re[k * step], wi = tw_im[k * step];
            int32_t *p = z + 2 * k, *const end = z + 2 * n;
            for (; p < end; p += 2 * len) {
                int32_t *const q = p + 2 * half;
                const int32_t ar = p[0], ai = p[1], br = q[0], bi = q[1];
                int32_t tr, ti;
                QMUL(br, bi, wr, wi, tr, ti);
                q[0] = (ar - tr + sa) >> sa, q[1] = (ai - ti + sa) >> sa;
                p[0] = (ar + tr + sa) >> sa, p[1] = (ai + ti + sa) >> sa;
            }
        }
    }
}

/* position of the highest set bit of v > 0 */
static int msb64(uint64_t v)
{
    int r = 0;
    uint32_t x = (uint32_t)(v >> 32);
    if (x)
        r = 32;
    else
        x = (uint32_t)v;
    if (x >> 16) {
        x >>= 16;
        r += 16;
    }
    if (x >> 8) {
        x >>= 8;
        r += 8;
    }
    if (x >> 4) {
        x >>= 4;
        r += 4;
    }
    if (x >> 2) {
        x >>= 2;
        r += 2;
    }
    return r + (int)(x >> 1);
}

/* Q16 log2 of v >= 1: the highest bit, then log2(1 + f) from the table, linearly */
static int32_t log2_q16(uint64_t v, const int32_t *lut)
{
    const int e = msb64(v);
    const int32_t norm = (int32_t)(e >= 16 ? v >> (e - 16) : v << (16 - e));
    const int32_t f = norm - 65536, seg = f >> 9;
    const int32_t c0 = lut[seg], c1 = lut[seg + 1];
    return (e << 16) + f + c0 + (((c1 - c0) * (f - (seg << 9))) >> 9);
}

/* acc + sum_b p[b] w[b] over n > 0 taps, in 64 bits. On a MIPS32 (before release 6) the sum
 * stays in HI/LO (maddu); gcc moves it to and from the general registers every tap. */
static CW_ALWAYS_INLINE uint64_t mel_dot(uint64_t acc, const uint32_t *p, const uint16_t *w,
                                         int n)
{
#if defined(__GNUC__) && defined(__mips__) && !defined(__mips16) && defined(__mips_isa_rev) \
    && __mips_isa_rev >= 1 && __mips_isa_rev < 6
    uint32_t lo = (uint32_t)acc, hi = (uint32_t)(acc >> 32), a, b;
    const uint32_t *const end = p + n;
    __asm__("mtlo %[lo]\n\t"
            "mthi %[hi]\n"
            "1:\n\t"
            "lw %[a], 0(%[p])\n\t"
            "lhu %[b], 0(%[w])\n\t"
            "addiu %[p], %[p], 4\n\t"
            "addiu %[w], %[w], 2\n\t"
            "maddu %[a], %[b]\n\t"
            "bne %[p], %[end], 1b\n\t"
            "mflo %[lo]\n\t"
            "mfhi %[hi]"
            : [lo] "+r"(lo), [hi] "+r"(hi), [a] "=&r"(a), [b] "=&r"(b), [p] "+r"(p), [w] "+r"(w)
            : [end] "r"(end)
            : "hi", "lo", "memory");
    return ((uint64_t)hi << 32) | lo;
#else
    int b;
    for (b = 0; b < n; b++)
        acc += (uint64_t)p[b] * (uint32_t)w[b];
    return acc;
#endif
}

static void compute_frame(cw_fe *fe)
{
    const cw_model *m = fe->m;
    const int win = m->win, h = m->n_fft / 2, nb = h + 1;
    const int stride = fe->tw_n / m->n_fft;
    int i, k, off = 0, s = 0, sh;
    int32_t mx = 0, rnd;
    const int16_t *x = fe->ring + fe->ring_pos; /* the frame, oldest sample first */
    /* block shift: the largest s <= s_max with max|x| << s <= 32768 */
    for (i = 0; i < win; i++) {
        const int32_t a = x[i] < 0 ? -(int32_t)x[i] : x[i];
        mx = a > mx ? a : mx;
    }
    while (s < m->s_max && (mx << (s + 1)) <= 32768)
        s++;
    sh = m->vshift - s;
    rnd = (int32_t)1 << (sh - 1);
    /* windowed, packed as z[j] = v[2j] + i v[2j+1], straight into bit-reversed order */
    for (k = 0; 2 * k + 1 < win; k++) {
        int32_t *const q = fe->z + 2 * fe->rev[k];
        q[0] = ((int32_t)x[2 * k] * fe->win_q[2 * k] + rnd) >> sh;
        q[1] = ((int32_t)x[2 * k + 1] * fe->win_q[2 * k + 1] + rnd) >> sh;
    }
    if (win & 1) { /* an odd window: its last sample, then zeros */
        fe->z[2 * fe->rev[k]] = ((int32_t)x[2 * k] * fe->win_q[2 * k] + rnd) >> sh;
        fe->z[2 * fe->rev[k] + 1] = 0;
        k++;
    }
    for (; k < h; k++) { /* zero padding */
        fe->z[2 * fe->rev[k]] = 0;
        fe->z[2 * fe->rev[k] + 1] = 0;
    }
    fft_q(fe->z, h, fe->tw15_re, fe->tw15_im, 2 * stride, m->unscaled);
    {
        const int32_t e = (fe->z[0] + fe->z[1]) >> 1, o = (fe->z[0] - fe->z[1]) >> 1;
        fe->pw[0] = (uint32_t)e * (uint32_t)e;
        fe->pw[h] = (uint32_t)o * (uint32_t)o;
    }
    /* bins k and h - k from the same two points Z[k], Z[h-k] (each bin's integers as alone) */
    for (k = 1; 2 * k <= h; k++) {
        const int32_t zr = fe->z[2 * k], zi = fe->z[2 * k + 1];
        const int32_t yr = fe->z[2 * (h - k)], yi = fe->z[2 * (h - k) + 1];
        {
            const int32_t er = (zr + yr) >> 1, ei = (zi - yi) >> 1;
            const int32_t or_ = (zi + yi) >> 1, oi = (yr - zr) >> 1;
            const int32_t wr = fe->tw15_re[k * stride], wi = fe->tw15_im[k * stride];
            const int32_t xr = (er + ((wr * or_ - wi * oi + (1 << 14)) >> 15)) >> 1;
            const int32_t xi = (ei + ((wr * oi + wi * or_ + (1 << 14)) >> 15)) >> 1;
            fe->pw[k] = (uint32_t)xr * (uint32_t)xr + (uint32_t)xi * (uint32_t)xi;
        }
        if (2 * k < h) {
            const int32_t er = (yr + zr) >> 1, ei = (yi - zi) >> 1;
            const int32_t or_ = (yi + zi) >> 1, oi = (zr - yr) >> 1;
            const int32_t wr = fe->tw15_re[(h - k) * stride], wi = fe->tw15_im[(h - k) * stride];
            const int32_t xr = (er + ((wr * or_ - wi * oi + (1 << 14)) >> 15)) >> 1;
            const int32_t xi = (ei + ((wr * oi + wi * or_ + (1 << 14)) >> 15)) >> 1;
            fe->pw[h - k] = (uint32_t)xr * (uint32_t)xr + (uint32_t)xi * (uint32_t)xi;
        }
    }
    (void)nb;
    for (i = 0; i < m->n_mels; i++) {
        uint64_t acc = fe->eps_q[s];
        const uint16_t *w = fe->mel_q + off;
        const uint32_t *p = fe->pw + m->mel_start[i];
        int32_t t, u;
        if (m->mel_count[i] > 0)
            acc = mel_dot(acc, p, w, m->mel_count[i]);
        off += m->mel_count[i];
        t = log2_q16(acc, fe->lut) - (s << 17);
        u = (int32_t)(((int64_t)t * m->a_q + m->c_q + ((int64_t)1 << 31)) >> 32);
        fe->lq[i] = t;
        fe->u8[i] = (uint8_t)(u < 0 ? 0 : u > 255 ? 255 : u);
        fe->logmel[i] = (float)(((double)t / 65536.0 - m->log2g) * 0.69314718055994530942);
    }
}

size_t cw_fe_push(cw_fe *fe, const int16_t *pcm, size_t n, int *ready)
{
    size_t i = 0;
    const int win = fe->m->win;
    *ready = 0;
    while (i < n) {
        /* copy a run (up to the frame's end and the ring's wrap) into both copies */
        const uint64_t left = fe->next_end - fe->total;
        size_t run = n - i;
        const int pos = fe->ring_pos;
        if ((uint64_t)run > left)
            run = (size_t)left;
        if (run > (size_t)(win - pos))
            run = (size_t)(win - pos);
        memcpy(fe->ring + pos, pcm + i, run * sizeof *pcm);
        memcpy(fe->ring + pos + win, pcm + i, run * sizeof *pcm);
        i += run;
        fe->ring_pos = pos + (int)run == win ? 0 : pos + (int)run;
        fe->total += run;
        if (fe->total == fe->next_end) {
            compute_frame(fe);
            fe->frame_index = fe->frames_done++; /* (total - win) / hop */
            fe->next_end += (uint64_t)fe->m->hop;
            *ready = 1;
            break;
        }
    }
    return i;
}
