#include "frontend/http/multipart.h"

#include <gtest/gtest.h>

namespace hearth::frontend {
namespace {

TEST(MultipartTest, FilesAndFields) {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"k.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
      "\xff\xd8\xff binary\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ--\r\n";
  auto parts = ParseMultipart("multipart/form-data; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "data");
  EXPECT_EQ((*parts)[0].filename, "k.jpg");
  EXPECT_EQ((*parts)[0].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[0].value, "\xff\xd8\xff binary\r\n");
  EXPECT_EQ((*parts)[1].name, "note");
  EXPECT_EQ((*parts)[1].value, "hello");
}

TEST(MultipartTest, QuotedBoundaryAndMissingBoundary) {
  auto ok = ParseMultipart("multipart/form-data; boundary=\"a b\"",
                           "--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--a b--");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)[0].value, "1");
  EXPECT_FALSE(ParseMultipart("multipart/form-data", "x").ok());
  EXPECT_FALSE(ParseMultipart("multipart/form-data; boundary=q", "--q\r\nno end").ok());
}

TEST(MultipartTest, UrlEncodedAndQuery) {
  auto parts = ParseUrlEncoded("a=1&b=hello+world&c=%2F");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1].value, "hello world");
  EXPECT_EQ(parts[2].value, "/");
  auto q = ParseQueryString("url=x.mar&initial_workers=1&flag");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[2].first, "flag");
}

}  // namespace
}  // namespace hearth::frontend
