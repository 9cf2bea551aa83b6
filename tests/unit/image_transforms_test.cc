// Image preprocessing against Pillow + torchvision reference values written
// by tests/fixtures/make_fixtures.py (HEARTH_FIXTURES points at them).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "common/files.h"
#include "common/json.h"
#include "imaging/image.h"
#include "imaging/transforms.h"

namespace hearth::imaging {
namespace {
namespace fs = std::filesystem;

fs::path Fixtures() {
  const char* dir = std::getenv("HEARTH_FIXTURES");
  return dir ? fs::path(dir) : fs::path();
}

class ReferenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (Fixtures().empty()) GTEST_SKIP() << "HEARTH_FIXTURES not set";
  }
};

TEST_P(ReferenceTest, DecodeMatchesPillow) {
  auto bytes = ReadFile(Fixtures() / "images" / GetParam());
  ASSERT_TRUE(bytes.ok());
  auto img = DecodeImage(*bytes, {});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  std::string stem = fs::path(GetParam()).stem().string();
  auto expected = ReadFile(Fixtures() / "reference" / (stem + ".decoded.u8"));
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(img->pixels.size(), expected->size());
  EXPECT_TRUE(std::equal(img->pixels.begin(), img->pixels.end(),
                         reinterpret_cast<const uint8_t*>(expected->data())));
}

TEST_P(ReferenceTest, ResizeIsBitExactWithPillow) {
  std::string stem = fs::path(GetParam()).stem().string();
  auto img = DecodeImage(*ReadFile(Fixtures() / "images" / GetParam()), {});
  ASSERT_TRUE(img.ok());
  RgbImage resized = ResizeShorterSide(*img, 256);
  Json size = Json::parse(*ReadFile(Fixtures() / "reference" / (stem + ".resized.json")));
  EXPECT_EQ(resized.width, size["width"].get<int>());
  EXPECT_EQ(resized.height, size["height"].get<int>());
  auto expected = ReadFile(Fixtures() / "reference" / (stem + ".resized.u8"));
  ASSERT_EQ(resized.pixels.size(), expected->size());
  size_t differing = 0;
  for (size_t i = 0; i < resized.pixels.size(); ++i) {
    differing += resized.pixels[i] != static_cast<uint8_t>((*expected)[i]);
  }
  EXPECT_EQ(differing, 0u);
}

TEST_P(ReferenceTest, FullPreprocessingMatchesTorchvision) {
  std::string stem = fs::path(GetParam()).stem().string();
  auto img = DecodeImage(*ReadFile(Fixtures() / "images" / GetParam()), {});
  ASSERT_TRUE(img.ok());
  std::vector<float> got = ImageNetPreprocess(*img);
  auto expected_bytes = ReadFile(Fixtures() / "reference" / (stem + ".input.f32"));
  ASSERT_EQ(got.size() * sizeof(float), expected_bytes->size());
  const float* expected = reinterpret_cast<const float*>(expected_bytes->data());
  float max_diff = 0;
  for (size_t i = 0; i < got.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - expected[i]));
  EXPECT_LT(max_diff, 1e-5f);
}

INSTANTIATE_TEST_SUITE_P(Images, ReferenceTest, ::testing::Values("photo.jpg", "portrait.png"));

TEST(TransformsTest, CenterCropOffsetsRoundHalfToEven) {
  // 5 pixels wide, crop 2: offset round(1.5) = 2 (Python rounds half to even).
  RgbImage img;
  img.width = 5;
  img.height = 1;
  for (int x = 0; x < 5; ++x) img.pixels.insert(img.pixels.end(), {uint8_t(x), 0, 0});
  RgbImage c = CenterCrop(img, 2, 1);
  EXPECT_EQ(c.at(0, 0, 0), 2);
  // 6 wide, crop 3: round(1.5) = 2 as well; 7 wide crop 2: round(2.5) = 2.
  img.width = 7;
  img.pixels.clear();
  for (int x = 0; x < 7; ++x) img.pixels.insert(img.pixels.end(), {uint8_t(x), 0, 0});
  EXPECT_EQ(CenterCrop(img, 2, 1).at(0, 0, 0), 2);
}

TEST(TransformsTest, CenterCropPadsSmallImages) {
  RgbImage img;
  img.width = 2;
  img.height = 2;
  img.pixels.assign(12, 200);
  RgbImage c = CenterCrop(img, 4, 4);
  EXPECT_EQ(c.at(0, 0, 0), 0);
  EXPECT_EQ(c.at(1, 1, 0), 200);
  EXPECT_EQ(c.at(2, 2, 0), 200);
  EXPECT_EQ(c.at(3, 3, 0), 0);
}

TEST(DecodeTest, ErrorsNameTheProblem) {
  auto empty = DecodeImage("", {});
  EXPECT_FALSE(empty.ok());
  auto junk = DecodeImage("hello world", {});
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("JPEG or PNG"), std::string::npos);
  auto truncated = DecodeImage(std::string("\xff\xd8\xff\xe0\x00\x10JFIF", 10), {});
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("JPEG"), std::string::npos) << truncated.status().message();
}

}  // namespace
}  // namespace hearth::imaging

namespace hearth::imaging {
namespace {

RgbImage RandomImage(int width, int height, unsigned seed) {
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  unsigned state = seed;
  for (auto& p : img.pixels) {
    state = state * 1664525u + 1013904223u;
    p = static_cast<uint8_t>(state >> 24);
  }
  return img;
}

// The fused resize + crop must equal the two steps bit for bit, whatever the
// shapes: landscape, portrait, square, one side already at the size (one
// pass only), upscaling, and crops larger than the resized image (padding).
TEST(TransformsTest, FusedResizeAndCropEqualsTheTwoSteps) {
  const int shapes[][2] = {{640, 480}, {480, 640}, {500, 500}, {256, 300}, {300, 256}, {257, 1000},
                           {100, 80},  {1000, 257}, {231, 230}, {224, 224}, {3000, 40}, {20, 19}};
  unsigned seed = 1;
  for (const auto& [w, h] : shapes) {
    const RgbImage img = RandomImage(w, h, seed++);
    for (const auto& [size, cw, ch] : {std::array<int, 3>{256, 224, 224}, std::array<int, 3>{232, 224, 200},
                                       std::array<int, 3>{64, 300, 32}}) {
      const RgbImage expected = CenterCrop(ResizeShorterSide(img, size), cw, ch);
      const RgbImage got = ResizeShorterSideAndCenterCrop(img, size, cw, ch);
      ASSERT_EQ(got.width, expected.width) << w << "x" << h << " size " << size;
      ASSERT_EQ(got.height, expected.height) << w << "x" << h << " size " << size;
      EXPECT_TRUE(got.pixels == expected.pixels) << w << "x" << h << " size " << size << " crop " << cw << "x" << ch;
    }
  }
}

TEST(TransformsTest, NormalizationLookUpEqualsTheArithmeticForEveryValue) {
  // One pixel per byte value in every channel: the table must give exactly
  // (v / 255 - mean) / std as torchvision computes it in float32.
  RgbImage img;
  img.width = 256;
  img.height = 1;
  for (int v = 0; v < 256; ++v) {
    for (int c = 0; c < 3; ++c) img.pixels.push_back(static_cast<uint8_t>((v + 85 * c) % 256));
  }
  for (const Normalization& norm : {Normalization{}, Normalization{{0.5f, 0.25f, 0.1f}, {0.3f, 0.7f, 1.0f}}}) {
    std::vector<float> got = ToNormalizedChw(img, norm);
    for (int c = 0; c < 3; ++c) {
      for (int x = 0; x < 256; ++x) {
        const float v = static_cast<float>(img.at(x, 0, c)) / 255.0f;
        ASSERT_EQ(got[c * 256 + x], (v - norm.mean[c]) / norm.std[c]) << "channel " << c << " value " << x;
      }
    }
  }
  std::vector<float> plain = ToChw(img);
  for (int x = 0; x < 256; ++x) ASSERT_EQ(plain[256 + x], static_cast<float>(img.at(x, 0, 1)) / 255.0f);
}

}  // namespace
}  // namespace hearth::imaging
