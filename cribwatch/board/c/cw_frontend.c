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
    for (len = 2; len <= n; len <<= 1) {
        int half = len >> 1, step = (n / len) * tw_stride;
        for (i = 0; i < n; i += len) {
            for (k = 0; k < half; k++) {
                double wr = tw_re[k * step], wi = tw_im[k * step];
                double *ar = &re[i + k], *ai = &im[i + k];
                double *br = &re[i + k + half], *bi = &im[i + k + half];
                double xr = *br * wr - *bi * wi, xi = *br * wi + *bi * wr;
                *br = *ar - xr;
                *bi = *ai - xi;
                *ar += xr;
                *ai += xi;
            }
        }
    }
}

void cw_rfft(double *zr, double *zi, int n, const double *tw_re, const double *tw_im, double *pw,
             double *xr)
{
    const int h = n / 2;
    int k;
    cw_fft(zr, zi, h, tw_re, tw_im, 2);
    /* X[k] = E + W^k O with E = (Z[k] + conj Z[h-k]) / 2, O = -i (Z[k] - conj Z[h-k]) / 2
     * (indices mod h, W^h = -1); the outputs are separate arrays, so Z stays intact */
    for (k = 0; k <= h; k++) {
        const int a = k == h ? 0 : k, b = k == 0 || k == h ? 0 : h - k;
        const double ar = zr[a], ai = zi[a], cr = zr[b], ci = -zi[b];
        const double er = 0.5 * (ar + cr), ei = 0.5 * (ai + ci);
        const double or_ = 0.5 * (ai - ci), oi = -0.5 * (ar - cr);
        const double wr = k < h ? tw_re[k] : -1.0, wi = k < h ? tw_im[k] : 0.0;
        const double xre = er + (wr * or_ - wi * oi), xim = ei + (wr * oi + wi * or_);
        if (pw)
            pw[k] = xre * xre + xim * xim;
        if (xr)
            xr[k] = xre;
    }
}

void cw_fe_reset(cw_fe *fe)
{
    memset(fe->ring, 0, sizeof fe->ring);
    fe->ring_pos = 0;
    fe->total = 0;
    fe->next_end = (uint64_t)fe->m->win;
    fe->frame_index = 0;
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
    cw_twiddles(fe->tw_re, fe->tw_im, m->n_fft);
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
    cw_rfft(fe->zr, fe->zi, m->n_fft, fe->tw_re, fe->tw_im, fe->pw, NULL);
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
            fe->frame_index = (fe->total - (uint64_t)win) / (uint64_t)fe->m->hop;
            fe->next_end += (uint64_t)fe->m->hop;
            *ready = 1;
            break;
        }
    }
    return i;
}
