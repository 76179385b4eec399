/* cw_wav.c - strict WAV header reader (see cw_wav.h). */
#include "cw_wav.h"

#include <stdio.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static unsigned le16(const uint8_t *p) { return (unsigned)p[0] | ((unsigned)p[1] << 8); }

static int fail(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    return -1;
}

static int skip(cw_read_fn rd, void *ctx, uint32_t n)
{
    uint8_t buf[256];
    while (n) {
        size_t k = n < sizeof buf ? n : sizeof buf, got = rd(ctx, buf, k);
        if (got != k)
            return -1;
        n -= (uint32_t)k;
    }
    return 0;
}

int cw_wav_open(cw_read_fn rd, void *ctx, int want_rate, cw_wav_info *info, char *err,
                size_t errlen)
{
    uint8_t h[40];
    int have_fmt = 0, chunks = 0;
    memset(info, 0, sizeof *info);
    if (rd(ctx, h, 12) != 12)
        return fail(err, errlen, "not a WAV file (shorter than a RIFF header)");
    if (memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
        return fail(err, errlen, "not a WAV file (no RIFF/WAVE header)");
    for (;;) {
        uint32_t size;
        if (++chunks > 64)
            return fail(err, errlen, "corrupt WAV (too many chunks before the data)");
        if (rd(ctx, h, 8) != 8)
            return fail(err, errlen, "corrupt WAV (no data chunk)");
        size = le32(h + 4);
        if (memcmp(h, "fmt ", 4) == 0) {
            unsigned tag, align;
            if (have_fmt)
                return fail(err, errlen, "corrupt WAV (two fmt chunks)");
            if (size < 16 || size > 1024)
                return fail(err, errlen, "corrupt WAV (bad fmt chunk size)");
            if (rd(ctx, h, 16) != 16)
                return fail(err, errlen, "corrupt WAV (truncated fmt chunk)");
            tag = le16(h);
            info->channels = (int)le16(h + 2);
            info->rate = (int)le32(h + 4);
            align = le16(h + 12);
            info->bits = (int)le16(h + 14);
            size -= 16;
            if (tag == 0xFFFEu) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format must be PCM */
                if (size < 24 || rd(ctx, h, 24) != 24)
                    return fail(err, errlen, "corrupt WAV (truncated extensible fmt chunk)");
                size -= 24;
                tag = le16(h + 8);
            }
            if (skip(rd, ctx, size + (size & 1u)) != 0)
                return fail(err, errlen, "corrupt WAV (truncated fmt chunk)");
            if (tag != 1u)
                return fail(err, errlen, "unsupported WAV encoding (want 16-bit PCM)");
            if (info->bits != 16 || align != (unsigned)(2 * info->channels))
                return fail(err, errlen, "unsupported sample format (want 16-bit PCM)");
            if (info->channels != 1)
                return fail(err, errlen, "not mono (the board runtime reads one channel)");
            if (info->rate != want_rate) {
                if (err && errlen)
                    snprintf(err, errlen, "sample rate %d Hz, the detector wants %d Hz",
                             info->rate, want_rate);
                return -1;
            }
            have_fmt = 1;
        } else if (memcmp(h, "data", 4) == 0) {
            if (!have_fmt)
                return fail(err, errlen, "corrupt WAV (data chunk before fmt chunk)");
            if (size == 0)
                return fail(err, errlen, "audio file holds no samples");
            if (size & 1u)
                return fail(err, errlen, "corrupt WAV (odd data size for 16-bit samples)");
            info->data_bytes = size;
            return 0;
        } else if (skip(rd, ctx, size + (size & 1u)) != 0) {
            return fail(err, errlen, "corrupt WAV (truncated chunk)");
        }
    }
}
