#include "common/strings.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(StringsTest, ParseIntIsStrict) {
  EXPECT_EQ(*ParseInt("42"), 42);
  EXPECT_EQ(*ParseInt(" -3 "), -3);
  EXPECT_FALSE(ParseInt("4x"));
  EXPECT_FALSE(ParseInt(""));
  EXPECT_FALSE(ParseInt("99999999999"));
}

TEST(StringsTest, Base64RoundTrip) {
  std::string data = std::string("\x00\xff\x10hello", 8);
  EXPECT_EQ(*Base64Decode(Base64Encode(data)), data);
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode("aGVs\nbG8"), "hello");
  EXPECT_FALSE(Base64Decode("a$b="));
}

TEST(StringsTest, CpuLists) {
  EXPECT_EQ(*ParseCpuList("0-2,5,7-8"), (std::vector<int>{0, 1, 2, 5, 7, 8}));
  EXPECT_EQ(FormatCpuList({5, 0, 1, 2, 8, 7}), "0-2,5,7-8");
  EXPECT_FALSE(ParseCpuList("3-1"));
  EXPECT_FALSE(ParseCpuList("a"));
}

TEST(StringsTest, UrlDecode) {
  EXPECT_EQ(UrlDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(UrlDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(UrlDecode("100%", false), "100%");
}

}  // namespace
}  // namespace hearth

namespace hearth {
namespace {

TEST(StringsTest, ToValidUtf8ReplacesWhatIsNotUtf8AndKeepsWhatIs) {
  EXPECT_EQ(ToValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ToValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5");
  EXPECT_EQ(ToValidUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(ToValidUtf8("\x89PNG"), "\xef\xbf\xbdPNG");
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");          // overlong '/'
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  EXPECT_EQ(ToValidUtf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");          // cut short
  EXPECT_EQ(ToValidUtf8("\xf4\x90\x80\x80").substr(0, 3), "\xef\xbf\xbd");  // past U+10FFFF
  EXPECT_EQ(ToValidUtf8(std::string("\0x", 2)), std::string("\0x", 2));
}

}  // namespace
}  // namespace hearth
