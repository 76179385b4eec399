/* cw_test - test driver of the board runtime (built with ASan + UBSan by tests/board).
 *
 *   cw_test replay FILE   FILE holds records [u32 length][bytes]: each is loaded as a model;
 *                         a model that loads is run (front end, one window, post-processing).
 *                         Prints {"total": N, "ok": K, "status": [count per cw_status],
 *                         "order_errors": E} (E: events without exactly one alert before them,
 *                         with the same onset and emitted; must be 0).
 *   cw_test requant       reads "acc mult rshift zp qmin qmax" lines, prints one result each.
 *   cw_test wav FILE      parses FILE's WAV header and reads its samples; prints the header or
 *                         the error.
 *   cw_test pitch BLOB PCM  the integer pitch check of every frame of PCM (raw s16le) with the
 *                         blob's tables: "lag harm_q15 voiced" lines, one a frame (the numpy
 *                         twin: cribwatch.cry.postprocess.int_pitch_frames_q).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_detect.h"
#include "cw_infer.h"
#include "cw_model.h"
#include "cw_wav.h"

static uint8_t buf[1 << 20];
static cw_model model;
static cw_det det;
static int16_t pcm[17000];
static int events, pending, order_errors;

/* every event has exactly one alert before it, with the same onset and emitted */
static double alert_onset, alert_emitted;

static void on_alert(void *ctx, const cw_alert *al)
{
    (void)ctx;
    order_errors += pending;
    pending = 1;
    alert_onset = al->onset;
    alert_emitted = al->emitted;
}

static void on_event(void *ctx, const cw_event *ev)
{
    (void)ctx;
    if (!pending || ev->onset != alert_onset || ev->emitted != alert_emitted)
        order_errors++;
    pending = 0;
    if (ev->offset >= ev->onset - 10.0)
        events++;
}

static const cw_callbacks callbacks = {on_alert, on_event, NULL};

static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    long total = 0, ok = 0, status[8] = {0};
    int i;
    uint32_t x = 1u;
    if (!f)
        return 2;
    for (i = 0; i < (int)(sizeof pcm / sizeof pcm[0]); i++) {
        x = x * 1103515245u + 12345u;
        pcm[i] = (int16_t)((int)((x >> 16) & 8191u) - 4096 + (i % 40 < 20 ? 6000 : -6000));
    }
    for (;;) {
        uint8_t h[4];
        uint32_t n;
        int st;
        if (fread(h, 1, 4, f) != 4)
            break;
        n = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16) | ((uint32_t)h[3] << 24);
        if (n > sizeof buf || fread(buf, 1, n, f) != n) {
            fclose(f);
            return 2;
        }
        st = cw_model_load(&model, buf, n);
        total++;
        status[st >= 0 && st < 8 ? st : 7]++;
        if (st == CW_OK) {
            ok++;
            cw_det_init(&det, &model);
            cw_det_push(&det, pcm, (size_t)model.window_samples + 100u, &callbacks);
            cw_det_flush(&det, &callbacks);
            order_errors += pending; /* an alert whose bout was never reported */
            pending = 0;
        }
    }
    fclose(f);
    printf("{\"total\": %ld, \"ok\": %ld, \"status\": [", total, ok);
    for (i = 0; i < 8; i++)
        printf("%s%ld", i ? ", " : "", status[i]);
    printf("], \"order_errors\": %d}\n", order_errors);
    return 0;
}

static int requant(void)
{
    long long acc, mult;
    int rs, zp, lo, hi;
    while (scanf("%lld %lld %d %d %d %d", &acc, &mult, &rs, &zp, &lo, &hi) == 6)
        printf("%d\n", (int)cw_requant((int32_t)acc, (int32_t)mult, rs, zp, lo, hi));
    return 0;
}

static size_t file_read(void *ctx, uint8_t *b, size_t n) { return fread(b, 1, n, (FILE *)ctx); }

static int wav(const char *path)
{
    FILE *f = fopen(path, "rb");
    cw_wav_info info;
    char err[160];
    if (!f)
        return 2;
    if (cw_wav_open(file_read, f, 16000, &info, err, sizeof err) != 0) {
        printf("error: %s\n", err);
    } else {
        printf("ok: channels %d rate %d bits %d data %lu\n", info.channels, info.rate, info.bits,
               (unsigned long)info.data_bytes);
    }
    fclose(f);
    return 0;
}

static int16_t ppcm[1 << 16];

static int pitch(const char *blob_path, const char *pcm_path)
{
    FILE *f = fopen(blob_path, "rb");
    size_t nb, ns;
    long i;
    int st;
    if (!f)
        return 2;
    nb = fread(buf, 1, sizeof buf, f);
    fclose(f);
    st = cw_model_load(&model, buf, nb);
    if (st != CW_OK) {
        printf("error: %s\n", cw_strerror(st));
        return 1;
    }
    cw_det_init(&det, &model);
    f = fopen(pcm_path, "rb");
    if (!f)
        return 2;
    ns = fread(ppcm, 2, sizeof ppcm / 2, f); /* the host's byte order: little-endian here */
    fclose(f);
    for (i = 0; i + model.pitch_frame <= (long)ns; i += model.pitch_hop) {
        double f0, harm;
        const int v = cw_pitch_frame(&det, ppcm + i, &f0, &harm);
        printf("%.0f %.0f %d\n", (double)(model.sr / 2) / f0, harm * 32768.0, v);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "pitch") == 0)
        return pitch(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "replay") == 0)
        return replay(argv[2]);
    if (argc == 2 && strcmp(argv[1], "requant") == 0)
        return requant();
    if (argc == 3 && strcmp(argv[1], "wav") == 0)
        return wav(argv[2]);
    fprintf(stderr, "usage: cw_test replay FILE | requant | wav FILE | pitch BLOB PCM\n");
    return 2;
}
