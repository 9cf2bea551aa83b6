#include <png.h>
#include <turbojpeg.h>

#include <cstring>
#include <memory>

#include "imaging/image.h"

namespace hearth::imaging {
namespace {

bool IsJpeg(std::string_view b) {
  return b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF && static_cast<uint8_t>(b[1]) == 0xD8 &&
         static_cast<uint8_t>(b[2]) == 0xFF;
}
bool IsPng(std::string_view b) { return b.size() >= 8 && std::memcmp(b.data(), "\x89PNG\r\n\x1a\n", 8) == 0; }

Status CheckSize(int64_t w, int64_t h, const DecodeOptions& options) {
  if (w <= 0 || h <= 0) return InvalidArgument("image has no pixels");
  if (options.max_pixels > 0 && w * h > options.max_pixels) {
    return InvalidArgument("image of " + std::to_string(w) + "x" + std::to_string(h) +
                           " pixels exceeds the limit of " + std::to_string(options.max_pixels) +
                           " pixels (decompression bomb guard; see limit_max_image_pixels)");
  }
  return Status::Ok();
}

StatusOr<RgbImage> DecodeJpeg(std::string_view bytes, const DecodeOptions& options) {
  std::unique_ptr<void, decltype(&tjDestroy)> tj(tjInitDecompress(), tjDestroy);
  if (!tj) return Internal("cannot initialise the JPEG decoder");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (tjDecompressHeader3(tj.get(), data, bytes.size(), &width, &height, &subsamp, &colorspace) != 0) {
    return InvalidArgument(std::string("corrupt JPEG image: ") + tjGetErrorStr2(tj.get()));
  }
  if (width <= 0 || height <= 0) return InvalidArgument("corrupt JPEG image: no frame header (truncated file?)");
  RETURN_IF_ERROR(CheckSize(width, height, options));
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    return InvalidArgument("CMYK JPEG images are not supported; convert the image to RGB");
  }
  RgbImage img;
  img.width = width;
  img.height = height;
  img.pixels.resize(static_cast<size_t>(width) * height * 3);
  if (tjDecompress2(tj.get(), data, bytes.size(), img.pixels.data(), width, 0, height, TJPF_RGB,
                    TJFLAG_ACCURATEDCT) != 0) {
    // Truncated files decode with a warning, as Pillow's LOAD_TRUNCATED_IMAGES
    // does not: treat anything but a warning as an error.
    if (tjGetErrorCode(tj.get()) != TJERR_WARNING) {
      return InvalidArgument(std::string("corrupt JPEG image: ") + tjGetErrorStr2(tj.get()));
    }
    return InvalidArgument(std::string("truncated or corrupt JPEG image: ") + tjGetErrorStr2(tj.get()));
  }
  return img;
}

StatusOr<RgbImage> DecodePng(std::string_view bytes, const DecodeOptions& options) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    std::string msg = image.message;
    png_image_free(&image);
    return InvalidArgument("corrupt PNG image: " + msg);
  }
  Status size_ok = CheckSize(image.width, image.height, options);
  if (!size_ok.ok()) {
    png_image_free(&image);
    return size_ok;
  }
  image.format = PNG_FORMAT_RGB;
  RgbImage img;
  img.width = static_cast<int>(image.width);
  img.height = static_cast<int>(image.height);
  img.pixels.resize(PNG_IMAGE_SIZE(image));
  // Alpha is composited onto black, which is what dropping it means for
  // premultiplied-looking inputs; images with alpha are rare for classifiers.
  png_color background{0, 0, 0};
  if (!png_image_finish_read(&image, &background, img.pixels.data(), 0, nullptr)) {
    std::string msg = image.message;
    png_image_free(&image);
    return InvalidArgument("corrupt PNG image: " + msg);
  }
  return img;
}

}  // namespace

StatusOr<RgbImage> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  if (bytes.empty()) return InvalidArgument("empty image: the request body has no data");
  if (IsJpeg(bytes)) return DecodeJpeg(bytes, options);
  if (IsPng(bytes)) return DecodePng(bytes, options);
  return InvalidArgument("cannot identify image data (" + std::to_string(bytes.size()) +
                         " bytes): expected a JPEG or PNG file");
}

}  // namespace hearth::imaging
