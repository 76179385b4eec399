/* cw_wav.h - a strict RIFF/WAVE header reader: 16-bit PCM (format 1 or extensible PCM),
 * mono, at the model's sample rate. Reads through a callback, never seeks, never allocates. */
#ifndef CW_WAV_H
#define CW_WAV_H

#include <stddef.h>
#include <stdint.h>

typedef size_t (*cw_read_fn)(void *ctx, uint8_t *buf, size_t n);

typedef struct {
    int channels, rate, bits;
    uint32_t data_bytes; /* bytes of the data chunk (the samples follow the header) */
} cw_wav_info;

/* Reads the header up to the start of the samples. Returns 0, or -1 with a one-line reason
 * in err. `want_rate` is the required sample rate. */
int cw_wav_open(cw_read_fn rd, void *ctx, int want_rate, cw_wav_info *info, char *err,
                size_t errlen);

#endif
