#include "imaging/c_api.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "imaging/image.h"
#include "imaging/transforms.h"

namespace {

int Fail(const std::string& message, char* error, size_t error_size) {
  if (error && error_size > 0) std::snprintf(error, error_size, "%s", message.c_str());
  return -1;
}

}  // namespace

extern "C" int hearth_imagenet_preprocess(const unsigned char* bytes, size_t size, float* out, size_t out_floats,
                                          char* error, size_t error_size) {
  if (!bytes || !out || out_floats < hearth::imaging::kImageNetFloats) return Fail("output buffer too small", error, error_size);
  try {
    auto image = hearth::imaging::DecodeImage(std::string_view(reinterpret_cast<const char*>(bytes), size),
                                              hearth::imaging::DecodeOptions{});
    if (!image.ok()) return Fail(image.status().message(), error, error_size);
    hearth::imaging::ImageNetPreprocessInto(*image, out);
    return 0;
  } catch (const std::exception& e) {
    return Fail(e.what(), error, error_size);
  }
}
