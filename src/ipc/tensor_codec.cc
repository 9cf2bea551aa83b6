#include "ipc/tensor_codec.h"

#include <cstring>

namespace hearth::ipc {
namespace {

template <typename T>
void Put(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // little-endian hosts only (x86, arm64)
  out.append(buf, sizeof(T));
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  template <typename T>
  bool Get(T& v) {
    if (b_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, b_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Bytes(uint64_t n, std::string& out) {
    if (b_.size() - pos_ < n) return false;
    out.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

int64_t ElementCount(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string EncodeTensors(const std::vector<WireTensor>& tensors) {
  std::string out;
  Put<uint32_t>(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& t : tensors) {
    Put<uint32_t>(out, static_cast<uint32_t>(t.name.size()));
    out += t.name;
    const std::string_view type = DataTypeName(t.datatype);
    Put<uint32_t>(out, static_cast<uint32_t>(type.size()));
    out += type;
    Put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) Put<int64_t>(out, d);
    Put<uint64_t>(out, t.data.size());
    out += t.data;
  }
  return out;
}

StatusOr<std::vector<WireTensor>> DecodeTensors(std::string_view bytes) {
  Reader r(bytes);
  uint32_t count = 0;
  if (!r.Get(count) || count > 4096) return InvalidArgument("malformed tensor message");
  std::vector<WireTensor> out(count);
  for (auto& t : out) {
    uint32_t n = 0, rank = 0;
    uint64_t size = 0;
    if (!r.Get(n) || n > 4096 || !r.Bytes(n, t.name)) return InvalidArgument("malformed tensor name");
    std::string type;
    if (!r.Get(n) || n > 64 || !r.Bytes(n, type)) return InvalidArgument("malformed tensor datatype");
    auto parsed = ParseDataType(type);
    if (!parsed) return InvalidArgument("tensor " + t.name + ": unknown datatype \"" + type + "\"");
    t.datatype = *parsed;
    if (!r.Get(rank) || rank > 64) return InvalidArgument("malformed tensor rank");
    t.shape.resize(rank);
    for (auto& d : t.shape) {
      if (!r.Get(d) || d < 0) return InvalidArgument("malformed tensor shape");
    }
    if (!r.Get(size) || !r.Bytes(size, t.data)) return InvalidArgument("malformed tensor data");
  }
  if (!r.done()) return InvalidArgument("trailing bytes after the tensors");
  return out;
}

}  // namespace hearth::ipc
