/* libFuzzer harness of the WAV reader (board/cw_wav.c): the header parser over an in-memory
 * reader, then the samples read the way cw_cry reads them. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cw_wav.h"

typedef struct {
    const uint8_t *p;
    size_t n, off;
} mem_t;

static size_t mem_read(void *ctx, uint8_t *buf, size_t n)
{
    mem_t *m = (mem_t *)ctx;
    size_t k = m->n - m->off < n ? m->n - m->off : n;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mem_t m;
    cw_wav_info info;
    char err[160];
    uint8_t buf[4096];
    int16_t pcm[2048];
    uint32_t left;
    volatile int32_t sink = 0;
    m.p = data;
    m.n = size;
    m.off = 0;
    if (cw_wav_open(mem_read, &m, 16000, &info, err, sizeof err) != 0)
        return 0;
    left = info.data_bytes;
    while (left) {
        size_t want = left < sizeof buf ? left : sizeof buf, got = mem_read(&m, buf, want), i;
        for (i = 0; i + 1 < got; i += 2) {
            unsigned u = (unsigned)buf[i] | ((unsigned)buf[i + 1] << 8);
            pcm[(i / 2) % 2048] = (int16_t)(u >= 32768u ? (int)u - 65536 : (int)u);
            sink += pcm[(i / 2) % 2048];
        }
        if (got < want)
            break;
        left -= (uint32_t)got;
    }
    (void)sink;
    return 0;
}
