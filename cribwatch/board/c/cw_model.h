/* cw_model.h - the flat cry model blob written by `cribwatch cry export --format c`.
 *
 * The blob is little-endian and is parsed in place: after cw_model_load() succeeds, the
 * cw_model struct points into the caller's blob (which may live in flash), so the blob must
 * outlive the model. Nothing is allocated. Every field is validated before use: a truncated,
 * wrong-version, corrupt (CRC-32) or inconsistent blob is refused with an error code and never
 * run. See docs/BOARD.md for the byte layout.
 */
#ifndef CW_MODEL_H
#define CW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define CW_MAGIC "CWCRYMOD"
#define CW_VERSION 5u

/* Compile-time capacities (override with -D to fit another model; see docs/BOARD.md). */
#ifndef CW_MAX_LAYERS
#define CW_MAX_LAYERS 24
#endif
#ifndef CW_MAX_ACT
#define CW_MAX_ACT 25600 /* int8 elements of the largest activation tensor */
#endif
#ifndef CW_MAX_KSIZE
#define CW_MAX_KSIZE 1024 /* weights of one output channel (cin/groups * kh * kw) */
#endif
#ifndef CW_MAX_PAD
/* one padded input channel of a 3x3 convolution; a larger one takes the slower border path */
#define CW_MAX_PAD ((CW_MAX_FRAMES + 2) * (CW_MAX_MELS + 2))
#endif
#ifndef CW_MAX_ROW
#define CW_MAX_ROW (CW_MAX_MELS + 2) /* output row of a 3x3 kernel on that path */
#endif
#ifndef CW_MAX_FRAMES
#define CW_MAX_FRAMES 100 /* model input frames */
#endif
#ifndef CW_MAX_MELS
#define CW_MAX_MELS 64
#endif
#ifndef CW_MAX_WIN
#define CW_MAX_WIN 512 /* front-end analysis window (samples) */
#endif
#ifndef CW_MAX_NFFT
#define CW_MAX_NFFT 512
#endif
#ifndef CW_MAX_MELW
#define CW_MAX_MELW 1024 /* non-zero mel filterbank weights */
#endif
#define CW_LUT_N 129 /* entries of the log2 table (128 segments) */
#define CW_S_MAX 15  /* largest block shift */
#ifndef CW_MAX_PFRAME
#define CW_MAX_PFRAME 640 /* pitch analysis frame (samples) */
#endif
#define CW_MAX_PN8 ((CW_MAX_PFRAME - 4) / 2 + 1) /* a pitch frame at 8 kHz (319 samples) */
#define CW_MAX_TW CW_MAX_NFFT                      /* the one FFT table: the front end's */
#ifndef CW_WSAMP_LOG2
#define CW_WSAMP_LOG2 14 /* sample ring: 2^14 >= the 1 s window */
#endif
#define CW_MAX_WSAMP (1 << CW_WSAMP_LOG2)
#ifndef CW_MAX_KEEP
#define CW_MAX_KEEP 32 /* rhythm history (windows: 3 s at a 0.1 s hop) */
#endif
#ifndef CW_MAX_BACK
#define CW_MAX_BACK 32 /* windows the onset may move back over */
#endif

enum cw_status {
    CW_OK = 0,
    CW_E_TRUNCATED = 1, /* blob shorter than its header says */
    CW_E_MAGIC = 2,     /* not a cribwatch cry model */
    CW_E_VERSION = 3,   /* a version this runtime does not read */
    CW_E_CHECKSUM = 4,  /* CRC-32 mismatch: corrupt */
    CW_E_FORMAT = 5,    /* inconsistent fields (shapes, ranges, sizes) */
    CW_E_CAPACITY = 6,  /* valid, but larger than the compiled capacities */
    CW_E_ARG = 7        /* bad argument */
};

const char *cw_strerror(int status);

enum cw_layer_kind { CW_CONV = 1, CW_GAP = 2, CW_FC = 3 };

typedef struct {
    int kind, bits, stride, pad, groups;
    int cin, cout, kh, kw;
    int in_h, in_w, out_h, out_w;
    int32_t in_zp, out_zp, qmin, qmax;
    double in_scale, out_scale;
    const uint8_t *bias;  /* int32 LE x cout */
    const uint8_t *mult;  /* int32 LE x cout, in [2^30, 2^31) */
    const uint8_t *shift; /* int32 LE x cout; right shift is 31 + shift, in [1, 62] */
    const uint8_t *w;     /* int8, or int4 packed two per byte, low nibble first */
    uint32_t w_bytes;
} cw_layer;

/* Post-processing filter switches (bit mask). */
#define CW_F_LOUDNESS 1u
#define CW_F_PITCH 2u
#define CW_F_RHYTHM 4u
#define CW_F_SMOOTHING 8u

typedef struct {
    /* front end */
    int sr, n_fft, win, hop, n_mels;
    double eps, log_lo, log_hi;
    /* the fixed-point front end (cribwatch/cry/fixedfront.py): block shift up to s_max, the
     * FFT input x * window << s >> vshift, the first `unscaled` FFT stages without the 1/2
     * scaling, model input clip((t * a_q + c_q + 2^31) >> 32, 0, 255) of the Q16 log2 t */
    int s_max, unscaled, vshift;
    int32_t a_q;
    int64_t c_q;
    double log2g;             /* log2 of the scale G (for the golden log-mel only) */
    const uint8_t *window_q;  /* i32 x win: Q15 periodic Hann, 0..32767 */
    int mel_start[CW_MAX_MELS], mel_count[CW_MAX_MELS];
    const uint8_t *mel_q;     /* i32 x sum(mel_count): Q15 filters, 0..32768 */
    int tw_n;                 /* the one FFT table: exp(-2 pi i k / tw_n), k < tw_n / 2 */
    const uint8_t *tw_re, *tw_im; /* i32 Q30 x tw_n/2 */
    const uint8_t *lut;       /* i32 x 129: Q16 log2(1 + f) - f at f = i / 128 */
    const uint8_t *eps_q;     /* i64 x (s_max + 1): eps in the integer scale of shift s */
    /* model */
    int bits, n_layers, frames, mels;
    int32_t in_zp;
    double in_scale;
    cw_layer layers[CW_MAX_LAYERS];
    /* detector */
    double threshold, gate_dbfs, f0_min, f0_max, harm_min, voiced_share_min;
    double min_unit_s, min_bout_s, onset_shift_s, offset_shift_s;
    double onset_low, onset_back_shift_s;
    double sustain_low; /* score that counts toward a bout (= threshold without hysteresis) */
    unsigned enabled;
    int keep, gap, k_on, n_on, m_off, onset_back;
    int pitch_frame, pitch_hop, window_samples, hop_samples;
    /* the integer pitch check (cribwatch/cry/postprocess.py int_pitch_frames_q, blob version
     * 5): frames decimated to pitch_n8 samples at 8 kHz, lags [lag_lo, lag_hi) searched, a
     * frame cry-voiced when its first near-best peak lies in [vlag_lo, vlag_hi] and its Q15
     * harmonicity reaches harm_q15 */
    int pitch_n8, lag_lo, lag_hi, vlag_lo, vlag_hi, harm_q15;
    const uint8_t *pwin_q; /* i32 x pitch_n8: Q15 Hann window at 8 kHz, 0..32767 */
    const uint8_t *pgain;  /* i32 x lag_hi: Q15 inverse of its own autocorrelation, 1..2^16 */
    uint8_t src_sha256[32];
} cw_model;

/* Parse and validate a blob of `len` bytes; on success `m` points into `blob`. */
int cw_model_load(cw_model *m, const uint8_t *blob, size_t len);

uint32_t cw_crc32(const uint8_t *p, size_t n, uint32_t crc);

/* Little-endian readers (alignment-free). */
int32_t cw_rd_i32(const uint8_t *p);
double cw_rd_f64(const uint8_t *p);
int64_t cw_rd_i64(const uint8_t *p);

#endif
