/*
 * backplane_coreml.h — the C ABI of backplane's Core ML bridge.
 *
 * The Swift package in bridge/swift implements it over CoreML.framework;
 * backends/coreml/internal/mlbridge calls it through cgo; a C test double
 * (backends/coreml/internal/mlbridge/double_linux.c) implements it on Linux
 * so the Go side is tested there. This header is the single source of truth
 * for all three.
 *
 * Conventions
 *  - Every function returns a bp_status; BP_OK is 0.
 *  - Functions that can fail take `char **err`. On failure, if err is not
 *    NULL, *err receives a NUL-terminated message allocated by the bridge;
 *    the caller owns it and frees it with bp_free_string. On success *err is
 *    left untouched. Strings returned through other out-parameters
 *    (compiled paths) are owned the same way.
 *  - Strings inside a bp_feature (feature names) are owned by the model and
 *    valid until bp_free_model.
 *  - The bridge never keeps a pointer to caller memory after a call returns:
 *    input and output buffers are read and written during bp_predict only.
 *  - Every entry point is safe to call from any thread. bp_predict may run
 *    concurrently on one model; bp_free_model must not race with other calls
 *    on the same model (the Go binding guarantees that).
 */
#ifndef BACKPLANE_COREML_H
#define BACKPLANE_COREML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header. */
#define BP_COREML_ABI_VERSION 1

/* The largest tensor rank the ABI carries (Core ML multi-arrays go to 5). */
#define BP_MAX_RANK 8

typedef enum {
    BP_OK = 0,
    BP_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, bad rank, wrong buffer size, unknown feature */
    BP_ERR_IO = 2,               /* reading or writing a file or the cache folder failed */
    BP_ERR_COMPILE = 3,          /* Core ML could not compile the model */
    BP_ERR_LOAD = 4,             /* Core ML could not load the compiled model */
    BP_ERR_PREDICT = 5,          /* prediction failed */
    BP_ERR_TIMEOUT = 6,          /* prediction did not finish within the timeout */
    BP_ERR_UNSUPPORTED = 7,      /* the OS lacks the feature (e.g. compute plans before macOS 14.4) */
    BP_ERR_OUT_OF_MEMORY = 8,    /* an allocation failed */
    BP_ERR_EXCEPTION = 9,        /* an Objective-C exception was caught */
    BP_ERR_INTERNAL = 10         /* anything else; the message says what */
} bp_status;

typedef enum {
    BP_COMPUTE_ALL = 0,
    BP_COMPUTE_CPU_ONLY = 1,
    BP_COMPUTE_CPU_AND_GPU = 2,
    BP_COMPUTE_CPU_AND_NEURAL_ENGINE = 3 /* macOS 13+; falls back to ALL before */
} bp_compute_units;

typedef enum {
    BP_DTYPE_FLOAT32 = 0,
    BP_DTYPE_FLOAT16 = 1,
    BP_DTYPE_FLOAT64 = 2,
    BP_DTYPE_INT32 = 3
} bp_dtype;

/* An input or output of a loaded model. */
typedef struct {
    const char *name; /* owned by the model */
    bp_dtype dtype;
    int32_t rank;
    int64_t shape[BP_MAX_RANK];
} bp_feature;

/* A caller-owned tensor passed to bp_predict: data holds bytes bytes in
 * row-major order, bytes == product(shape) * size of dtype. */
typedef struct {
    const char *name;
    bp_dtype dtype;
    int32_t rank;
    const int64_t *shape;
    void *data;
    size_t bytes;
} bp_tensor;

/* An opaque loaded model. */
typedef struct bp_model bp_model;

/* The ABI version the library was built with (BP_COREML_ABI_VERSION). */
int32_t bp_abi_version(void);

/* Frees a string the bridge handed out. NULL is allowed. */
void bp_free_string(char *s);

/* Removes leftovers of interrupted compiles (entries ending in ".partial")
 * from cache_dir, creating the folder if it is missing. Call once at start. */
bp_status bp_cache_clean(const char *cache_dir, char **err);

/* Compiles the model at model_path (.mlmodel or .mlpackage) into
 * cache_dir/<key>.mlmodelc, creating cache_dir if needed. The compiled model is written under a
 * "<key>.partial" name and renamed into place, so a crash never leaves a
 * half-written model under the final name; an existing compiled model for
 * key is reused. *compiled_path receives the final path (caller frees). */
bp_status bp_compile(const char *model_path, const char *cache_dir, const char *key,
                     char **compiled_path, char **err);

/* Loads a compiled model for the given compute units. */
bp_status bp_load(const char *compiled_path, bp_compute_units units, bp_model **out, char **err);

/* Counts the model's inputs and outputs. */
bp_status bp_describe(const bp_model *m, int32_t *n_inputs, int32_t *n_outputs, char **err);

/* Describes input (is_output == 0) or output (is_output != 0) number index. */
bp_status bp_feature_info(const bp_model *m, int32_t is_output, int32_t index, bp_feature *out, char **err);

/* Runs one prediction. inputs and outputs are matched to the model's
 * features by name; every output buffer must have the described dtype and
 * shape. timeout_ms <= 0 means no timeout. On BP_ERR_TIMEOUT the outputs are
 * untouched, and the prediction may still be running inside Core ML on the
 * bridge's own copies of the inputs; it keeps its own reference to the model,
 * so bp_free_model may be called meanwhile. */
bp_status bp_predict(bp_model *m, const bp_tensor *inputs, int32_t n_inputs,
                     bp_tensor *outputs, int32_t n_outputs, int64_t timeout_ms, char **err);

/* Counts the model's operations by the compute device Core ML plans them on
 * (MLComputePlan, macOS 14.4+; BP_ERR_UNSUPPORTED before). */
bp_status bp_compute_plan(bp_model *m, int32_t *cpu_ops, int32_t *gpu_ops, int32_t *neural_engine_ops, char **err);

/* Frees a model. NULL is allowed. */
void bp_free_model(bp_model *m);

#ifdef __cplusplus
}
#endif

#endif /* BACKPLANE_COREML_H */
