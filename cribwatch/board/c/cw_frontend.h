/* cw_frontend.h - streaming log-mel front end (float, double precision), the C twin of
 * cribwatch/cry/features.py: frames of `win` samples every `hop`, periodic Hann window (table
 * from the model blob), zero padding to n_fft, power spectrum / (sum w)^2, triangular mel
 * filters (table from the blob), log(mel + eps) rounded to float32, then the 0-255 model input
 * round_half_even((logmel - log_lo) * 255 / (log_hi - log_lo)) clipped to [0, 255].
 * State lives in the struct; nothing is allocated.
 */
#ifndef CW_FRONTEND_H
#define CW_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "cw_model.h"

typedef struct {
    const cw_model *m;
    int16_t ring[CW_MAX_WIN]; /* last `win` samples */
    int ring_pos;
    uint64_t total;    /* samples consumed */
    uint64_t next_end; /* sample count at which the next frame is complete */
    double wsum2;      /* (sum of the window)^2 */
    int tw_n;          /* size of the FFT the twiddle table is for (shared with the pitch FFT) */
    uint64_t frames_done;
    double win_tab[CW_MAX_WIN]; /* decoded tables (the blob may be unaligned flash) */
    double mel_tab[CW_MAX_MELW];
    double zr[CW_MAX_NFFT / 2], zi[CW_MAX_NFFT / 2], pw[CW_MAX_NFFT / 2 + 1];
    double tw_re[CW_MAX_TW / 2], tw_im[CW_MAX_TW / 2]; /* the one FFT table */
    /* the last frame */
    uint64_t frame_index;
    float logmel[CW_MAX_MELS];
    uint8_t u8[CW_MAX_MELS];
} cw_fe;

void cw_fe_init(cw_fe *fe, const cw_model *m);
void cw_fe_reset(cw_fe *fe);

/* Consume samples of `pcm` until a frame completes or the input runs out. Returns the number
 * of samples consumed; sets *ready to 1 when a frame was computed (fe->logmel, fe->u8,
 * fe->frame_index), else 0. Call again with the rest of the block. */
size_t cw_fe_push(cw_fe *fe, const int16_t *pcm, size_t n, int *ready);

/* In-place radix-2 complex FFT of size n (power of two) with twiddles
 * tw[k] = exp(-2 pi i k / (n * tw_stride)) for k < n * tw_stride / 2, stride tw_stride. */
void cw_fft(double *re, double *im, int n, const double *tw_re, const double *tw_im, int tw_stride);
void cw_twiddles(double *tw_re, double *tw_im, int n);

/* Real FFT of size n of x, given packed as zr[j] = x[2j], zi[j] = x[2j+1] (j < n/2; both are
 * overwritten), through one complex FFT of size n/2. Writes X[k], k = 0..n/2, as its power
 * |X[k]|^2 into pw and/or its real part into xr (either may be NULL), for k < kmax only.
 * tw: twiddles of size n * tw_stride. */
void cw_rfft(double *zr, double *zi, int n, const double *tw_re, const double *tw_im,
             int tw_stride, double *pw, double *xr, int kmax);

#endif
