#pragma once
// A C interface to Hearth's Pillow-exact image preprocessing, built as
// build/lib/libhearth_vision.so for the Python worker: Hearth's `ts`
// ImageClassifier and ImageSegmenter call it (through ctypes) for RGB
// JPEG/PNG images when the handler keeps TorchServe's default transforms,
// and get the same floats torchvision would give, about 3x faster.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// Decodes JPEG or PNG `bytes` and applies Resize(256), CenterCrop(224),
// ToTensor and ImageNet Normalize into `out` (3*224*224 floats, CHW).
// Returns 0, or -1 with a NUL-terminated message in `error`.
int hearth_imagenet_preprocess(const unsigned char* bytes, size_t size, float* out, size_t out_floats, char* error,
                               size_t error_size);

#ifdef __cplusplus
}
#endif
