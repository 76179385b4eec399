/* cw_cry - host program of the board runtime.
 *
 *   cw_cry --model M.cwb FILE.wav        detect cries in a 16-bit mono WAV at the model's rate
 *   cw_cry --model M.cwb -               ... in raw s16le mono PCM from stdin
 *   (--trace also prints each window's score, level and voiced share as a JSON line; the share
 *   is null for a window whose pitch frames were not analysed: see cw_detect.h, lazy_pitch;
 *   --pitch-all analyses every window's frames, the outputs unchanged)
 *   cw_cry --model M.cwb --golden G --out O --samples N [--model-input golden|own]
 *        golden mode: runs G/sNNN/wave.bin through the front end and the model input
 *        (G/sNNN/q0.bin, or the C front end's own) through the model; writes every tensor to
 *        O/sNNN/<name>.bin plus O/manifest.json (cribwatch golden-vector format)
 *   cw_cry --model M.cwb --bench none|fe|model|full|flagged --seconds S
 *        instruction-count workloads over S seconds of synthetic audio (see docs/BOARD.md);
 *        flagged: the whole detector with every window's pitch frames analysed, as when every
 *        window is flagged (continuous crying)
 *
 * Prints the JSON lines of `cribwatch cry detect - --json` (for a WAV file too: on the board
 * every input is a stream): {"type": "alert", "onset", "emitted"} the moment a bout is
 * confirmed, then {"type": "end", "onset", "offset", "score", "emitted"} when it closes.
 * --trace adds a line per window and, after each alert and end line, the same values unrounded
 * ({"trace": "alert"|"end", "at": stream sample at which it fired, ...}: what
 * `cribwatch board check` compares bit for bit). Bad input: one "error: ..." line on stderr,
 * exit code 2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cw_detect.h"
#include "cw_model.h"
#include "cw_wav.h"

#ifndef CW_MAX_BLOB
#define CW_MAX_BLOB (256 * 1024)
#endif

static uint8_t g_blob[CW_MAX_BLOB];
static cw_model g_model;
static cw_det g_det;
static uint8_t g_io[16000];
static int16_t g_pcm[8000];

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "error: %s: %s\n", what, msg);
    exit(2);
}

#ifndef CW_MAX_BENCH_SECONDS
#define CW_MAX_BENCH_SECONDS 86400.0 /* one day of synthetic audio */
#endif
#define CW_MAX_SAMPLES 100000

/* --seconds: a finite decimal number in [0, CW_MAX_BENCH_SECONDS], nothing after it */
static double parse_seconds(const char *opt, const char *v)
{
    char *end = NULL;
    double x;
    errno = 0;
    x = strtod(v, &end);
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x))
        die(opt, "want a finite number of seconds");
    if (x < 0.0 || x > CW_MAX_BENCH_SECONDS)
        die(opt, "want seconds from 0 to 86400");
    return x;
}

/* --samples: a decimal integer in [1, CW_MAX_SAMPLES], nothing after it */
static int parse_count(const char *opt, const char *v)
{
    char *end = NULL;
    long x;
    errno = 0;
    x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno == ERANGE || x < 1 || x > CW_MAX_SAMPLES)
        die(opt, "want a whole number from 1 to 100000");
    return (int)x;
}

/* the value of option argv[i]: present and not empty */
static const char *value_of(int argc, char **argv, int i)
{
    if (i + 1 >= argc || argv[i + 1][0] == '\0')
        die(argv[i], "missing value");
    return argv[i + 1];
}

static void load_model(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    int st;
    if (!f)
        die(path, "model file not found");
    n = fread(g_blob, 1, sizeof g_blob, f);
    if (n == sizeof g_blob && fgetc(f) != EOF) {
        fclose(f);
        die(path, "model file too large for this runtime");
    }
    fclose(f);
    st = cw_model_load(&g_model, g_blob, n);
    if (st != CW_OK)
        die(path, cw_strerror(st));
}

/* shortest text that reads back as the same double, like Python's repr (x has <= 4 decimals) */
static void put_num(char *out, size_t len, double x, int decimals)
{
    char buf[64];
    double r;
    int p;
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    r = strtod(buf, NULL);
    for (p = 1; p <= 17; p++) {
        snprintf(out, len, "%.*g", p, r);
        if (strtod(out, NULL) == r)
            break;
    }
    if (!strpbrk(out, ".en"))
        strncat(out, ".0", len - strlen(out) - 1);
}

static int g_trace; /* --trace: window lines and unrounded alert/end lines */

static void print_alert(void *ctx, const cw_alert *al)
{
    char a[32], b[32];
    (void)ctx;
    put_num(a, sizeof a, al->onset, 3);
    put_num(b, sizeof b, al->emitted, 3);
    printf("{\"type\": \"alert\", \"onset\": %s, \"emitted\": %s}\n", a, b);
    if (g_trace)
        printf("{\"trace\": \"alert\", \"at\": %llu, \"onset\": %.17g, \"emitted\": %.17g}\n",
               (unsigned long long)g_det.total, al->onset, al->emitted);
    fflush(stdout);
}

static void print_event(void *ctx, const cw_event *ev)
{
    char a[32], b[32], c[32], d[32];
    (void)ctx;
    put_num(a, sizeof a, ev->onset, 3);
    put_num(b, sizeof b, ev->offset, 3);
    put_num(c, sizeof c, ev->score, 4);
    put_num(d, sizeof d, ev->emitted, 3);
    printf("{\"type\": \"end\", \"onset\": %s, \"offset\": %s, \"score\": %s, \"emitted\": %s}\n",
           a, b, c, d);
    if (g_trace)
        printf("{\"trace\": \"end\", \"at\": %llu, \"onset\": %.17g, \"offset\": %.17g, "
               "\"score\": %.17g, \"emitted\": %.17g}\n", (unsigned long long)g_det.total,
               ev->onset, ev->offset, ev->score, ev->emitted);
    fflush(stdout);
}

static const cw_callbacks g_print = {print_alert, print_event, NULL};

static void print_window(void *ctx, const cw_det *d)
{
    (void)ctx;
    printf("{\"window\": %ld, \"logit_q\": %d, \"score\": %.17g, \"level_db\": %.17g, ",
           (long)d->k, (int)d->last_logit, d->last_score, d->last_level);
    if (d->last_share < 0.0) /* not analysed: the lazy pitch analysis skipped this window */
        printf("\"voiced_share\": null}\n");
    else
        printf("\"voiced_share\": %.17g}\n", d->last_share);
}

static size_t file_read(void *ctx, uint8_t *buf, size_t n) { return fread(buf, 1, n, (FILE *)ctx); }

static void to_pcm(const uint8_t *b, size_t n, int16_t *out)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned u = (unsigned)b[2 * i] | ((unsigned)b[2 * i + 1] << 8);
        out[i] = (int16_t)(u >= 32768u ? (int)u - 65536 : (int)u);
    }
}

static int run_stdin(void)
{
    size_t carry = 0, total = 0;
    for (;;) {
        size_t got = fread(g_io + carry, 1, sizeof g_io - carry, stdin), n, ns;
        if (got == 0)
            break;
        n = carry + got;
        ns = n / 2;
        to_pcm(g_io, ns, g_pcm);
        cw_det_push(&g_det, g_pcm, ns, &g_print);
        total += ns;
        carry = n - 2 * ns;
        if (carry)
            g_io[0] = g_io[n - 1];
    }
    if (ferror(stdin))
        die("stdin", "read error");
    if (carry)
        die("stdin", "odd number of bytes: not 16-bit PCM (s16le) audio");
    if (total == 0)
        die("stdin", "no audio samples");
    cw_det_flush(&g_det, &g_print);
    return 0;
}

static int run_wav(const char *path)
{
    FILE *f = fopen(path, "rb");
    cw_wav_info info;
    char err[160];
    long start, end;
    uint32_t left;
    if (!f)
        die(path, "file not found");
    if (cw_wav_open(file_read, f, g_model.sr, &info, err, sizeof err) != 0) {
        fclose(f);
        die(path, err);
    }
    /* refuse a truncated data chunk before printing anything */
    start = ftell(f);
    if (start < 0 || fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 ||
        fseek(f, start, SEEK_SET) != 0) {
        fclose(f);
        die(path, "cannot seek in the file");
    }
    if ((unsigned long)(end - start) < (unsigned long)info.data_bytes) {
        fclose(f);
        die(path, "corrupt WAV (data chunk truncated)");
    }
    left = info.data_bytes;
    while (left) {
        size_t want = left < sizeof g_io ? left : sizeof g_io, got = fread(g_io, 1, want, f);
        if (got != want) {
            fclose(f);
            die(path, "read error");
        }
        to_pcm(g_io, got / 2, g_pcm);
        cw_det_push(&g_det, g_pcm, got / 2, &g_print);
        left -= (uint32_t)got;
    }
    fclose(f);
    cw_det_flush(&g_det, &g_print);
    return 0;
}

/* ------------------------------------------------------------------------ golden mode */
static const char *g_out;
static int g_sample;
static float g_f32[CW_MAX_FRAMES * CW_MAX_MELS];

static void write_bin(const char *name, const void *p, size_t bytes)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/s%03d/%s.bin", g_out, g_sample, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes || fclose(f) != 0)
        die(path, "cannot write");
}

static void layer_cb(void *ctx, int layer, const int8_t *q, int n)
{
    char name[16];
    (void)ctx;
    snprintf(name, sizeof name, "q%d", layer + 1);
    write_bin(name, q, (size_t)n);
}

static void read_bin(const char *dir, int sample, const char *name, void *p, size_t bytes)
{
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/s%03d/%s.bin", dir, sample, name);
    f = fopen(path, "rb");
    if (!f)
        die(path, "golden tensor not found");
    if (fread(p, 1, bytes, f) != bytes || fgetc(f) != EOF) {
        fclose(f);
        die(path, "golden tensor has the wrong size");
    }
    fclose(f);
}

static void write_manifest(int samples)
{
    char path[1024];
    FILE *f;
    int i, s;
    const cw_model *m = &g_model;
    snprintf(path, sizeof path, "%s/manifest.json", g_out);
    f = fopen(path, "w");
    if (!f)
        die(path, "cannot write");
    fprintf(f, "{\"format\": \"cribwatch-golden\", \"version\": 1, \"model\": \"cw_cry\", ");
    fprintf(f, "\"model_sha256\": \"");
    for (i = 0; i < 32; i++)
        fprintf(f, "%02x", m->src_sha256[i]);
    fprintf(f, "\", \"samples\": [");
    for (s = 0; s < samples; s++)
        fprintf(f, "%s\"s%03d\"", s ? ", " : "", s);
    fprintf(f, "], \"tensors\": [\n");
    fprintf(f, "{\"name\": \"wave\", \"file\": \"wave\", \"shape\": [%d], \"dtype\": \"float32\", "
               "\"scale\": null, \"zero_point\": null},\n", m->window_samples);
    fprintf(f, "{\"name\": \"logmel\", \"file\": \"logmel\", \"shape\": [%d, %d], "
               "\"dtype\": \"float32\", \"scale\": null, \"zero_point\": null},\n", m->frames, m->mels);
    fprintf(f, "{\"name\": \"input\", \"file\": \"input\", \"shape\": [1, 1, %d, %d], "
               "\"dtype\": \"float32\", \"scale\": null, \"zero_point\": null},\n", m->frames, m->mels);
    fprintf(f, "{\"name\": \"q0\", \"file\": \"q0\", \"shape\": [1, 1, %d, %d], \"dtype\": \"int8\", "
               "\"scale\": %.17g, \"zero_point\": %d},\n", m->frames, m->mels, m->in_scale, (int)m->in_zp);
    for (i = 0; i < m->n_layers; i++) {
        const cw_layer *L = &m->layers[i];
        fprintf(f, "{\"name\": \"q%d\", \"file\": \"q%d\", ", i + 1, i + 1);
        if (L->kind == CW_CONV)
            fprintf(f, "\"shape\": [1, %d, %d, %d], ", L->cout, L->out_h, L->out_w);
        else
            fprintf(f, "\"shape\": [1, %d], ", L->cout);
        fprintf(f, "\"dtype\": \"int8\", \"scale\": %.17g, \"zero_point\": %d},\n", L->out_scale,
                (int)L->out_zp);
    }
    fprintf(f, "{\"name\": \"logit\", \"file\": \"logit\", \"shape\": [1, 1], \"dtype\": \"float32\", "
               "\"scale\": null, \"zero_point\": null},\n");
    fprintf(f, "{\"name\": \"score\", \"file\": \"score\", \"shape\": [1], \"dtype\": \"float32\", "
               "\"scale\": null, \"zero_point\": null}\n]}\n");
    if (fclose(f) != 0)
        die(path, "cannot write");
}

static int run_golden(const char *gdir, int samples, int own_input)
{
    static float wave[CW_MAX_WSAMP];
    static int16_t pcm[CW_MAX_WSAMP];
    const cw_model *m = &g_model;
    const int nin = m->frames * m->mels;
    int s, i;
    for (s = 0; s < samples; s++) {
        cw_fe *fe = &g_det.fe;
        size_t done = 0;
        int8_t logit;
        float lf, sf;
        g_sample = s;
        read_bin(gdir, s, "wave", wave, sizeof(float) * (size_t)m->window_samples);
        for (i = 0; i < m->window_samples; i++) {
            double v = (double)wave[i] * 32768.0;
            if (v < -32768.0 || v > 32767.0 || v != (double)(int16_t)v)
                die(gdir, "golden wave is not 16-bit PCM audio");
            pcm[i] = (int16_t)v;
        }
        cw_fe_reset(fe);
        while (done < (size_t)m->window_samples) {
            int ready;
            done += cw_fe_push(fe, pcm + done, (size_t)m->window_samples - done, &ready);
            if (ready) {
                int f = (int)fe->frame_index;
                for (i = 0; i < m->mels; i++) {
                    g_f32[f * m->mels + i] = fe->logmel[i];
                    g_det.q0[f * m->mels + i] = (int8_t)((int)fe->u8[i] - 128);
                }
            }
        }
        write_bin("wave", wave, sizeof(float) * (size_t)m->window_samples);
        write_bin("logmel", g_f32, sizeof(float) * (size_t)nin);
        for (i = 0; i < nin; i++)
            g_f32[i] = (float)((int)g_det.q0[i] + 128);
        write_bin("input", g_f32, sizeof(float) * (size_t)nin);
        if (!own_input)
            read_bin(gdir, s, "q0", g_det.q0, (size_t)nin);
        write_bin("q0", g_det.q0, (size_t)nin);
        logit = cw_infer(m, &g_det.ws, g_det.q0, layer_cb, NULL);
        lf = (float)cw_logit(m, logit);
        sf = (float)cw_score(m, logit);
        write_bin("logit", &lf, sizeof lf);
        write_bin("score", &sf, sizeof sf);
    }
    write_manifest(samples);
    return 0;
}

/* ------------------------------------------------------------------------- bench mode */
static uint32_t g_lcg = 12345u;

static void synth(int16_t *x, size_t n, uint64_t t0)
{
    size_t i;
    for (i = 0; i < n; i++) { /* a wobbling 450 Hz tone with harmonics plus noise */
        uint64_t t = t0 + i;
        int ph = (int)((t * 450u * 65536u / 16000u) & 65535u);
        int tri = ph < 32768 ? ph - 16384 : 49152 - ph;
        g_lcg = g_lcg * 1103515245u + 12345u;
        x[i] = (int16_t)(tri / 2 + (int)((g_lcg >> 16) & 2047u) - 1024);
    }
}

static int run_bench(const char *phase, double seconds)
{
    const cw_model *m = &g_model;
    const uint64_t n = (uint64_t)(seconds * (double)m->sr);
    uint64_t t = 0;
    unsigned sink = 0;
    if (strcmp(phase, "model") == 0) {
        /* as many windows as the detector scores in that much audio: one every hop */
        long w, nw = (long)(seconds * (double)m->sr / (double)m->hop_samples + 0.5);
        for (w = 0; w < m->frames * m->mels; w++) {
            g_lcg = g_lcg * 1103515245u + 12345u;
            g_det.q0[w] = (int8_t)((g_lcg >> 16) & 255u);
        }
        for (w = 0; w < nw; w++) { /* as the detector does: reusing the shared rows */
            g_det.q0[w % (m->frames * m->mels)] ^= 1;
            sink += (unsigned)(uint8_t)cw_infer_ex(m, &g_det.ws, g_det.q0,
                                                   w ? m->hop_samples / m->hop : 0, NULL, NULL);
        }
    } else {
        int ph = strcmp(phase, "none") == 0 ? 0 : strcmp(phase, "fe") == 0 ? 1
               : strcmp(phase, "full") == 0 ? 2 : strcmp(phase, "flagged") == 0 ? 3 : -1;
        if (ph < 0)
            die("--bench", "want none, fe, model, full or flagged");
        if (ph == 3) {
            g_det.pitch_all = 1;
            ph = 2;
        }
        while (t < n) {
            size_t k = n - t < 8000u ? (size_t)(n - t) : 8000u, done = 0;
            synth(g_pcm, k, t);
            if (ph == 1) {
                while (done < k) {
                    int ready;
                    done += cw_fe_push(&g_det.fe, g_pcm + done, k - done, &ready);
                    sink += ready ? g_det.fe.u8[0] : 0u;
                }
            } else if (ph == 2) {
                cw_det_push(&g_det, g_pcm, k, NULL);
            }
            sink += (unsigned)g_pcm[0];
            t += k;
        }
    }
    printf("{\"phase\": \"%s\", \"seconds\": %g, \"sink\": %u, \"det_bytes\": %lu, "
           "\"model_bytes\": %lu}\n", phase, seconds, sink, (unsigned long)sizeof(cw_det),
           (unsigned long)sizeof(cw_model));
    return 0;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *golden = NULL, *bench = NULL;
    int pitch_all = 0;
    int i, samples = 0, own = 0;
    double seconds = 0.0;
    int seen_seconds = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--model") == 0)
            model = value_of(argc, argv, i++);
        else if (strcmp(a, "--golden") == 0)
            golden = value_of(argc, argv, i++);
        else if (strcmp(a, "--out") == 0)
            g_out = value_of(argc, argv, i++);
        else if (strcmp(a, "--samples") == 0)
            samples = parse_count(a, value_of(argc, argv, i++));
        else if (strcmp(a, "--model-input") == 0) {
            const char *v = value_of(argc, argv, i++);
            if (strcmp(v, "own") != 0 && strcmp(v, "golden") != 0)
                die("--model-input", "want golden or own");
            own = strcmp(v, "own") == 0;
        } else if (strcmp(a, "--bench") == 0)
            bench = value_of(argc, argv, i++);
        else if (strcmp(a, "--trace") == 0)
            g_trace = 1;
        else if (strcmp(a, "--pitch-all") == 0)
            pitch_all = 1;
        else if (strcmp(a, "--seconds") == 0) {
            seconds = parse_seconds(a, value_of(argc, argv, i++));
            seen_seconds = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("usage: cw_cry --model M.cwb (FILE.wav | - [--trace] [--pitch-all] | --golden G "
                   "--out O --samples N [--model-input golden|own] | --bench "
                   "none|fe|model|full|flagged --seconds S)\n");
            return 0;
        } else if (a[0] == '-' && a[1] != '\0')
            die(a, "unknown option (see --help)");
        else if (!input)
            input = a;
        else
            die(a, "more than one input");
    }
    if (!model)
        die("cw_cry", "--model is required");
    if ((bench != NULL) + (golden != NULL) + (input != NULL) > 1)
        die("cw_cry", "give one of FILE.wav, -, --golden and --bench");
    if (seen_seconds && !bench)
        die("--seconds", "only with --bench");
    if (bench && strcmp(bench, "none") != 0 && strcmp(bench, "fe") != 0
        && strcmp(bench, "model") != 0 && strcmp(bench, "full") != 0
        && strcmp(bench, "flagged") != 0)
        die("--bench", "want none, fe, model, full or flagged");
    load_model(model);
    cw_det_init(&g_det, &g_model);
    if (g_trace)
        g_det.on_window = print_window;
    g_det.pitch_all = pitch_all;
    if (bench)
        return run_bench(bench, seconds);
    if (golden) {
        if (!g_out || samples < 1)
            die("cw_cry", "golden mode needs --out and --samples N >= 1");
        return run_golden(golden, samples, own);
    }
    if (!input)
        die("cw_cry", "no input (a WAV file or - for raw PCM on stdin)");
    if (strcmp(input, "-") == 0)
        return run_stdin();
    return run_wav(input);
}
