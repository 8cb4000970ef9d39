// Generates ggml-reference.bin (a GGUF file, named .bin because the repository ignores *.gguf): reference data
// produced by ggml itself, which GgmlReferenceTests compares Merlinite.Gguf against (dequantization, Q8_0/F16/BF16
// encoding, and reading a file written by gguf.cpp).
//
// Build against llama.cpp's ggml (headers from ggml/include, library libggml-base), e.g.:
//   cc -O1 -I llama.cpp/ggml/include make-ggml-reference.c -L native/lib -lggml-base -lm -o make-ggml-reference
//   LD_LIBRARY_PATH=native/lib ./make-ggml-reference ggml-reference.bin
//
// Contents: "input" (F32, 512 values); for each quantized type T, "q.T" = ggml_quantize_chunk(T, input) and
// "deq.T" (F32) = ggml's to_float of "q.T"; "f16"/"bf16" = ggml's row conversions of input.
#include "ggml.h"
#include "gguf.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define N 512

int main(int argc, char ** argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s out.gguf\n", argv[0]); return 2; }
    static float input[N];
    for (int i = 0; i < N; i++) {
        // smooth structure + a few outliers per block, so scales and mins differ between sub-blocks
        input[i] = (float)(sin(i * 0.173) * (1.0 + (i % 97) / 40.0) + ((i % 53) == 7 ? 9.5 : 0.0) - ((i % 71) == 3 ? 6.25 : 0.0));
    }

    struct ggml_init_params params = { 64 * 1024 * 1024, NULL, false };
    struct ggml_context * ctx = ggml_init(params);
    struct gguf_context * gguf = gguf_init_empty();
    gguf_set_val_str(gguf, "general.name", "ggml reference data for Merlinite.Gguf tests");
    gguf_set_val_u32(gguf, "reference.n", N);

    struct ggml_tensor * in = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, N);
    ggml_set_name(in, "input");
    memcpy(in->data, input, sizeof input);
    gguf_add_tensor(gguf, in);

    const enum ggml_type types[] = {
        GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0,
        GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K,
    };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        enum ggml_type type = types[t];
        struct ggml_tensor * q = ggml_new_tensor_1d(ctx, type, N);
        char name[64];
        snprintf(name, sizeof name, "q.%s", ggml_type_name(type));
        ggml_set_name(q, name);
        ggml_quantize_chunk(type, input, q->data, 0, 1, N, NULL);
        gguf_add_tensor(gguf, q);

        struct ggml_tensor * d = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, N);
        snprintf(name, sizeof name, "deq.%s", ggml_type_name(type));
        ggml_set_name(d, name);
        ggml_get_type_traits(type)->to_float(q->data, (float *) d->data, N);
        gguf_add_tensor(gguf, d);
    }

    struct ggml_tensor * h = ggml_new_tensor_1d(ctx, GGML_TYPE_F16, N);
    ggml_set_name(h, "f16");
    ggml_fp32_to_fp16_row(input, (ggml_fp16_t *) h->data, N);
    gguf_add_tensor(gguf, h);

    struct ggml_tensor * b = ggml_new_tensor_1d(ctx, GGML_TYPE_BF16, N);
    ggml_set_name(b, "bf16");
    ggml_fp32_to_bf16_row_ref(input, (ggml_bf16_t *) b->data, N);
    gguf_add_tensor(gguf, b);

    if (!gguf_write_to_file(gguf, argv[1], false)) { fprintf(stderr, "write failed\n"); return 1; }
    gguf_free(gguf);
    ggml_free(ctx);
    return 0;
}
