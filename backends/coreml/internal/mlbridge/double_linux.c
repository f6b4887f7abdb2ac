//go:build linux

/*
 * A C test double of backplane_coreml.h, compiled into the Go binding on
 * Linux only, so the binding's marshalling, error, timeout and concurrency
 * paths run under `go test -race` without macOS. It is not Core ML:
 *
 *  - A "model" is a text file: a first line "backplane-double 1", then one
 *    line per feature: "input|output NAME DTYPE RANK D1 ... Dn" with DTYPE
 *    one of f32 f16 f64 i32.
 *  - Compiling copies the file into the cache folder under "<key>.partial"
 *    and renames it to "<key>.mlmodelc".
 *  - Predicting computes output k = 2 * input k + 1, element by element,
 *    converting between the two features' dtypes (they must have the same
 *    element count). That fixed, known function lets tests check every
 *    dtype's marshalling by hand.
 *  - bp_double_inject makes the next calls of a function fail with a status
 *    or stall for a delay; bp_double_live counts strings and models the
 *    double handed out and the binding has not freed yet.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backplane_coreml.h"

#define MAX_FEATURES 16

struct bp_model {
    int32_t n_in, n_out;
    bp_feature in[MAX_FEATURES], out[MAX_FEATURES];
    char names[2 * MAX_FEATURES][64];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long long live;

/* Injected behaviour: the next `count` calls of function `fn` fail with
 * `status` (when it is not BP_OK) after sleeping `delay_ms`. */
static char inj_fn[32];
static int32_t inj_status, inj_delay_ms, inj_count;

void bp_double_inject(const char *fn, int32_t status, int32_t delay_ms, int32_t count) {
    pthread_mutex_lock(&mu);
    snprintf(inj_fn, sizeof inj_fn, "%s", fn ? fn : "");
    inj_status = status;
    inj_delay_ms = delay_ms;
    inj_count = count;
    pthread_mutex_unlock(&mu);
}

long long bp_double_live(void) {
    pthread_mutex_lock(&mu);
    long long n = live;
    pthread_mutex_unlock(&mu);
    return n;
}

/* injected returns the status to fail with (BP_OK for none) and the delay. */
static bp_status injected(const char *fn, int32_t *delay_ms) {
    bp_status st = BP_OK;
    *delay_ms = 0;
    pthread_mutex_lock(&mu);
    if (inj_count > 0 && strcmp(inj_fn, fn) == 0) {
        inj_count--;
        st = (bp_status)inj_status;
        *delay_ms = inj_delay_ms;
    }
    pthread_mutex_unlock(&mu);
    return st;
}

static void sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static char *dup_counted(const char *s) {
    char *d = strdup(s);
    if (d) {
        pthread_mutex_lock(&mu);
        live++;
        pthread_mutex_unlock(&mu);
    }
    return d;
}

static bp_status fail(char **err, bp_status st, const char *fmt, ...) {
    if (err) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        *err = dup_counted(buf);
    }
    return st;
}

int32_t bp_abi_version(void) { return BP_COREML_ABI_VERSION; }

void bp_free_string(char *s) {
    if (!s) return;
    pthread_mutex_lock(&mu);
    live--;
    pthread_mutex_unlock(&mu);
    free(s);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

bp_status bp_cache_clean(const char *cache_dir, char **err) {
    if (!cache_dir) return fail(err, BP_ERR_INVALID_ARGUMENT, "cache_dir is NULL");
    if (mkdir(cache_dir, 0755) != 0 && errno != EEXIST)
        return fail(err, BP_ERR_IO, "creating %s: %s", cache_dir, strerror(errno));
    DIR *d = opendir(cache_dir);
    if (!d) return fail(err, BP_ERR_IO, "opening %s: %s", cache_dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (ends_with(e->d_name, ".partial")) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", cache_dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    return BP_OK;
}

static bp_status copy_file(const char *from, const char *to, char **err) {
    FILE *in = fopen(from, "rb");
    if (!in) return fail(err, BP_ERR_IO, "opening %s: %s", from, strerror(errno));
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return fail(err, BP_ERR_IO, "creating %s: %s", to, strerror(errno));
    }
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    if (fclose(out) != 0) return fail(err, BP_ERR_IO, "writing %s", to);
    return BP_OK;
}

bp_status bp_compile(const char *model_path, const char *cache_dir, const char *key,
                     char **compiled_path, char **err) {
    if (!model_path || !cache_dir || !key || !compiled_path)
        return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_compile");
    char final_path[4096], partial[4096];
    snprintf(final_path, sizeof final_path, "%s/%s.mlmodelc", cache_dir, key);
    snprintf(partial, sizeof partial, "%s/%s.partial", cache_dir, key);
    if (mkdir(cache_dir, 0755) != 0 && errno != EEXIST)
        return fail(err, BP_ERR_IO, "creating %s: %s", cache_dir, strerror(errno));
    struct stat st;
    if (stat(final_path, &st) == 0) { /* compiled before: reuse */
        *compiled_path = dup_counted(final_path);
        return BP_OK;
    }
    int32_t delay;
    bp_status inj = injected("compile", &delay);
    sleep_ms(delay);
    bp_status s = copy_file(model_path, partial, err);
    if (s != BP_OK) return s;
    if (inj != BP_OK) /* an interrupted compile: the partial file stays behind */
        return fail(err, inj, "injected compile failure for %s", model_path);
    FILE *f = fopen(partial, "r");
    char head[64] = {0};
    if (!f || !fgets(head, sizeof head, f) || strncmp(head, "backplane-double 1", 18) != 0) {
        if (f) fclose(f);
        unlink(partial);
        return fail(err, BP_ERR_COMPILE, "%s is not a model (bad header)", model_path);
    }
    fclose(f);
    if (rename(partial, final_path) != 0)
        return fail(err, BP_ERR_IO, "renaming %s: %s", partial, strerror(errno));
    *compiled_path = dup_counted(final_path);
    return BP_OK;
}

static int parse_dtype(const char *s, bp_dtype *d) {
    if (strcmp(s, "f32") == 0) *d = BP_DTYPE_FLOAT32;
    else if (strcmp(s, "f16") == 0) *d = BP_DTYPE_FLOAT16;
    else if (strcmp(s, "f64") == 0) *d = BP_DTYPE_FLOAT64;
    else if (strcmp(s, "i32") == 0) *d = BP_DTYPE_INT32;
    else return 0;
    return 1;
}

bp_status bp_load(const char *compiled_path, bp_compute_units units, bp_model **out, char **err) {
    if (!compiled_path || !out) return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_load");
    if (units < BP_COMPUTE_ALL || units > BP_COMPUTE_CPU_AND_NEURAL_ENGINE)
        return fail(err, BP_ERR_INVALID_ARGUMENT, "compute units %d", (int)units);
    int32_t delay;
    bp_status inj = injected("load", &delay);
    sleep_ms(delay);
    if (inj != BP_OK) return fail(err, inj, "injected load failure");
    FILE *f = fopen(compiled_path, "r");
    if (!f) return fail(err, BP_ERR_LOAD, "opening %s: %s", compiled_path, strerror(errno));
    bp_model *m = calloc(1, sizeof *m);
    if (!m) {
        fclose(f);
        return fail(err, BP_ERR_OUT_OF_MEMORY, "allocating a model");
    }
    char line[512];
    bp_status st = BP_OK;
    if (!fgets(line, sizeof line, f) || strncmp(line, "backplane-double 1", 18) != 0)
        st = fail(err, BP_ERR_LOAD, "%s: bad header", compiled_path);
    while (st == BP_OK && fgets(line, sizeof line, f)) {
        char kind[16], name[64], dt[8];
        int rank, used;
        if (sscanf(line, "%15s %63s %7s %d%n", kind, name, dt, &rank, &used) != 4) continue;
        int is_out = strcmp(kind, "output") == 0;
        int32_t *n = is_out ? &m->n_out : &m->n_in;
        bp_feature *feat = is_out ? &m->out[*n] : &m->in[*n];
        if (*n >= MAX_FEATURES || rank < 0 || rank > BP_MAX_RANK || !parse_dtype(dt, &feat->dtype)) {
            st = fail(err, BP_ERR_LOAD, "%s: bad feature line: %s", compiled_path, line);
            break;
        }
        char *store = m->names[(is_out ? MAX_FEATURES : 0) + *n];
        snprintf(store, 64, "%s", name);
        feat->name = store;
        feat->rank = rank;
        char *p = line + used;
        for (int i = 0; i < rank; i++) feat->shape[i] = strtoll(p, &p, 10);
        (*n)++;
    }
    fclose(f);
    if (st != BP_OK) {
        free(m);
        return st;
    }
    pthread_mutex_lock(&mu);
    live++;
    pthread_mutex_unlock(&mu);
    *out = m;
    return BP_OK;
}

bp_status bp_describe(const bp_model *m, int32_t *n_inputs, int32_t *n_outputs, char **err) {
    if (!m || !n_inputs || !n_outputs) return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_describe");
    *n_inputs = m->n_in;
    *n_outputs = m->n_out;
    return BP_OK;
}

bp_status bp_feature_info(const bp_model *m, int32_t is_output, int32_t index, bp_feature *out, char **err) {
    if (!m || !out) return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_feature_info");
    int32_t n = is_output ? m->n_out : m->n_in;
    if (index < 0 || index >= n) return fail(err, BP_ERR_INVALID_ARGUMENT, "feature index %d of %d", index, n);
    *out = is_output ? m->out[index] : m->in[index];
    return BP_OK;
}

static size_t dtype_size(bp_dtype d) {
    switch (d) {
    case BP_DTYPE_FLOAT16: return 2;
    case BP_DTYPE_FLOAT64: return 8;
    default: return 4;
    }
}

/* IEEE half <-> float, round to nearest even; enough for the test values. */
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexpf((float)(man | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

static uint16_t float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (x >> 16) & 0x8000;
    float a = fabsf(f);
    if (isnan(f)) return sign | 0x7e00;
    if (a >= 65520.0f) return sign | 0x7c00;
    if (a < ldexpf(1, -14)) { /* subnormal: multiples of 2^-24 */
        return sign | (uint16_t)lrintf(a * ldexpf(1, 24));
    }
    int e;
    float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    uint32_t man = (uint32_t)lrintf((m * 2 - 1) * 1024);
    int exp = e - 1 + 15;
    if (man == 1024) {
        man = 0;
        exp++;
    }
    if (exp >= 31) return sign | 0x7c00;
    return sign | (uint16_t)(exp << 10) | (uint16_t)man;
}

static double load_elem(const void *data, bp_dtype d, size_t i) {
    switch (d) {
    case BP_DTYPE_FLOAT16: return half_to_float(((const uint16_t *)data)[i]);
    case BP_DTYPE_FLOAT64: return ((const double *)data)[i];
    case BP_DTYPE_INT32: return ((const int32_t *)data)[i];
    default: return ((const float *)data)[i];
    }
}

static void store_elem(void *data, bp_dtype d, size_t i, double v) {
    switch (d) {
    case BP_DTYPE_FLOAT16: ((uint16_t *)data)[i] = float_to_half((float)v); break;
    case BP_DTYPE_FLOAT64: ((double *)data)[i] = v; break;
    case BP_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)v; break;
    default: ((float *)data)[i] = (float)v; break;
    }
}

static size_t elements(const bp_feature *f) {
    size_t n = 1;
    for (int i = 0; i < f->rank; i++) n *= (size_t)f->shape[i];
    return n;
}

/* check_tensor compares a caller tensor with a feature. */
static bp_status check_tensor(const bp_tensor *t, const bp_feature *f, char **err) {
    if (t->dtype != f->dtype) return fail(err, BP_ERR_INVALID_ARGUMENT, "%s: dtype %d, model has %d", f->name, t->dtype, f->dtype);
    if (t->rank != f->rank) return fail(err, BP_ERR_INVALID_ARGUMENT, "%s: rank %d, model has %d", f->name, t->rank, f->rank);
    for (int i = 0; i < f->rank; i++)
        if (t->shape[i] != f->shape[i]) return fail(err, BP_ERR_INVALID_ARGUMENT, "%s: dim %d is %lld, model has %lld", f->name, i, (long long)t->shape[i], (long long)f->shape[i]);
    if (t->bytes != elements(f) * dtype_size(f->dtype) || (t->bytes > 0 && !t->data))
        return fail(err, BP_ERR_INVALID_ARGUMENT, "%s: %zu bytes, want %zu", f->name, t->bytes, elements(f) * dtype_size(f->dtype));
    return BP_OK;
}

static const bp_tensor *find(const bp_tensor *ts, int32_t n, const char *name) {
    for (int32_t i = 0; i < n; i++)
        if (ts[i].name && strcmp(ts[i].name, name) == 0) return &ts[i];
    return NULL;
}

bp_status bp_predict(bp_model *m, const bp_tensor *inputs, int32_t n_inputs,
                     bp_tensor *outputs, int32_t n_outputs, int64_t timeout_ms, char **err) {
    if (!m || (n_inputs > 0 && !inputs) || (n_outputs > 0 && !outputs))
        return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_predict");
    if (n_inputs != m->n_in || n_outputs != m->n_out)
        return fail(err, BP_ERR_INVALID_ARGUMENT, "%d inputs and %d outputs, model has %d and %d", n_inputs, n_outputs, m->n_in, m->n_out);
    for (int32_t k = 0; k < m->n_in; k++) {
        const bp_tensor *t = find(inputs, n_inputs, m->in[k].name);
        if (!t) return fail(err, BP_ERR_INVALID_ARGUMENT, "no input named %s", m->in[k].name);
        bp_status s = check_tensor(t, &m->in[k], err);
        if (s != BP_OK) return s;
    }
    for (int32_t k = 0; k < m->n_out; k++) {
        const bp_tensor *t = find(outputs, n_outputs, m->out[k].name);
        if (!t) return fail(err, BP_ERR_INVALID_ARGUMENT, "no output named %s", m->out[k].name);
        bp_status s = check_tensor(t, &m->out[k], err);
        if (s != BP_OK) return s;
    }
    int32_t delay;
    bp_status inj = injected("predict", &delay);
    if (timeout_ms > 0 && delay > timeout_ms) {
        sleep_ms(timeout_ms);
        return fail(err, BP_ERR_TIMEOUT, "prediction did not finish within %lld ms", (long long)timeout_ms);
    }
    sleep_ms(delay);
    if (inj != BP_OK) return fail(err, inj, "injected predict failure");
    for (int32_t k = 0; k < m->n_out && k < m->n_in; k++) {
        const bp_tensor *in = find(inputs, n_inputs, m->in[k].name);
        bp_tensor *out = (bp_tensor *)find(outputs, n_outputs, m->out[k].name);
        size_t n = elements(&m->out[k]);
        if (elements(&m->in[k]) != n)
            return fail(err, BP_ERR_PREDICT, "%s and %s differ in size", m->in[k].name, m->out[k].name);
        for (size_t i = 0; i < n; i++)
            store_elem(out->data, out->dtype, i, 2 * load_elem(in->data, in->dtype, i) + 1);
    }
    return BP_OK;
}

bp_status bp_compute_plan(bp_model *m, int32_t *cpu_ops, int32_t *gpu_ops, int32_t *neural_engine_ops, char **err) {
    if (!m || !cpu_ops || !gpu_ops || !neural_engine_ops)
        return fail(err, BP_ERR_INVALID_ARGUMENT, "NULL argument to bp_compute_plan");
    int32_t delay;
    bp_status inj = injected("compute_plan", &delay);
    if (inj != BP_OK) return fail(err, inj, "injected compute plan failure");
    /* A fixed plan: one op per output on the CPU, two per input on the Neural Engine. */
    *cpu_ops = m->n_out;
    *gpu_ops = 0;
    *neural_engine_ops = 2 * m->n_in;
    return BP_OK;
}

void bp_free_model(bp_model *m) {
    if (!m) return;
    pthread_mutex_lock(&mu);
    live--;
    pthread_mutex_unlock(&mu);
    free(m);
}
