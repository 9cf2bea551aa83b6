// ipc::FrameBuffer: frames reassembled from a byte stream cut anywhere.
#include "ipc/framing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace hearth::ipc {
namespace {

Envelope PredictWithBody(const std::string& body) {
  Envelope e;
  e.mutable_predict()->set_batch_id(7);
  e.mutable_predict()->add_requests()->set_request_id(body.substr(0, 8));
  e.mutable_predict()->mutable_requests(0)->add_inputs()->set_value(body);
  return e;
}

void Feed(FrameBuffer& buffer, const std::string& bytes) {
  auto [where, room] = buffer.Space();
  ASSERT_GE(room, bytes.size());
  std::memcpy(where, bytes.data(), bytes.size());
  buffer.Commit(bytes.size());
}

TEST(FrameBufferTest, ReassemblesFramesCutAtEveryByte) {
  const std::string stream = EncodeFrame(PredictWithBody("first request")) + EncodeFrame(PredictWithBody("second"));
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameBuffer buffer;
    std::vector<std::string> bodies;
    for (const std::string& piece : {stream.substr(0, cut), stream.substr(cut)}) {
      Feed(buffer, piece);
      while (auto frame = buffer.Next()) {
        ASSERT_TRUE(frame->ok());
        bodies.push_back((*frame)->predict().requests(0).inputs(0).value());
      }
    }
    ASSERT_EQ(bodies, (std::vector<std::string>{"first request", "second"})) << "cut at " << cut;
    EXPECT_EQ(buffer.buffered(), 0u);
  }
}

TEST(FrameBufferTest, MakesRoomForAWholeLargeFrameInOneRead) {
  const std::string big(3 * FrameBuffer::kReadBytes, 'x');
  const std::string frame = EncodeFrame(PredictWithBody(big));
  FrameBuffer buffer;
  Feed(buffer, frame.substr(0, 100));
  EXPECT_FALSE(buffer.Next().has_value());
  auto [where, room] = buffer.Space();
  EXPECT_GE(room, frame.size() - 100);
  std::memcpy(where, frame.data() + 100, frame.size() - 100);
  buffer.Commit(frame.size() - 100);
  auto got = buffer.Next();
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ((*got)->predict().requests(0).inputs(0).value(), big);
}

TEST(FrameBufferTest, RefusesAnOversizedFrameAndAMalformedPayload) {
  FrameBuffer oversized;
  Feed(oversized, std::string("\xff\xff\xff\xff", 4));
  auto e = oversized.Next();
  ASSERT_TRUE(e.has_value());
  EXPECT_FALSE(e->ok());
  EXPECT_NE(e->status().message().find("frame of"), std::string::npos);

  FrameBuffer malformed;
  Feed(malformed, std::string("\x03\x00\x00\x00\xff\xff\xff", 7));
  auto m = malformed.Next();
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->ok());
  EXPECT_NE(m->status().message().find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace hearth::ipc
