#pragma once
// The torchvision transforms TorchServe's vision handlers use, reproduced on
// 8-bit RGB images so the results match Pillow + torchvision:
//   Resize(n)      shorter side to n, Pillow's bilinear filter (which widens
//                  its support when shrinking, i.e. antialiases), in Pillow's
//                  fixed-point arithmetic with 8-bit rounding between passes
//   CenterCrop(n)  offsets round((H-n)/2), round((W-n)/2), half to even;
//                  zero padding when the image is smaller
//   ToTensor + Normalize -> float32 CHW
// Pure functions.

#include <array>
#include <vector>

#include "imaging/image.h"

namespace hearth::imaging {

// Pillow's Image.resize((width, height), Image.BILINEAR).
RgbImage ResizeBilinear(const RgbImage& in, int width, int height);
// torchvision Resize(size) for an int size: the shorter side becomes `size`,
// the longer int(size * long / short).
RgbImage ResizeShorterSide(const RgbImage& in, int size);
// torchvision CenterCrop((height, width)).
RgbImage CenterCrop(const RgbImage& in, int width, int height);
// CenterCrop(ResizeShorterSide(in, size), crop_width, crop_height), bit for
// bit, computing only the pixels the crop keeps (about 40% less resampling
// for 640x480 -> 256 -> 224).
RgbImage ResizeShorterSideAndCenterCrop(const RgbImage& in, int size, int crop_width, int crop_height);

struct Normalization {
  std::array<float, 3> mean{0.485f, 0.456f, 0.406f};
  std::array<float, 3> std{0.229f, 0.224f, 0.225f};
};
// ToTensor (divide by 255) then Normalize, into CHW floats (3*H*W values).
// Bit for bit the floats torchvision computes, (v / 255 - mean) / std.
std::vector<float> ToNormalizedChw(const RgbImage& in, const Normalization& norm);
// The same into `out`, which holds 3 * in.width * in.height floats (a
// tensor's storage: no copy afterwards).
void ToNormalizedChwInto(const RgbImage& in, const Normalization& norm, float* out);
// ToTensor only (divide by 255), CHW floats.
std::vector<float> ToChw(const RgbImage& in);
void ToChwInto(const RgbImage& in, float* out);

// The image_classifier/image_segmenter preprocessing: ResizeShorterSide(256),
// CenterCrop(224), ToNormalizedChw with ImageNet statistics.
constexpr int kImageNetCrop = 224;
constexpr size_t kImageNetFloats = 3 * kImageNetCrop * kImageNetCrop;
std::vector<float> ImageNetPreprocess(const RgbImage& in);
// The same into `out` (kImageNetFloats floats, CHW).
void ImageNetPreprocessInto(const RgbImage& in, float* out);

}  // namespace hearth::imaging
