/* cw_detect.c - streaming detector and post-processing chain (see cw_detect.h). */
#include "cw_detect.h"

#include <math.h>
#include <string.h>

#define RMASK ((uint64_t)CW_MAX_WSAMP - 1u)

void cw_det_reset(cw_det *d)
{
    const cw_model *m = d->m;
    cw_fe_reset(&d->fe);
    d->total = 0;
    d->lazy_pitch = (m->enabled & CW_F_RHYTHM) == 0;
    /* lazy: no pitch frame is analysed as it completes */
    d->next_pitch_end = d->lazy_pitch ? ~(uint64_t)0 : (uint64_t)m->pitch_frame;
    d->next_win_end = (uint64_t)m->window_samples;
    d->n_pitch = 0;
    d->n_hist = d->n_recent = 0;
    d->in_bout = d->quiet = d->alerted = 0;
    d->k = d->bout_first = d->bout_last = 0;
    d->prev_last = -1;
    d->n_shist = 0;
    d->infer_k = -2; /* no window scored yet */
    d->bout_score = d->bout_emitted = d->bout_onset = 0.0;
    memset(d->ring, 0, sizeof d->ring);
    memset(d->vtag, 0xff, sizeof d->vtag);
    d->py_tag = ~(uint64_t)0;
}

void cw_det_init(cw_det *d, const cw_model *m)
{
    int i;
    d->m = m;
    d->on_window = NULL;
    d->on_window_ctx = NULL;
    d->pitch_all = 0;
    cw_fe_init(&d->fe, m);
    for (i = 0; i < m->pitch_n8; i++)
        d->pwin[i] = (int16_t)cw_rd_i32(m->pwin_q + 4 * i);
    for (i = 0; i < m->lag_hi; i++)
        d->pgain[i] = cw_rd_i32(m->pgain + 4 * i);
    cw_det_reset(d);
}

/* The integer pitch check of one frame, buf[(start + i) & mask], i < pitch_frame (postprocess.py
 * int_pitch_frames_q, step by step): decimated to 8 kHz with [1, 3, 3, 1], the mean removed
 * exactly (n y - sum y), block-shifted to 11 bits plus sign, the Q15 Hann window, the
 * autocorrelation at lag 0 and lag_lo..lag_hi-1 in 32 bits (|v| <= 2048: every partial sum
 * of n8 <= 319 products stays below 2^31), each lag times its Q15 gain in 64
 * bits, the first near-best peak (10 r >= 9 best) in (lag_lo, lag_hi - 1), else lag_lo.
 * Returns the cry-voiced flag; *lag, *r (the peak's r) and *ac0 are set (harmonicity Q15 =
 * floor(r / ac0)). No float, no division. */
static int pitch_core(cw_det *d, const int16_t *buf, uint64_t start, uint64_t mask, int *lag,
                      int64_t *r_out, int64_t *ac0_out)
{
    const cw_model *m = d->m;
    const int n = m->pitch_frame, n8 = m->pitch_n8, lo = m->lag_lo, hi = m->lag_hi;
    int j, L, s = 0, first = -1;
    int32_t sum = 0, mx, h = 0, ac0 = 0, ymin = INT32_MAX, ymax = INT32_MIN;
    int64_t best, rp, rc, rn;
    const uint32_t s0 = (uint32_t)start, msk = (uint32_t)mask; /* mask < 2^32 or all ones */
    const int16_t *x = d->pbuf;
    int32_t *const y = d->py, *const ac = d->pac;
    int16_t *const v = d->pv;
    /* the frame as one contiguous run (a ring wraps at most once) */
    if (msk == 0xffffffffu) {
        x = buf + s0;
    } else {
        const uint32_t a = s0 & msk, k = msk + 1u - a < (uint32_t)n ? msk + 1u - a : (uint32_t)n;
        memcpy(d->pbuf, buf + a, k * sizeof *buf);
        memcpy(d->pbuf + k, buf, ((uint32_t)n - k) * sizeof *buf);
    }
    /* y[j] = x[2j] + 3 x[2j+1] + 3 x[2j+2] + x[2j+3], |y| <= 8 * 32768. Frame p + 1 starts
     * pitch_hop samples (sh = pitch_hop / 2 values of y) after frame p, so its first n8 - sh
     * values are frame p's last ones: when the previous frame analysed (from the ring) is the
     * one before, they are moved, with their sum and extremes, not computed again. */
    j = 0;
    if (msk != 0xffffffffu && d->py_tag != ~(uint64_t)0 && d->py_tag + (uint64_t)m->pitch_hop == start
        && m->pitch_hop % 2 == 0 && n8 - m->pitch_hop / 2 <= m->pitch_hop / 2) {
        j = n8 - m->pitch_hop / 2;
        memmove(y, y + m->pitch_hop / 2, (size_t)j * sizeof *y);
        sum = d->py_sum2, ymin = d->py_min2, ymax = d->py_max2;
    }
    {
        const int sh = m->pitch_hop / 2 < n8 ? m->pitch_hop / 2 : n8;
        int32_t sum2 = 0, min2 = INT32_MAX, max2 = INT32_MIN;
        for (; j < sh; j++) {
            const int16_t *const q = x + 2 * j;
            const int32_t t = (int32_t)q[0] + 3 * ((int32_t)q[1] + q[2]) + q[3];
            y[j] = t;
            sum += t;
            ymin = t < ymin ? t : ymin;
            ymax = t > ymax ? t : ymax;
        }
        for (; j < n8; j++) { /* the part the next frame can reuse: its own sum and extremes */
            const int16_t *const q = x + 2 * j;
            const int32_t t = (int32_t)q[0] + 3 * ((int32_t)q[1] + q[2]) + q[3];
            y[j] = t;
            sum2 += t;
            min2 = t < min2 ? t : min2;
            max2 = t > max2 ? t : max2;
        }
        sum += sum2;
        ymin = min2 < ymin ? min2 : ymin;
        ymax = max2 > ymax ? max2 : ymax;
        d->py_sum2 = sum2, d->py_min2 = min2, d->py_max2 = max2;
        d->py_tag = msk != 0xffffffffu ? start : ~(uint64_t)0;
    }
    /* max |n8 y - sum| without a pass: the mean lies between the extremes; |.| < 2^28 */
    mx = n8 * ymax - sum > sum - n8 * ymin ? n8 * ymax - sum : sum - n8 * ymin;
    while (((mx + h) >> s) > 2047) {
        s++;
        h = (int32_t)1 << (s - 1);
    }
    h -= sum;
    for (j = 0; j < n8; j++) {
        const int32_t u = (n8 * y[j] + h) >> s; /* (n8 y - sum + 2^(s-1)) >> s */
        const int32_t t = (u * d->pwin[j] + (1 << 14)) >> 15;
        v[j] = (int16_t)t;
        ac0 += t * t; /* < 2^31 */
    }
    for (j = 0; j < 8; j++) /* read past the end by the last block: zeros */
        v[n8 + j] = 0;
    /* eight lags a pass, eight samples an iteration: the eight samples ahead stay in
     * registers (their names rotate), so each is loaded once per pass; 2.3 instructions a
     * product on MIPS32 (mul, addu, the loads shared) */
    for (L = lo; L < hi; L += 8) {
        const int16_t *const p = v, *const q = v + L;
        const int nj = n8 - L; /* sample pairs of lag L; the longer lags see zeros past it */
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int32_t b0 = q[0], b1 = q[1], b2 = q[2], b3 = q[3], b4 = q[4], b5 = q[5], b6 = q[6];
        int32_t b7, x0;
#define CW_AC8(t, B0, B1, B2, B3, B4, B5, B6, B7) \
    x0 = p[j + (t)], B7 = q[j + (t) + 7]; \
    a0 += x0 * B0, a1 += x0 * B1, a2 += x0 * B2, a3 += x0 * B3; \
    a4 += x0 * B4, a5 += x0 * B5, a6 += x0 * B6, a7 += x0 * B7
        for (j = 0; j + 8 <= nj; j += 8) {
            CW_AC8(0, b0, b1, b2, b3, b4, b5, b6, b7);
            CW_AC8(1, b1, b2, b3, b4, b5, b6, b7, b0);
            CW_AC8(2, b2, b3, b4, b5, b6, b7, b0, b1);
            CW_AC8(3, b3, b4, b5, b6, b7, b0, b1, b2);
            CW_AC8(4, b4, b5, b6, b7, b0, b1, b2, b3);
            CW_AC8(5, b5, b6, b7, b0, b1, b2, b3, b4);
            CW_AC8(6, b6, b7, b0, b1, b2, b3, b4, b5);
            CW_AC8(7, b7, b0, b1, b2, b3, b4, b5, b6);
        }
#undef CW_AC8
        for (; j < nj; j++) {
            x0 = p[j];
            a0 += x0 * q[j], a1 += x0 * q[j + 1], a2 += x0 * q[j + 2], a3 += x0 * q[j + 3];
            a4 += x0 * q[j + 4], a5 += x0 * q[j + 5], a6 += x0 * q[j + 6], a7 += x0 * q[j + 7];
        }
        ac[L] = a0, ac[L + 1] = a1, ac[L + 2] = a2, ac[L + 3] = a3;
        ac[L + 4] = a4, ac[L + 5] = a5, ac[L + 6] = a6, ac[L + 7] = a7;
    }
    best = (int64_t)ac[lo] * d->pgain[lo];
    for (L = lo + 1; L < hi; L++) {
        const int64_t t = (int64_t)ac[L] * d->pgain[L];
        best = t > best ? t : best;
    }
    best *= 9;
    rc = (int64_t)ac[lo] * d->pgain[lo];
    rn = (int64_t)ac[lo + 1] * d->pgain[lo + 1];
    for (L = lo + 1; L < hi - 1; L++) {
        rp = rc, rc = rn, rn = (int64_t)ac[L + 1] * d->pgain[L + 1];
        if (rc >= rp && rc >= rn && 10 * rc >= best) {
            first = L;
            break;
        }
    }
    if (first < 0) {
        first = lo;
        rc = (int64_t)ac[lo] * d->pgain[lo];
    }
    *lag = first;
    *r_out = rc;
    *ac0_out = ac0;
    if (first < m->vlag_lo || first > m->vlag_hi)
        return 0;
    return m->harm_q15 == 0 || (ac0 > 0 && rc >= (int64_t)m->harm_q15 * ac0);
}

int cw_pitch_frame(cw_det *d, const int16_t *x, double *f0, double *harm)
{
    int lag;
    int64_t r, ac0, hq;
    const int v = pitch_core(d, x, 0, ~(uint64_t)0, &lag, &r, &ac0);
    hq = ac0 > 0 ? r / ac0 : 0; /* truncated; a negative one is clipped to 0 below anyway */
    hq = hq < 0 ? 0 : hq > 32768 ? 32768 : hq;
    *f0 = (double)(d->m->sr / 2) / (double)lag;
    *harm = (double)hq / 32768.0;
    return v;
}

/* ------------------------------------------------------------------------- the chain */
static double longest_unit(const cw_det *d)
{
    const cw_model *m = d->m;
    const int fph = m->hop_samples / m->pitch_hop;
    int w, i, best = 0, run = 0, holes = 0;
    for (w = 0; w < d->n_hist; w++) {
        for (i = 0; i < fph; i++) {
            if (d->hist[w][i]) {
                run += 1 + holes;
                holes = 0;
            } else if (run > 0 && holes < m->gap) {
                holes += 1;
            } else {
                run = holes = 0;
            }
            if (run > best)
                best = run;
        }
    }
    return (double)(best * m->pitch_hop) / (double)m->sr;
}

/* postprocess.py Chain.positive: 1 if the window counts toward a bout (score at least
 * sustain_low, which is the threshold without hysteresis, and every filter passes); *strong is
 * set when it also reaches the threshold. */
static int positive(cw_det *d, double score, double level, double share, const uint8_t *tail,
                    int *strong)
{
    const cw_model *m = d->m;
    const int fph = m->hop_samples / m->pitch_hop;
    int ok;
    if (d->n_hist == m->keep) {
        memmove(d->hist[0], d->hist[1], (size_t)(m->keep - 1) * sizeof d->hist[0]);
        d->n_hist--;
    }
    memcpy(d->hist[d->n_hist++], tail, (size_t)fph);
    ok = score >= m->sustain_low;
    if (ok && (m->enabled & CW_F_LOUDNESS))
        ok = level >= m->gate_dbfs;
    if (ok && (m->enabled & CW_F_PITCH))
        ok = share >= m->voiced_share_min;
    if (ok && (m->enabled & CW_F_RHYTHM))
        ok = longest_unit(d) >= m->min_unit_s;
    *strong = ok && score >= m->threshold;
    return ok;
}

/* the bout's duration as Chain._close computes it (its reported length) */
static double bout_dur(const cw_det *d)
{
    const cw_model *m = d->m;
    const double hop_s = (double)m->hop_samples / (double)m->sr;
    const double win_s = (double)m->window_samples / (double)m->sr;
    return (double)(d->bout_last - d->bout_first) * hop_s + win_s;
}

static void close_bout(cw_det *d, const cw_callbacks *cb)
{
    const cw_model *m = d->m;
    const double hop_s = (double)m->hop_samples / (double)m->sr;
    const double win_s = (double)m->window_samples / (double)m->sr;
    double dur = bout_dur(d);
    cw_event ev;
    d->in_bout = 0;
    d->alerted = 0;
    d->prev_last = d->bout_last;
    if ((m->enabled & CW_F_SMOOTHING) && dur < m->min_bout_s)
        return;
    ev.onset = d->bout_onset;
    ev.offset = (double)d->bout_last * hop_s + win_s - m->offset_shift_s;
    ev.score = d->bout_score;
    ev.emitted = d->bout_emitted;
    if (cb && cb->event)
        cb->event(cb->ctx, &ev);
}

/* stream.py StreamDetector._check_alert: once per bout, as soon as it is long enough to be
 * reported (with smoothing off, the moment it starts) */
static void check_alert(cw_det *d, const cw_callbacks *cb)
{
    cw_alert al;
    if (!d->in_bout || d->alerted)
        return;
    if ((d->m->enabled & CW_F_SMOOTHING) && bout_dur(d) < d->m->min_bout_s)
        return;
    d->alerted = 1;
    al.onset = d->bout_onset;
    al.emitted = d->bout_emitted;
    if (cb && cb->alert)
        cb->alert(cb->ctx, &al);
}

/* postprocess.py Chain._onset: move back over the windows right before `first` that score at
 * least onset_low (at most onset_back of them, never into the previous bout). */
static double bout_onset(const cw_det *d, int64_t first)
{
    const cw_model *m = d->m;
    const double hop_s = (double)m->hop_samples / (double)m->sr;
    int64_t j = first;
    while (m->onset_back > 0 && j - 1 > d->prev_last && first - (j - 1) <= m->onset_back &&
           d->shist[d->n_shist - 1 - (int)(d->k - (j - 1))] >= m->onset_low)
        j -= 1;
    return (double)j * hop_s + (j < first ? m->onset_back_shift_s : m->onset_shift_s);
}

static void chain_push(cw_det *d, double score, double level, double share, const uint8_t *tail,
                       const cw_callbacks *cb)
{
    const cw_model *m = d->m;
    const int smooth = (m->enabled & CW_F_SMOOTHING) != 0;
    const int k_on = smooth ? m->k_on : 1, n_on = smooth ? m->n_on : 1, m_off = smooth ? m->m_off : 1;
    const double hop_s = (double)m->hop_samples / (double)m->sr;
    const double win_s = (double)m->window_samples / (double)m->sr;
    int strong = 0, nstrong = 0;
    int pos = positive(d, score, level, share, tail, &strong), i, npos = 0, first_true = -1;
    double t_end = (double)d->k * hop_s + win_s;
    if (d->n_recent == n_on) {
        memmove(d->recent, d->recent + 1, (size_t)(n_on - 1));
        memmove(d->strong, d->strong + 1, (size_t)(n_on - 1));
        d->n_recent--;
    }
    d->strong[d->n_recent] = (uint8_t)strong;
    d->recent[d->n_recent++] = (uint8_t)pos;
    if (d->n_shist == m->onset_back + n_on) {
        memmove(d->shist, d->shist + 1, (size_t)(d->n_shist - 1) * sizeof d->shist[0]);
        d->n_shist--;
    }
    d->shist[d->n_shist++] = score;
    for (i = 0; i < d->n_recent; i++) {
        npos += d->recent[i];
        nstrong += d->strong[i];
        if (d->recent[i] && first_true < 0)
            first_true = i;
    }
    if (!d->in_bout) {
        if (pos && npos >= k_on && nstrong > 0) {
            int64_t first = d->k - d->n_recent + 1 + first_true;
            double need = smooth ? (m->min_bout_s - win_s > 0.0 ? m->min_bout_s - win_s : 0.0) : 0.0;
            double e = (double)first * hop_s + win_s + need;
            d->in_bout = 1;
            d->bout_first = first;
            d->bout_last = d->k;
            d->bout_score = score;
            d->quiet = 0;
            d->bout_emitted = t_end > e ? t_end : e;
            d->bout_onset = bout_onset(d, first);
        }
    } else if (pos) {
        d->bout_last = d->k;
        d->quiet = 0;
        if (score > d->bout_score)
            d->bout_score = score;
    } else {
        d->quiet += 1;
        if (d->quiet >= m_off)
            close_bout(d, cb);
    }
    d->k += 1;
    check_alert(d, cb);
}

/* ------------------------------------------------------------------------ streaming */
/* cry-voiced flag of pitch frame p (samples [p pitch_hop, p pitch_hop + pitch_frame), still in
 * the ring), analysed once */
static int voiced_at(cw_det *d, uint64_t p)
{
    const unsigned slot = (unsigned)(p & 63u);
    if (d->vtag[slot] != p) {
        int lag;
        int64_t r, ac0;
        d->voiced[slot] = (uint8_t)pitch_core(d, d->ring, p * (uint64_t)d->m->pitch_hop, RMASK,
                                              &lag, &r, &ac0);
        d->vtag[slot] = p;
        d->n_pitch++;
    }
    return d->voiced[slot];
}

static void do_window(cw_det *d, const cw_callbacks *cb)
{
    const cw_model *m = d->m;
    const uint64_t start = d->total - (uint64_t)m->window_samples;
    const int fph = m->hop_samples / m->pitch_hop;
    const int fpw = (m->window_samples - m->pitch_frame) / m->pitch_hop + 1;
    const int t0 = fpw > fph ? fpw - fph : 0; /* the tail: pitch frames of the last hop */
    const uint64_t f0 = start / (uint64_t)m->hop, p0 = start / (uint64_t)m->pitch_hop;
    int f, i, nv = 0;
    int64_t s2 = 0;
    uint8_t tail[64];
    for (f = 0; f < m->frames; f++) {
        const uint8_t *u = d->frames[(f0 + (uint64_t)f) % CW_MAX_FRAMES];
        int8_t *q = d->q0 + f * m->mels;
        for (i = 0; i < m->mels; i++)
            q[i] = (int8_t)((int)u[i] - 128);
    }
    /* the window right after the last one scored shares rows of the first layer with it */
    d->last_logit = cw_infer_ex(m, &d->ws, d->q0,
                                d->infer_k == d->k - 1 ? m->hop_samples / m->hop : 0, NULL, NULL);
    d->infer_k = d->k;
    d->last_score = cw_score(m, d->last_logit);
    /* level: mean square of the whole window (exact integer sum; Python averages 0.1 s
     * blocks in float64, equal within float rounding) */
    {
        const uint32_t st = (uint32_t)start, msk = (uint32_t)RMASK;
        for (i = 0; i < m->window_samples; i++) {
            const int32_t a = d->ring[(st + (uint32_t)i) & msk];
            s2 += (int64_t)a * a;
        }
    }
    d->last_level =
        10.0 * log10(((double)s2 / 1073741824.0) / (double)m->window_samples + 1e-20);
    if (!d->lazy_pitch) {
        for (i = 0; i < fpw; i++) {
            int v = d->voiced[(p0 + (uint64_t)i) & 63u];
            nv += v;
            if (i >= t0)
                tail[i - t0] = (uint8_t)v;
        }
        d->last_share = (double)nv / (double)fpw;
    } else if (d->pitch_all
               || ((m->enabled & CW_F_PITCH) && d->last_score >= m->sustain_low
                   && (!(m->enabled & CW_F_LOUDNESS) || d->last_level >= m->gate_dbfs))) {
        /* the share can decide (positive() reads it only past these two tests) */
        for (i = 0; i < fpw; i++) {
            int v = voiced_at(d, p0 + (uint64_t)i);
            nv += v;
            if (i >= t0)
                tail[i - t0] = (uint8_t)v;
        }
        d->last_share = (double)nv / (double)fpw;
    } else {
        memset(tail, 0, sizeof tail); /* read by the rhythm filter only, which is off */
        d->last_share = -1.0;         /* not analysed: no decision depends on it */
    }
    if (d->on_window)
        d->on_window(d->on_window_ctx, d);
    chain_push(d, d->last_score, d->last_level, d->last_share, tail, cb);
}

void cw_det_push(cw_det *d, const int16_t *pcm, size_t n, const cw_callbacks *cb)
{
    const cw_model *m = d->m;
    size_t i = 0;
    while (i < n) {
        int ready;
        size_t used = cw_fe_push(&d->fe, pcm + i, n - i, &ready);
        size_t j;
        /* a frame completes at the chunk's last sample: store it first (windows ending inside
         * this chunk do not use it, and the slot it overwrites is older than any of theirs) */
        if (ready)
            memcpy(d->frames[d->fe.frame_index % CW_MAX_FRAMES], d->fe.u8, (size_t)m->mels);
        for (j = 0; j < used;) {
            /* copy up to the next pitch frame or window end into the ring, then handle it */
            const uint64_t stop = d->next_pitch_end < d->next_win_end ? d->next_pitch_end
                                                                      : d->next_win_end;
            const size_t pos = (size_t)(d->total & RMASK);
            size_t run = used - j, first;
            if ((uint64_t)run > stop - d->total)
                run = (size_t)(stop - d->total);
            first = run < (size_t)CW_MAX_WSAMP - pos ? run : (size_t)CW_MAX_WSAMP - pos;
            memcpy(d->ring + pos, pcm + i + j, first * sizeof *pcm);
            memcpy(d->ring, pcm + i + j + first, (run - first) * sizeof *pcm);
            d->total += run;
            j += run;
            if (d->total == d->next_pitch_end) {
                int lag;
                int64_t r, ac0;
                uint64_t s = d->total - (uint64_t)m->pitch_frame;
                int v = pitch_core(d, d->ring, s, RMASK, &lag, &r, &ac0);
                d->voiced[d->n_pitch & 63u] = (uint8_t)v;
                d->vtag[d->n_pitch & 63u] = d->n_pitch;
                d->n_pitch++;
                d->next_pitch_end += (uint64_t)m->pitch_hop;
            }
            if (d->total == d->next_win_end) {
                /* the front end's frames of this window are all done: the last one ends
                 * before the window does */
                do_window(d, cb);
                d->next_win_end += (uint64_t)m->hop_samples;
            }
        }
        i += used;
    }
}

void cw_det_flush(cw_det *d, const cw_callbacks *cb)
{
    if (d->in_bout)
        close_bout(d, cb);
}
