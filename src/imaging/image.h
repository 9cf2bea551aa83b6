#pragma once
// 8-bit RGB images and the decoding of JPEG/PNG bytes into them. No torch
// here: the worker wraps the results in tensors.

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::imaging {

// Interleaved RGB, row-major: pixel (x, y) channel c is at (y*width + x)*3 + c.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
  uint8_t at(int x, int y, int c) const { return pixels[(static_cast<size_t>(y) * width + x) * 3 + c]; }
};

struct DecodeOptions {
  // Pillow's decompression-bomb limit (2 x 89,478,485 pixels); 0 = none.
  int64_t max_pixels = 2 * 89478485LL;
};

// Decodes JPEG (libjpeg-turbo, accurate integer IDCT and fancy upsampling,
// as Pillow decodes) or PNG (libpng). Grayscale and palette images become RGB;
// alpha is dropped. Errors are kInvalidArgument and say what is wrong.
StatusOr<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options);

}  // namespace hearth::imaging
