#include "imaging/transforms.h"

#include <algorithm>
#include <cmath>

namespace hearth::imaging {
namespace {

// Pillow's Resample.c: bilinear ("triangle") filter, support 1.
double TriangleFilter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

constexpr int kPrecisionBits = 32 - 8 - 2;

// Per output pixel: first input index, tap count and fixed-point weights.
struct Coefficients {
  int taps = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int> weights;  // out_size x taps
};

Coefficients ComputeCoefficients(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 1.0 * filterscale;
  Coefficients c;
  c.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.taps, 0);
  std::vector<double> k(c.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    // C casts truncate toward zero, as in Pillow.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double w = TriangleFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? k[x] / ww : k[x];
      // normalize_coeffs_8bpc: round half away from zero.
      double scaled = v * (1 << kPrecisionBits);
      c.weights[static_cast<size_t>(xx) * c.taps + x] =
          static_cast<int>(scaled < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

// Pillow accumulates in 32-bit ints: 255 * 2^22 * (sum of weights ~1) fits.
inline uint8_t Clip8(int32_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Output columns [x0, x1) of the horizontal pass over input rows [y0, y1):
// a (x1 - x0) x (y1 - y0) image. Each output pixel depends only on its own
// coefficients, so any window equals the same window of the full pass.
// (An AVX2 clone of this pass and a four-lane pixel variant were both
// slower: the short per-pixel tap loops are latency-bound, not
// throughput-bound.)
RgbImage ResampleHorizontal(const RgbImage& in, const Coefficients& c, int x0, int x1, int y0, int y1) {
  RgbImage out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  for (int y = y0; y < y1; ++y) {
    const uint8_t* row = &in.pixels[static_cast<size_t>(y) * in.width * 3];
    uint8_t* dst = &out.pixels[static_cast<size_t>(y - y0) * out.width * 3];
    for (int xx = x0; xx < x1; ++xx) {
      const int* __restrict w = &c.weights[static_cast<size_t>(xx) * c.taps];
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      const uint8_t* __restrict p = row + static_cast<size_t>(c.first[xx]) * 3;
      const int n = c.count[xx];
      for (int x = 0; x < n; ++x) {
        s0 += static_cast<int32_t>(p[x * 3 + 0]) * w[x];
        s1 += static_cast<int32_t>(p[x * 3 + 1]) * w[x];
        s2 += static_cast<int32_t>(p[x * 3 + 2]) * w[x];
      }
      uint8_t* o = dst + static_cast<size_t>(xx - x0) * 3;
      o[0] = Clip8(s0);
      o[1] = Clip8(s1);
      o[2] = Clip8(s2);
    }
  }
  return out;
}

// The vertical pass is built for AVX2 and for the baseline, chosen at run
// time (x7.8 faster than -O2 scalar code with AVX2 on 480 -> 256 rows).
// Output rows [yy0, yy1) of the vertical pass; `in` holds input rows from
// `in_row0` on (the window a horizontal pass produced).
__attribute__((target_clones("avx2", "default"), optimize("O3")))
RgbImage ResampleVertical(const RgbImage& in, const Coefficients& c, int yy0, int yy1, int in_row0) {
  RgbImage out;
  out.width = in.width;
  out.height = yy1 - yy0;
  out.pixels.resize(static_cast<size_t>(in.width) * out.height * 3);
  const size_t stride = static_cast<size_t>(in.width) * 3;
  std::vector<int32_t> acc(stride);
  for (int yy = yy0; yy < yy1; ++yy) {
    const int* __restrict w = &c.weights[static_cast<size_t>(yy) * c.taps];
    uint8_t* __restrict dst = &out.pixels[static_cast<size_t>(yy - yy0) * stride];
    // Row by row (cache-friendly, vectorizable): acc += row * weight.
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const uint8_t* base = &in.pixels[static_cast<size_t>(c.first[yy] - in_row0) * stride];
    for (int y = 0; y < c.count[yy]; ++y) {
      const uint8_t* __restrict src = base + static_cast<size_t>(y) * stride;
      const int32_t weight = w[y];
      int32_t* __restrict a = acc.data();
      for (size_t i = 0; i < stride; ++i) a[i] += static_cast<int32_t>(src[i]) * weight;
    }
    for (size_t i = 0; i < stride; ++i) dst[i] = Clip8(acc[i]);
  }
  return out;
}

}  // namespace

RgbImage ResizeBilinear(const RgbImage& in, int width, int height) {
  // Pillow resamples horizontally first, then vertically, each pass only
  // when that dimension changes, rounding to 8 bits in between.
  if (width == in.width && height == in.height) return in;
  if (width == in.width) return ResampleVertical(in, ComputeCoefficients(in.height, height), 0, height, 0);
  RgbImage horizontal = ResampleHorizontal(in, ComputeCoefficients(in.width, width), 0, width, 0, in.height);
  if (height == in.height) return horizontal;
  return ResampleVertical(horizontal, ComputeCoefficients(in.height, height), 0, height, 0);
}

namespace {
// torchvision Resize(size)'s output size for an int size.
std::pair<int, int> ShorterSideSize(int w, int h, int size) {
  if (w < h) return {size, static_cast<int>(static_cast<int64_t>(size) * h / w)};
  return {static_cast<int>(static_cast<int64_t>(size) * w / h), size};
}
// Python's round() on a half-integer value v/2: halves go to the even neighbour.
int RoundHalfToEven(int twice) {
  // twice = 2 * value; value = twice / 2
  if (twice % 2 == 0) return twice / 2;
  int lo = (twice - 1) / 2;  // twice is odd -> value = lo + 0.5 for twice >= 0
  if (twice < 0) lo = (twice - 1) / 2;
  return (lo % 2 == 0) ? lo : lo + 1;
}
}  // namespace

RgbImage ResizeShorterSide(const RgbImage& in, int size) {
  int w = in.width, h = in.height;
  if ((w <= h && w == size) || (h <= w && h == size)) return in;
  auto [ow, oh] = ShorterSideSize(w, h, size);
  return ResizeBilinear(in, ow, oh);
}

RgbImage ResizeShorterSideAndCenterCrop(const RgbImage& in, int size, int crop_width, int crop_height) {
  int w = in.width, h = in.height;
  if ((w <= h && w == size) || (h <= w && h == size)) return CenterCrop(in, crop_width, crop_height);
  auto [ow, oh] = ShorterSideSize(w, h, size);
  // A crop larger than the resized image pads: the plain path handles it.
  if (crop_width > ow || crop_height > oh) return CenterCrop(ResizeBilinear(in, ow, oh), crop_width, crop_height);
  const int top = RoundHalfToEven(oh - crop_height), left = RoundHalfToEven(ow - crop_width);
  // Pillow's passes: horizontal when the width changes, then vertical when the height does.
  RgbImage columns;
  int row0 = 0;
  const bool vertical = oh != h;
  const Coefficients cv = vertical ? ComputeCoefficients(h, oh) : Coefficients{};
  // Input rows the kept output rows read (all of them when there is no vertical pass).
  int y0 = top, y1 = top + crop_height;
  if (vertical) {
    y0 = cv.first[top];
    y1 = 0;
    for (int yy = top; yy < top + crop_height; ++yy) {
      y0 = std::min(y0, cv.first[yy]);
      y1 = std::max(y1, cv.first[yy] + cv.count[yy]);
    }
  }
  if (ow != w) {
    columns = ResampleHorizontal(in, ComputeCoefficients(w, ow), left, left + crop_width, y0, y1);
  } else {
    columns.width = crop_width;
    columns.height = y1 - y0;
    columns.pixels.resize(static_cast<size_t>(crop_width) * columns.height * 3);
    for (int y = y0; y < y1; ++y) {
      std::copy_n(&in.pixels[(static_cast<size_t>(y) * w + left) * 3], static_cast<size_t>(crop_width) * 3,
                  &columns.pixels[static_cast<size_t>(y - y0) * crop_width * 3]);
    }
  }
  row0 = y0;
  if (!vertical) return columns;  // already exactly rows [top, top + crop_height)
  return ResampleVertical(columns, cv, top, top + crop_height, row0);
}


RgbImage CenterCrop(const RgbImage& in, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  // torchvision pads first when the image is smaller, then crops.
  int pad_left = 0, pad_top = 0;
  int w = in.width, h = in.height;
  if (width > w) pad_left = (width - w) / 2;
  if (height > h) pad_top = (height - h) / 2;
  int padded_w = std::max(w, width), padded_h = std::max(h, height);
  int top = RoundHalfToEven(padded_h - height);
  int left = RoundHalfToEven(padded_w - width);
  for (int y = 0; y < height; ++y) {
    int sy = y + top - pad_top;
    if (sy < 0 || sy >= h) continue;
    for (int x = 0; x < width; ++x) {
      int sx = x + left - pad_left;
      if (sx < 0 || sx >= w) continue;
      for (int c = 0; c < 3; ++c) {
        out.pixels[(static_cast<size_t>(y) * width + x) * 3 + c] = in.at(sx, sy, c);
      }
    }
  }
  return out;
}

namespace {
// out[c * plane + i] = (pixel i's channel c / 255 - mean[c]) / std[c], the
// interleaved-to-planar scatter. One channel at a time vectorizes (x3 over
// the interleaved loop at -O2), and IEEE division and subtraction give the
// same floats in vector lanes as torchvision's scalar arithmetic (there is
// no multiply to contract into an FMA).
__attribute__((target_clones("avx2", "default"), optimize("O3")))
void NormalizeChw(const RgbImage& in, const std::array<float, 3>& mean, const std::array<float, 3>& std,
                  float* out) {
  const size_t plane = static_cast<size_t>(in.width) * in.height;
  const uint8_t* __restrict src = in.pixels.data();
  for (int c = 0; c < 3; ++c) {
    const float m = mean[c], d = std[c];
    float* __restrict dst = out + c * plane;
    for (size_t i = 0; i < plane; ++i) dst[i] = (static_cast<float>(src[3 * i + c]) / 255.0f - m) / d;
  }
}
}  // namespace

void ToNormalizedChwInto(const RgbImage& in, const Normalization& norm, float* out) {
  NormalizeChw(in, norm.mean, norm.std, out);
}

std::vector<float> ToNormalizedChw(const RgbImage& in, const Normalization& norm) {
  std::vector<float> out(static_cast<size_t>(in.width) * in.height * 3);
  ToNormalizedChwInto(in, norm, out.data());
  return out;
}

// x - 0 and x / 1 are exact: plain v / 255.
void ToChwInto(const RgbImage& in, float* out) { NormalizeChw(in, {0.f, 0.f, 0.f}, {1.f, 1.f, 1.f}, out); }

std::vector<float> ToChw(const RgbImage& in) {
  std::vector<float> out(static_cast<size_t>(in.width) * in.height * 3);
  ToChwInto(in, out.data());
  return out;
}

void ImageNetPreprocessInto(const RgbImage& in, float* out) {
  ToNormalizedChwInto(ResizeShorterSideAndCenterCrop(in, 256, kImageNetCrop, kImageNetCrop), Normalization{}, out);
}

std::vector<float> ImageNetPreprocess(const RgbImage& in) {
  std::vector<float> out(kImageNetFloats);
  ImageNetPreprocessInto(in, out.data());
  return out;
}

}  // namespace hearth::imaging
