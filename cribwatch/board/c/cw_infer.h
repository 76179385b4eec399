/* cw_infer.h - integer inference of the cry model, the C twin of cribwatch/cry/intref.py.
 *
 * Tensors are int8 in C order (C, H, W), as in Python's (B, C, H, W) without B. Operators:
 * convolution (full, depthwise, pointwise; zero padding in the real domain, i.e. by the input
 * zero point), global average pooling, fully connected; weights int8 or int4 packed two per byte
 * (low nibble first); int32 accumulators (bounded at load time); requantization
 *   q = clamp(zp_out + round_half_away_from_zero(acc * M / 2^(31 + shift)), qmin, qmax)
 * in int64, exactly as cribwatch.deploy.quantize.requantize. The ReLU6 clip is the [qmin, qmax]
 * clamp. No allocation: the workspace is a caller-provided struct.
 */
#ifndef CW_INFER_H
#define CW_INFER_H

#include <stdint.h>

#include "cw_model.h"

typedef struct {
    int8_t l0[CW_MAX_ACT]; /* the first layer's output, kept for the next window */
    int8_t act[2][CW_MAX_ACT];
    int8_t wk[CW_MAX_KSIZE]; /* one output channel's unpacked weights */
    int8_t pad[CW_MAX_PAD];  /* one input channel with its zero-point border (3x3 kernels) */
    int32_t row[CW_MAX_ROW]; /* one output row of accumulators (3x3 kernels) */
} cw_infer_ws;

/* Called after each layer with its output (layer index, data, element count). */
typedef void (*cw_layer_cb)(void *ctx, int layer, const int8_t *q, int n);

/* Runs the model on q0 (frames * mels int8: model input u8 - 128). Returns the int8 logit. */
int8_t cw_infer(const cw_model *m, cw_infer_ws *ws, const int8_t *q0, cw_layer_cb cb, void *ctx);

/* The same, for the window whose input starts `shift` frames after that of the previous call
 * on this workspace (same model): the first layer's output rows the two windows share are
 * taken from that call instead of computed again (the same integers). shift <= 0: nothing is
 * reused. cw_infer is cw_infer_ex with shift 0. */
int8_t cw_infer_ex(const cw_model *m, cw_infer_ws *ws, const int8_t *q0, int shift,
                   cw_layer_cb cb, void *ctx);

/* Dequantized logit and its sigmoid, as Python computes them. */
double cw_logit(const cw_model *m, int8_t q);
double cw_score(const cw_model *m, int8_t q);

/* One requantization (exposed for the tests). `rshift` = 31 + shift, in [1, 62]. */
int8_t cw_requant(int32_t acc, int32_t mult, int rshift, int32_t zp, int32_t qmin, int32_t qmax);

#endif
