/* cw_model.c - parse and validate the flat cry model blob (see cw_model.h). */
#include "cw_model.h"

#include <math.h>
#include <string.h>


const char *cw_strerror(int status)
{
    switch (status) {
    case CW_OK: return "ok";
    case CW_E_TRUNCATED: return "truncated model file";
    case CW_E_MAGIC: return "not a cribwatch cry model (bad magic)";
    case CW_E_VERSION: return "unsupported model version";
    case CW_E_CHECKSUM: return "checksum mismatch (corrupt model file)";
    case CW_E_FORMAT: return "inconsistent model file";
    case CW_E_CAPACITY: return "model larger than this runtime's compiled capacities";
    case CW_E_ARG: return "bad argument";
    default: return "unknown error";
    }
}

uint32_t cw_crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    uint32_t tab[16]; /* half-byte table: small, on the stack, no static state */
    size_t i;
    uint32_t k;
    for (k = 0; k < 16; k++) {
        uint32_t c = k;
        int j;
        for (j = 0; j < 4; j++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        tab[k] = c;
    }
    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ tab[crc & 15u];
        crc = (crc >> 4) ^ tab[crc & 15u];
    }
    return ~crc;
}

static uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int32_t cw_rd_i32(const uint8_t *p)
{
    uint32_t u = rd_u32(p);
    int32_t v;
    memcpy(&v, &u, 4);
    return v;
}

int64_t cw_rd_i64(const uint8_t *p)
{
    const uint64_t lo = (uint32_t)cw_rd_i32(p), hi = (uint32_t)cw_rd_i32(p + 4);
    return (int64_t)(lo | (hi << 32));
}

/* every little-endian i32 of p[0..n) in [lo, hi] */
static int range_i32(const uint8_t *p, size_t n, long lo, long hi)
{
    size_t i;
    if (!p)
        return 0;
    for (i = 0; i < n; i++) {
        const int32_t v = cw_rd_i32(p + 4 * i);
        if (v < lo || v > hi)
            return 0;
    }
    return 1;
}

double cw_rd_f64(const uint8_t *p)
{
    uint64_t u = (uint64_t)rd_u32(p) | ((uint64_t)rd_u32(p + 4) << 32);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* ------------------------------------------------------------------ bounded cursor */
typedef struct {
    const uint8_t *p;
    size_t n, off;
    int bad;
} cur_t;

static const uint8_t *take(cur_t *c, size_t n)
{
    const uint8_t *r;
    if (c->bad || n > c->n - c->off) {
        c->bad = 1;
        return NULL;
    }
    r = c->p + c->off;
    c->off += n;
    return r;
}

static uint32_t get_u32(cur_t *c)
{
    const uint8_t *p = take(c, 4);
    return p ? rd_u32(p) : 0u;
}

static int32_t get_i32(cur_t *c)
{
    const uint8_t *p = take(c, 4);
    return p ? cw_rd_i32(p) : 0;
}

static double get_f64(cur_t *c)
{
    const uint8_t *p = take(c, 8);
    return p ? cw_rd_f64(p) : 0.0;
}

/* an int field in [lo, hi] */
static int get_int(cur_t *c, long lo, long hi, int *ok)
{
    uint32_t u = get_u32(c);
    if ((long)(u & 0x7fffffffu) != (long)u || (long)u < lo || (long)u > hi)
        *ok = 0;
    return (int)(u & 0x7fffffffu);
}

static int is_pow2(int v) { return v > 0 && (v & (v - 1)) == 0; }

#define NEED(cond) \
    do { \
        if (!(cond)) \
            return CW_E_FORMAT; \
    } while (0)
#define FITS(cond) \
    do { \
        if (!(cond)) \
            return CW_E_CAPACITY; \
    } while (0)

static int parse_layer(cur_t *c, cw_layer *L)
{
    int ok = 1;
    uint32_t nb, nm, i;
    long nw, k;
    L->kind = get_int(c, 1, 3, &ok);
    L->bits = get_int(c, 4, 8, &ok);
    L->stride = get_int(c, 1, 8, &ok);
    L->pad = get_int(c, 0, 8, &ok);
    L->groups = get_int(c, 1, 65535, &ok);
    L->cin = get_int(c, 1, 65535, &ok);
    L->cout = get_int(c, 1, 65535, &ok);
    L->kh = get_int(c, 0, 15, &ok);
    L->kw = get_int(c, 0, 15, &ok);
    L->in_h = get_int(c, 1, 65535, &ok);
    L->in_w = get_int(c, 1, 65535, &ok);
    L->out_h = get_int(c, 1, 65535, &ok);
    L->out_w = get_int(c, 1, 65535, &ok);
    L->in_zp = get_i32(c);
    L->out_zp = get_i32(c);
    L->qmin = get_i32(c);
    L->qmax = get_i32(c);
    L->in_scale = get_f64(c);
    L->out_scale = get_f64(c);
    if (c->bad)
        return CW_E_FORMAT;
    NEED(ok);
    NEED(L->bits == 4 || L->bits == 8);
    NEED(L->in_zp >= -128 && L->in_zp <= 127 && L->out_zp >= -128 && L->out_zp <= 127);
    NEED(L->qmin >= -128 && L->qmin <= L->qmax && L->qmax <= 127);
    NEED(isfinite(L->in_scale) && L->in_scale > 0 && isfinite(L->out_scale) && L->out_scale > 0);
    nb = get_u32(c);
    NEED(nb <= 65535u);
    L->bias = take(c, 4u * nb);
    nm = get_u32(c);
    NEED(nm <= 65535u);
    L->mult = take(c, 4u * nm);
    L->shift = take(c, 4u * nm);
    L->w_bytes = get_u32(c);
    NEED(!c->bad && L->w_bytes <= (uint32_t)(c->n - c->off));
    L->w = take(c, L->w_bytes);
    take(c, (4u - (L->w_bytes & 3u)) & 3u);
    if (c->bad)
        return CW_E_FORMAT;
    for (i = 0; i < nm; i++) {
        int32_t M = cw_rd_i32(L->mult + 4 * i), s = cw_rd_i32(L->shift + 4 * i);
        NEED(M >= (1L << 30));
        NEED(s >= -30 && s <= 31);
    }
    if (L->kind == CW_GAP) {
        NEED(nb == 0 && nm == 1 && L->w_bytes == 0 && L->cout == L->cin && L->groups == 1);
        NEED(L->out_h == 1 && L->out_w == 1 && L->kh == 0 && L->kw == 0);
        FITS((long)L->in_h * L->in_w * 255L < 2147483647L);
        return CW_OK;
    }
    NEED(nb == (uint32_t)L->cout && nm == (uint32_t)L->cout);
    if (L->kind == CW_FC) {
        NEED(L->in_h == 1 && L->in_w == 1 && L->out_h == 1 && L->out_w == 1);
        NEED(L->kh == 1 && L->kw == 1 && L->groups == 1 && L->stride == 1 && L->pad == 0);
    } else {
        NEED(L->kh >= 1 && L->kw >= 1 && L->pad < L->kh && L->pad < L->kw);
        NEED(L->groups == 1 || (L->groups == L->cin && L->groups == L->cout));
        NEED(L->in_h + 2 * L->pad >= L->kh && L->in_w + 2 * L->pad >= L->kw);
        NEED(L->out_h == (L->in_h + 2 * L->pad - L->kh) / L->stride + 1);
        NEED(L->out_w == (L->in_w + 2 * L->pad - L->kw) / L->stride + 1);
    }
    k = (long)(L->cin / L->groups) * L->kh * L->kw;
    FITS(k <= CW_MAX_KSIZE);
    nw = (long)L->cout * k;
    NEED((long)L->w_bytes == (L->bits == 8 ? nw : (nw + 1) / 2));
    /* every int32 accumulator must fit: sum |w| * 255 + |bias| < 2^31 per output channel */
    for (i = 0; i < (uint32_t)L->cout; i++) {
        long j, sum = 0;
        int32_t b = cw_rd_i32(L->bias + 4 * i);
        for (j = (long)i * k; j < ((long)i + 1) * k; j++) {
            int v;
            if (L->bits == 8) {
                v = (int8_t)L->w[j];
            } else {
                v = (L->w[j >> 1] >> ((j & 1) * 4)) & 15;
                v = v > 7 ? v - 16 : v;
            }
            sum += v < 0 ? -v : v;
        }
        NEED(b > -(1L << 30) && b < (1L << 30));
        NEED(sum * 255L < (1L << 30));
    }
    return CW_OK;
}

int cw_model_load(cw_model *m, const uint8_t *blob, size_t len)
{
    cur_t c;
    const uint8_t *p;
    uint32_t total, crc, want;
    int ok = 1, i, st, nmw, h, w, ch;
    uint8_t zero[4] = {0, 0, 0, 0};

    if (!m || !blob)
        return CW_E_ARG;
    memset(m, 0, sizeof *m);
    if (len < 20)
        return len >= 8 && memcmp(blob, CW_MAGIC, 8) != 0 ? CW_E_MAGIC : CW_E_TRUNCATED;
    if (memcmp(blob, CW_MAGIC, 8) != 0)
        return CW_E_MAGIC;
    if (rd_u32(blob + 8) != CW_VERSION)
        return CW_E_VERSION;
    total = rd_u32(blob + 12);
    if ((size_t)total > len)
        return CW_E_TRUNCATED;
    if ((size_t)total < len)
        return CW_E_FORMAT; /* trailing bytes */
    want = rd_u32(blob + 16);
    crc = cw_crc32(blob, 16, 0);
    crc = cw_crc32(zero, 4, crc);
    crc = cw_crc32(blob + 20, len - 20, crc);
#ifndef CW_FUZZ_NO_CRC
    if (crc != want)
        return CW_E_CHECKSUM;
#else
    (void)want;
#endif
    c.p = blob;
    c.n = len;
    c.off = 20;
    c.bad = 0;
    NEED(get_u32(&c) == 0u); /* flags */
    p = take(&c, 32);
    if (p)
        memcpy(m->src_sha256, p, 32);
    /* model */
    m->bits = get_int(&c, 4, 8, &ok);
    m->n_layers = get_int(&c, 1, 1000, &ok);
    m->frames = get_int(&c, 1, 100000, &ok);
    m->mels = get_int(&c, 1, 100000, &ok);
    m->in_zp = get_i32(&c);
    m->in_scale = get_f64(&c);
    NEED(!c.bad && ok);
    NEED(m->bits == 4 || m->bits == 8);
    NEED(m->in_zp == -128 && m->in_scale == 1.0); /* input q0 = u8 - 128, as intref.py */
    FITS(m->n_layers <= CW_MAX_LAYERS && m->frames <= CW_MAX_FRAMES && m->mels <= CW_MAX_MELS);
    /* front end */
    m->sr = get_int(&c, 8000, 48000, &ok);
    m->n_fft = get_int(&c, 2, 1 << 16, &ok);
    m->win = get_int(&c, 2, 1 << 16, &ok);
    m->hop = get_int(&c, 1, 1 << 16, &ok);
    m->n_mels = get_int(&c, 1, 1 << 16, &ok);
    m->eps = get_f64(&c);
    m->log_lo = get_f64(&c);
    m->log_hi = get_f64(&c);
    NEED(!c.bad && ok);
    NEED(is_pow2(m->n_fft) && m->win <= m->n_fft && m->n_mels == m->mels);
    NEED(m->eps > 0 && m->eps <= 1e3 && m->log_lo >= -1e6 && m->log_hi <= 1e6);
    NEED(m->log_hi > m->log_lo);
    FITS(m->n_fft <= CW_MAX_NFFT && m->win <= CW_MAX_WIN);
    m->s_max = get_int(&c, 0, CW_S_MAX, &ok);
    m->unscaled = get_int(&c, 0, 6, &ok);
    m->vshift = get_int(&c, 15, 21, &ok);
    m->a_q = get_i32(&c);
    {
        const uint8_t *p8 = take(&c, 8);
        m->c_q = p8 ? cw_rd_i64(p8) : 0;
    }
    m->log2g = get_f64(&c);
    NEED(!c.bad && ok && m->vshift == 15 + m->unscaled && isfinite(m->log2g));
    /* |t| < 2^23, so t * a_q + c_q stays far inside int64 */
    NEED(m->a_q > 0 && m->a_q < (1 << 24));
    NEED(m->c_q > -((int64_t)1 << 60) && m->c_q < ((int64_t)1 << 60));
    m->window_q = take(&c, 4u * (size_t)m->win);
    NEED(range_i32(m->window_q, (size_t)m->win, 0, 32767));
    nmw = 0;
    for (i = 0; i < m->n_mels; i++) {
        m->mel_start[i] = get_int(&c, 0, m->n_fft / 2, &ok);
        m->mel_count[i] = get_int(&c, 0, m->n_fft / 2 + 1, &ok);
        NEED(!c.bad && ok && m->mel_start[i] + m->mel_count[i] <= m->n_fft / 2 + 1);
        nmw += m->mel_count[i];
    }
    FITS(nmw <= CW_MAX_MELW);
    m->mel_q = take(&c, 4u * (size_t)nmw);
    NEED(range_i32(m->mel_q, (size_t)nmw, 0, 32768));
    m->tw_n = get_int(&c, 2, 1 << 16, &ok);
    NEED(!c.bad && ok && is_pow2(m->tw_n) && m->tw_n >= m->n_fft);
    FITS(m->tw_n <= CW_MAX_TW);
    m->tw_re = take(&c, 4u * (size_t)(m->tw_n / 2));
    m->tw_im = take(&c, 4u * (size_t)(m->tw_n / 2));
    NEED(range_i32(m->tw_re, (size_t)(m->tw_n / 2), -(1L << 30), 1L << 30));
    NEED(range_i32(m->tw_im, (size_t)(m->tw_n / 2), -(1L << 30), 1L << 30));
    m->lut = take(&c, 4u * CW_LUT_N);
    NEED(range_i32(m->lut, CW_LUT_N, 0, 65535));
    m->eps_q = take(&c, 8u * (size_t)(m->s_max + 1));
    NEED(m->eps_q != NULL);
    for (i = 0; i <= m->s_max; i++) { /* M + eps < 2^57 + 2^62: no uint64 overflow */
        const int64_t e = cw_rd_i64(m->eps_q + 8 * i);
        NEED(e >= 1 && e <= ((int64_t)1 << 62));
    }
    /* detector */
    m->threshold = get_f64(&c);
    m->enabled = get_u32(&c);
    m->gate_dbfs = get_f64(&c);
    m->f0_min = get_f64(&c);
    m->f0_max = get_f64(&c);
    m->harm_min = get_f64(&c);
    m->voiced_share_min = get_f64(&c);
    m->keep = get_int(&c, 1, 1000, &ok);
    m->gap = get_int(&c, 0, 1000, &ok);
    m->min_unit_s = get_f64(&c);
    m->k_on = get_int(&c, 1, 1000, &ok);
    m->n_on = get_int(&c, 1, 1000, &ok);
    m->m_off = get_int(&c, 1, 1000, &ok);
    m->min_bout_s = get_f64(&c);
    m->onset_shift_s = get_f64(&c);
    m->offset_shift_s = get_f64(&c);
    m->onset_back = get_int(&c, 0, 1000, &ok);
    m->onset_low = get_f64(&c);
    m->onset_back_shift_s = get_f64(&c);
    m->sustain_low = get_f64(&c);
    m->lag_lo = get_int(&c, 1, 1 << 16, &ok);
    m->lag_hi = get_int(&c, 1, 1 << 16, &ok);
    m->vlag_lo = get_int(&c, 1, 1 << 16, &ok);
    m->vlag_hi = get_int(&c, 0, 1 << 16, &ok);
    m->harm_q15 = get_int(&c, 0, 32768, &ok);
    m->pitch_frame = get_int(&c, 2, 1 << 16, &ok);
    m->pitch_hop = get_int(&c, 1, 1 << 16, &ok);
    m->pitch_n8 = get_int(&c, 1, 1 << 16, &ok);
    m->window_samples = get_int(&c, 1, 1 << 20, &ok);
    m->hop_samples = get_int(&c, 1, 1 << 20, &ok);
    NEED(!c.bad && ok && m->enabled <= 15u);
    NEED(isfinite(m->threshold) && isfinite(m->gate_dbfs) && isfinite(m->f0_min));
    NEED(isfinite(m->f0_max) && isfinite(m->harm_min) && isfinite(m->voiced_share_min));
    NEED(isfinite(m->min_unit_s) && isfinite(m->min_bout_s));
    NEED(isfinite(m->onset_shift_s) && isfinite(m->offset_shift_s));
    NEED(isfinite(m->onset_low) && isfinite(m->onset_back_shift_s));
    NEED(isfinite(m->sustain_low) && m->sustain_low <= m->threshold);
    FITS(m->onset_back <= CW_MAX_BACK);
    NEED(m->k_on <= m->n_on);
    /* the pitch frame at 8 kHz: y[j] = x[2j] + 3 x[2j+1] + 3 x[2j+2] + x[2j+3] */
    NEED(m->pitch_frame % 2 == 0 && m->pitch_frame >= 8);
    NEED(m->pitch_n8 == (m->pitch_frame - 4) / 2 + 1);
    FITS(m->pitch_frame <= CW_MAX_PFRAME);
    /* the lags searched; the kernel computes them four at a time, up to lag_hi + 2 < n8 */
    NEED(m->lag_lo >= 2 && m->lag_lo + 3 <= m->lag_hi && m->lag_hi <= m->pitch_n8 / 2);
    NEED(m->vlag_lo >= m->lag_lo && m->vlag_hi < m->lag_hi); /* vlag_lo > vlag_hi: none */
    /* one FFT table: the front end's */
    NEED(m->tw_n == m->n_fft);
    FITS(m->keep <= CW_MAX_KEEP && m->n_on <= 64);
    /* window geometry: window k = samples [k*hop_s, k*hop_s + win_s) = frames [k*hop_s/hop, +frames) */
    NEED(m->window_samples >= m->win && m->window_samples >= m->pitch_frame);
    NEED(1 + (m->window_samples - m->win) / m->hop == m->frames);
    NEED(m->hop_samples % m->hop == 0 && m->hop_samples % m->pitch_hop == 0);
    NEED(2 * m->hop_samples <= m->window_samples); /* hop_s 0.1-0.5 (FilterConfig) */
    NEED(m->window_samples == m->sr); /* postprocess.py: WINDOW_S = 1.0 */
    FITS(m->window_samples <= CW_MAX_WSAMP && m->hop_samples / m->pitch_hop <= 64);
    FITS(1 + (m->window_samples - m->pitch_frame) / m->pitch_hop <= 64);
    /* |window| <= 2^15 and |sample| <= 2048 keep every autocorrelation sum in 32 bits; gains
     * <= 2^16 keep every product with it, times 10, in 64 */
    m->pwin_q = take(&c, 4u * (size_t)m->pitch_n8);
    NEED(range_i32(m->pwin_q, (size_t)m->pitch_n8, 0, 32767));
    m->pgain = take(&c, 4u * (size_t)m->lag_hi);
    NEED(range_i32(m->pgain, (size_t)m->lag_hi, 1, 1L << 16));
    /* layers: a chain from the (1, frames, mels) input to one fc logit */
    ch = 1;
    h = m->frames;
    w = m->mels;
    for (i = 0; i < m->n_layers; i++) {
        cw_layer *L = &m->layers[i];
        int32_t zp = i ? m->layers[i - 1].out_zp : m->in_zp;
        double sc = i ? m->layers[i - 1].out_scale : m->in_scale;
        st = parse_layer(&c, L);
        if (st != CW_OK)
            return st;
        NEED(L->cin == ch && L->in_h == h && L->in_w == w);
        NEED(L->in_zp == zp && L->in_scale == sc);
        FITS((long)L->cout * L->out_h * L->out_w <= CW_MAX_ACT);
        ch = L->cout;
        h = L->out_h;
        w = L->out_w;
    }
    NEED(m->layers[m->n_layers - 1].kind == CW_FC && ch == 1 && h == 1 && w == 1);
    p = take(&c, 8);
    NEED(p && memcmp(p, "CWEND\0\0\0", 8) == 0);
    NEED(c.off == len);
    return CW_OK;
}
