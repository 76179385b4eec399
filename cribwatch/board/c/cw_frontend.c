/* cw_frontend.c - streaming log-mel front end (see cw_frontend.h). */
#include "cw_frontend.h"

#include <math.h>
#include <string.h>

void cw_twiddles(double *tw_re, double *tw_im, int n)
{
    int k;
    const double pi = 3.14159265358979323846;
    for (k = 0; k < n / 2; k++) {
        tw_re[k] = cos(2.0 * pi * (double)k / (double)n);
        tw_im[k] = -sin(2.0 * pi * (double)k / (double)n);
    }
}

/* radix-2 butterflies of one stage over all groups, twiddle w for offset k in each group */
void cw_fft(double *re, double *im, int n, const double *tw_re, const double *tw_im, int tw_stride)
{
    int i, j, k, len;
    for (i = 1, j = 0; i < n; i++) { /* bit reversal */
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    if (n >= 2) /* length 2: the twiddle is 1 */
        for (i = 0; i < n; i += 2) {
            const double ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1];
            re[i] = ar + br;
            im[i] = ai + bi;
            re[i + 1] = ar - br;
            im[i + 1] = ai - bi;
        }
    if (n >= 4) /* length 4: twiddles 1 and -i */
        for (i = 0; i < n; i += 4) {
            double ar = re[i], ai = im[i], br = re[i + 2], bi = im[i + 2];
            re[i] = ar + br;
            im[i] = ai + bi;
            re[i + 2] = ar - br;
            im[i + 2] = ai - bi;
            ar = re[i + 1], ai = im[i + 1], br = im[i + 3], bi = -re[i + 3];
            re[i + 1] = ar + br;
            im[i + 1] = ai + bi;
            re[i + 3] = ar - br;
            im[i + 3] = ai - bi;
        }
    /* the general stages two at a time (lengths L and 2L): each group of 2L points is loaded
     * and stored once for both; the same butterflies and twiddles as one stage at a time */
    for (len = 8; 2 * len <= n; len <<= 2) {
        const int h = len >> 1, step1 = (n / len) * tw_stride, step2 = step1 >> 1;
        for (k = 0; k < h; k++) {
            const double w1r = tw_re[k * step1], w1i = tw_im[k * step1];
            const double w2r = tw_re[k * step2], w2i = tw_im[k * step2];
            const double w3r = tw_re[(k + h) * step2], w3i = tw_im[(k + h) * step2];
            double *pr = re + k, *pi = im + k, *const end = re + n;
            for (; pr < end; pr += 2 * len, pi += 2 * len) {
                double ar = pr[0], ai = pi[0], br = pr[h], bi = pi[h];
                double cr = pr[len], ci = pi[len], dr = pr[len + h], di = pi[len + h];
                double xr = br * w1r - bi * w1i, xi = br * w1i + bi * w1r;
                br = ar - xr, bi = ai - xi, ar += xr, ai += xi;
                xr = dr * w1r - di * w1i, xi = dr * w1i + di * w1r;
                dr = cr - xr, di = ci - xi, cr += xr, ci += xi;
                xr = cr * w2r - ci * w2i, xi = cr * w2i + ci * w2r;
                pr[len] = ar - xr, pi[len] = ai - xi, pr[0] = ar + xr, pi[0] = ai + xi;
                xr = dr * w3r - di * w3i, xi = dr * w3i + di * w3r;
                pr[len + h] = br - xr, pi[len + h] = bi - xi, pr[h] = br + xr, pi[h] = bi + xi;
            }
        }
    }
    if (len <= n) { /* one stage left */
        const int half = len >> 1, step = (n / len) * tw_stride;
        for (k = 0; k < half; k++) {
            const double wr = tw_re[k * step], wi = tw_im[k * step];
            double *pr = re + k, *pi = im + k, *const end = re + n;
            for (; pr < end; pr += len, pi += len) {
                const double ar = pr[0], ai = pi[0], br = pr[half], bi = pi[half];
                const double xr = br * wr - bi * wi, xi = br * wi + bi * wr;
                pr[half] = ar - xr;
                pi[half] = ai - xi;
                pr[0] = ar + xr;
                pi[0] = ai + xi;
            }
        }
    }
}

void cw_rfft(double *zr, double *zi, int n, const double *tw_re, const double *tw_im,
             int tw_stride, double *pw, double *xr, int kmax)
{
    const int h = n / 2;
    int k;
    cw_fft(zr, zi, h, tw_re, tw_im, 2 * tw_stride);
    /* X[k] = E + W^k O with E = (Z[k] + conj Z[h-k]) / 2, O = -i (Z[k] - conj Z[h-k]) / 2
     * (indices mod h, W^h = -1); the outputs are separate arrays, so Z stays intact.
     * k = 0: X = Re Z0 + Im Z0; k = h: X = Re Z0 - Im Z0 (both real) */
    if (kmax > h + 1)
        kmax = h + 1;
    if (kmax > 0) {
        if (pw)
            pw[0] = (zr[0] + zi[0]) * (zr[0] + zi[0]);
        if (xr)
            xr[0] = zr[0] + zi[0];
    }
    for (k = 1; k < kmax && k < h; k++) {
        const double ar = zr[k], ai = zi[k], cr = zr[h - k], ci = -zi[h - k];
        const double er = 0.5 * (ar + cr), ei = 0.5 * (ai + ci);
        const double or_ = 0.5 * (ai - ci), oi = -0.5 * (ar - cr);
        const double wr = tw_re[k * tw_stride], wi = tw_im[k * tw_stride];
        const double xre = er + (wr * or_ - wi * oi);
        if (pw) {
            const double xim = ei + (wr * oi + wi * or_);
            pw[k] = xre * xre + xim * xim;
        }
        if (xr)
            xr[k] = xre;
    }
    if (kmax == h + 1) {
        if (pw)
            pw[h] = (zr[0] - zi[0]) * (zr[0] - zi[0]);
        if (xr)
            xr[h] = zr[0] - zi[0];
    }
}

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
    double s = 0.0;
    fe->m = m;
    for (i = 0; i < m->win; i++) {
        fe->win_tab[i] = cw_rd_f64(m->window + 8 * i);
        s += fe->win_tab[i];
    }
    for (i = 0; i < m->n_mels; i++)
        nw += m->mel_count[i];
    for (i = 0; i < nw; i++)
        fe->mel_tab[i] = cw_rd_f64(m->mel_w + 8 * i);
    fe->wsum2 = s * s;
    /* one twiddle table, of the larger FFT (the pitch analysis'), for both */
    fe->tw_n = m->n_fft > m->pitch_nfft ? m->n_fft : m->pitch_nfft;
    cw_twiddles(fe->tw_re, fe->tw_im, fe->tw_n);
    cw_fe_reset(fe);
}

static void compute_frame(cw_fe *fe)
{
    const cw_model *m = fe->m;
    int i, b, nb = m->n_fft / 2 + 1, off = 0;
    const double scale = 255.0 / (m->log_hi - m->log_lo);
    /* the ring holds the last `win` samples, oldest at ring_pos; pack even/odd samples */
    for (i = 0; i < m->n_fft; i++) {
        double v = 0.0;
        if (i < m->win) {
            int r = fe->ring_pos + i;
            double x = (double)((float)fe->ring[r >= m->win ? r - m->win : r] / 32768.0f);
            v = x * fe->win_tab[i];
        }
        if (i & 1)
            fe->zi[i >> 1] = v;
        else
            fe->zr[i >> 1] = v;
    }
    cw_rfft(fe->zr, fe->zi, m->n_fft, fe->tw_re, fe->tw_im, fe->tw_n / m->n_fft, fe->pw, NULL,
            nb);
    for (b = 0; b < nb; b++)
        fe->pw[b] /= fe->wsum2;
    for (i = 0; i < m->n_mels; i++) {
        double acc = 0.0, q;
        const double *w = fe->mel_tab + off;
        const double *p = fe->pw + m->mel_start[i];
        for (b = 0; b < m->mel_count[i]; b++)
            acc += p[b] * w[b];
        off += m->mel_count[i];
        fe->logmel[i] = (float)log(acc + m->eps);
        q = rint(((double)fe->logmel[i] - m->log_lo) * scale);
        fe->u8[i] = (uint8_t)(!(q >= 0.0) ? 0.0 : q > 255.0 ? 255.0 : q); /* NaN -> 0 */
    }
}

size_t cw_fe_push(cw_fe *fe, const int16_t *pcm, size_t n, int *ready)
{
    size_t i = 0;
    const int win = fe->m->win;
    *ready = 0;
    while (i < n) {
        fe->ring[fe->ring_pos] = pcm[i++];
        fe->ring_pos = fe->ring_pos + 1 == win ? 0 : fe->ring_pos + 1;
        fe->total++;
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
