/* cw_detect.h - the streaming cry detector: front end, integer model every hop, and the
 * post-processing chain of cribwatch/cry/postprocess.py (loudness gate, pitch/harmonicity,
 * cry rhythm, smoothing with hysteresis (k of n windows to start, one of them at the threshold,
 * the others at sustain_low or above), the onset's look-back over windows scoring at least
 * onset_low) with the thresholds stored in the model blob.
 * Window k covers samples [k*hop, k*hop + window). Two callbacks, exactly like
 * cribwatch.cry.stream.StreamDetector's on_alert and on_event: `alert` the moment a bout is
 * confirmed (it has lasted min_bout_s, so it will be reported; with its onset estimate), then
 * `event` when that bout closes. Every reported event gets exactly one alert, before it; a bout
 * too short to report gets neither.
 * All state is in cw_det (about 150 KB with the default capacities); nothing is allocated.
 */
#ifndef CW_DETECT_H
#define CW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "cw_frontend.h"
#include "cw_infer.h"
#include "cw_model.h"

/* API version of this header (the blob format has its own, CW_VERSION in cw_model.h).
 * 1: cw_det_push(d, pcm, n, event_cb, ctx), closed events only.
 * 2: cw_det_push(d, pcm, n, &callbacks): an alert at decision time, then the closed event. */
#define CW_API_VERSION 2

typedef struct {
    double onset, offset, score, emitted; /* seconds of stream time */
} cw_event;

typedef struct {
    double onset;   /* onset estimate of the bout (s of stream time; the event's onset) */
    double emitted; /* stream time at which the bout counts as known (the event's emitted) */
} cw_alert;

typedef void (*cw_event_cb)(void *ctx, const cw_event *ev);
typedef void (*cw_alert_cb)(void *ctx, const cw_alert *al);

/* What the detector calls; NULL members (or a NULL pointer to this struct) are skipped. Both
 * run inside cw_det_push/cw_det_flush, on the caller's thread, in stream order. */
typedef struct {
    cw_alert_cb alert; /* a bout is confirmed: it will be reported (fires once per bout) */
    cw_event_cb event; /* a confirmed bout has closed: the whole event */
    void *ctx;         /* passed to both */
} cw_callbacks;

typedef struct cw_det_s {
    const cw_model *m;
    cw_fe fe;
    cw_infer_ws ws;
    int8_t q0[CW_MAX_FRAMES * CW_MAX_MELS];
    uint8_t frames[CW_MAX_FRAMES][CW_MAX_MELS]; /* ring of model-input frames */
    int16_t ring[CW_MAX_WSAMP];                /* the last samples */
    uint64_t total, next_pitch_end, next_win_end;
    /* pitch analysis */
    int16_t pbuf[CW_MAX_PFRAME]; /* one pitch frame, unwrapped from the ring */
    int16_t pwin[CW_MAX_PN8];     /* decoded tables (the blob may be unaligned flash) */
    int32_t pgain[CW_MAX_PN8 / 2];
    int32_t py[CW_MAX_PN8];       /* the frame at 8 kHz */
    uint64_t py_tag;              /* the ring sample py's frame starts at (~0: none) */
    int32_t py_sum2, py_min2, py_max2; /* sum and extremes of py[pitch_hop / 2 ..] */
    int16_t pv[CW_MAX_PN8 + 8];   /* ... block-shifted and windowed: |v| <= 2048 */
    int32_t pac[CW_MAX_PN8 / 2 + 8];
    uint8_t voiced[64]; /* cry-voiced flag per pitch frame, ring (slot: frame index & 63) */
    uint64_t vtag[64];  /* the frame index each slot holds, ~0: none (the lazy cache) */
    uint64_t n_pitch;   /* pitch frames computed */
    /* Lazy pitch analysis (issue 27): without the rhythm filter, a window's voiced share can
     * change a decision only when its score reaches sustain_low and it passes the loudness gate
     * (Chain.positive checks the share after those), so only such windows get their pitch
     * frames analysed (each frame once: the cache above), from the ring, when they are scored.
     * With the rhythm filter every frame is analysed as it completes (its history needs them
     * all). pitch_all: analyse every window's frames anyway (the bench's flagged workload;
     * set after cw_det_init, the outputs do not change). */
    int lazy_pitch, pitch_all;
    /* chain */
    uint8_t hist[CW_MAX_KEEP][64]; /* voiced tails of the last `keep` windows */
    int n_hist;
    uint8_t recent[64], strong[64]; /* last n_on windows: positive, and at the threshold */
    int n_recent;
    int in_bout, quiet, alerted;
    int64_t k, bout_first, bout_last, prev_last;
    int64_t infer_k; /* the window the model last scored (its first layer is reused) */
    double bout_score, bout_emitted, bout_onset;
    double shist[CW_MAX_BACK + 64]; /* scores of the last onset_back + n_on windows */
    int n_shist;
    /* the last window, for callers that want it */
    int8_t last_logit;
    double last_score, last_level, last_share; /* last_share < 0: not analysed (lazy) */
    /* optional: called after every window, before its events (tracing, tests) */
    void (*on_window)(void *ctx, const struct cw_det_s *d);
    void *on_window_ctx;
} cw_det;

void cw_det_init(cw_det *d, const cw_model *m);
void cw_det_reset(cw_det *d);
/* Feed s16 samples; alerts and closed events go to cb (may be NULL). */
void cw_det_push(cw_det *d, const int16_t *pcm, size_t n, const cw_callbacks *cb);
/* End of stream: close an open bout (its event, if it was confirmed, goes to cb). */
void cw_det_flush(cw_det *d, const cw_callbacks *cb);

/* Cry-voiced flag of one pitch frame (pitch_frame samples) by the integer check; *f0 (8000 /
 * the lag found) and *harm (its Q15 harmonicity / 2^15) are set. */
int cw_pitch_frame(cw_det *d, const int16_t *x, double *f0, double *harm);

#endif
