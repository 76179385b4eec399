/* cw_frontend.h - streaming log-mel front end in fixed point, the C twin (bit for bit) of
 * cribwatch/cry/fixedfront.py: frames of `win` samples every `hop`; per frame a block shift
 * from its largest sample, the Q15 periodic Hann window, a 512-point real FFT as a scaled
 * integer FFT of 256 complex points (Q15 twiddles from the blob's one Q30 table), the power,
 * Q15 mel filters summed in 64 bits, an integer log2 (a 129-entry table) and the 0-255 model
 * input; every step is spelled out in fixedfront.py's docstring. All tables come from the
 * model blob. State lives in the struct; nothing is allocated.
 */
#ifndef CW_FRONTEND_H
#define CW_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "cw_model.h"

typedef struct {
    const cw_model *m;
    int16_t ring[2 * CW_MAX_WIN]; /* last `win` samples, twice: ring[pos .. pos + win) is the frame */
    int ring_pos;
    uint64_t total;    /* samples consumed */
    uint64_t next_end; /* sample count at which the next frame is complete */
    int tw_n;          /* size of the FFT the twiddle table is for (n_fft) */
    uint64_t frames_done;
    int16_t win_q[CW_MAX_WIN];     /* decoded tables (the blob may be unaligned flash) */
    uint16_t mel_q[CW_MAX_MELW];
    int32_t lut[CW_LUT_N];
    uint64_t eps_q[CW_S_MAX + 1];
    int32_t z[CW_MAX_NFFT];        /* the FFT's n_fft / 2 complex points, re and im interleaved */
    uint16_t rev[CW_MAX_NFFT / 2]; /* bit reversal of the n_fft / 2 FFT indices */
    uint32_t pw[CW_MAX_NFFT / 2 + 1];
    int32_t tw15_re[CW_MAX_TW / 2], tw15_im[CW_MAX_TW / 2]; /* Q15, from the Q30 table */
    /* the last frame */
    uint64_t frame_index;
    int32_t lq[CW_MAX_MELS];   /* Q16 log2 of (mel + eps) * G */
    float logmel[CW_MAX_MELS]; /* (lq / 2^16 - log2 G) * ln 2, for the golden dump */
    uint8_t u8[CW_MAX_MELS];
} cw_fe;

void cw_fe_init(cw_fe *fe, const cw_model *m);
void cw_fe_reset(cw_fe *fe);

/* Consume samples of `pcm` until a frame completes or the input runs out. Returns the number
 * of samples consumed; sets *ready to 1 when a frame was computed (fe->logmel, fe->u8,
 * fe->frame_index), else 0. Call again with the rest of the block. */
size_t cw_fe_push(cw_fe *fe, const int16_t *pcm, size_t n, int *ready);

#endif
