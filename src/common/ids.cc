#include "common/ids.h"

#include <array>
#include <cstdint>
#include <random>

namespace hearth {
namespace {
std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }());
  return gen;
}

void RandomBytes(uint8_t* out, int n) {
  auto& gen = Generator();
  for (int i = 0; i < n; i += 8) {
    uint64_t v = gen();
    for (int j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
}
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string NewUuid() {
  std::array<uint8_t, 16> b;
  RandomBytes(b.data(), 16);
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

std::string RandomHex(int n_bytes) {
  std::string raw(n_bytes, '\0');
  RandomBytes(reinterpret_cast<uint8_t*>(raw.data()), n_bytes);
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string RandomUrlSafeToken(int n_bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw(n_bytes, '\0');
  RandomBytes(reinterpret_cast<uint8_t*>(raw.data()), n_bytes);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace hearth
