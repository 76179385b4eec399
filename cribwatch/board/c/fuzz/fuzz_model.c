/* libFuzzer harness of the model loader (board/cw_model.c).
 *
 * Build with -DCW_FUZZ_NO_CRC so the fuzzer gets past the CRC-32 and reaches the structural
 * checks; a blob that loads is then run for one window (front end, pitch analysis, integer
 * model, filter chain), so an inconsistency the loader lets through shows up as a sanitizer
 * finding. See docs/BOARD.md for the commands. */
#include <stddef.h>
#include <stdint.h>

#include "cw_detect.h"
#include "cw_model.h"

static cw_model model;
static cw_det det;
static int16_t pcm[16384 + 200];

static void on_alert(void *ctx, const cw_alert *al)
{
    (void)ctx;
    (void)al;
}

static void on_event(void *ctx, const cw_event *ev)
{
    (void)ctx;
    (void)ev;
}

static const cw_callbacks callbacks = {on_alert, on_event, NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t i, n;
    if (cw_model_load(&model, data, size) != CW_OK)
        return 0;
    for (i = 0; i < sizeof pcm / sizeof pcm[0]; i++)
        pcm[i] = (int16_t)(((i * 2654435761u) >> 16) & 0x3fff) - 0x2000;
    n = (size_t)model.window_samples + 100u;
    if (n > sizeof pcm / sizeof pcm[0])
        n = sizeof pcm / sizeof pcm[0];
    cw_det_init(&det, &model);
    cw_det_push(&det, pcm, n, &callbacks);
    cw_det_flush(&det, &callbacks);
    return 0;
}
