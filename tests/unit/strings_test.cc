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
