#include "config/java_properties.h"

#include <gtest/gtest.h>

namespace hearth::config {
namespace {

std::map<std::string, std::string> AsMap(const std::vector<Property>& props) {
  std::map<std::string, std::string> m;
  for (const auto& p : props) m[p.key] = p.value;
  return m;
}

TEST(JavaPropertiesTest, SeparatorsCommentsAndBlankLines) {
  auto m = AsMap(ParseJavaProperties("# comment\n! also comment\n\na=1\nb: 2\nc 3\n  d = 4\n"));
  EXPECT_EQ(m["a"], "1");
  EXPECT_EQ(m["b"], "2");
  EXPECT_EQ(m["c"], "3");
  EXPECT_EQ(m["d"], "4");
  EXPECT_EQ(m.size(), 4u);
}

TEST(JavaPropertiesTest, ContinuationDropsLeadingWhitespace) {
  auto m = AsMap(ParseJavaProperties("models={\\\n  \"a\": 1\\\n  }\nnext=x\n"));
  EXPECT_EQ(m["models"], "{\"a\": 1}");
  EXPECT_EQ(m["next"], "x");
}

TEST(JavaPropertiesTest, EscapesAndTrailingWhitespaceKept) {
  auto m = AsMap(ParseJavaProperties("k\\=ey=va\\tl\\u0041 \r\nx=\\\\\n"));
  EXPECT_EQ(m["k=ey"], "va\tlA ");
  EXPECT_EQ(m["x"], "\\");
}

TEST(JavaPropertiesTest, LaterDuplicateWins) {
  auto props = ParseJavaProperties("a=1\nb=2\na=3\n");
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0].key, "a");
  EXPECT_EQ(props[0].value, "3");
  EXPECT_EQ(props[0].line, 1);
}

TEST(JavaPropertiesTest, EscapeForStoreRoundTrips) {
  std::string value = "http://127.0.0.1:8080 #x é";
  std::string text = "k=" + EscapePropertyText(value, false) + "\n";
  auto m = AsMap(ParseJavaProperties(text));
  EXPECT_EQ(m["k"], value);
}

}  // namespace
}  // namespace hearth::config
