// The WordPiece tokenizer against cases written by hand from BERT's
// documented algorithm (BasicTokenizer + WordpieceTokenizer), including the
// cases of Google's own tokenization tests.
#include "text/wordpiece.h"

#include <gtest/gtest.h>

namespace hearth::text {
namespace {

using Tokens = std::vector<std::string>;

WordPieceTokenizer Make(TokenizerOptions options = {}) {
  auto t = WordPieceTokenizer::FromVocab(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "hello", "world",
       "!", "?", "how", "are", "you", "\u535A", "\u63A8", "ah", "zz", "cafe", "caf", "##e", "\u2026", "$", "5"},
      options);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return *t;
}

TEST(WordPieceTest, GoogleReferenceCases) {
  WordPieceTokenizer t = Make();
  // tokenization_test.py: test_full_tokenizer
  EXPECT_EQ(t.Tokenize("UNwant\u00E9d,running"), (Tokens{"un", "##want", "##ed", ",", "runn", "##ing"}));
  // test_wordpiece_tokenizer
  EXPECT_EQ(t.Tokenize("unwanted running"), (Tokens{"un", "##want", "##ed", "runn", "##ing"}));
  EXPECT_EQ(t.Tokenize("unwantedX running"), (Tokens{"[UNK]", "runn", "##ing"}));
  EXPECT_EQ(t.Tokenize(""), Tokens{});
  // test_chinese
  EXPECT_EQ(t.BasicTokenize("ah\u535A\u63A8zz"), (Tokens{"ah", "\u535A", "\u63A8", "zz"}));
  // test_basic_tokenizer_lower / _no_lower
  EXPECT_EQ(t.BasicTokenize(" \tHeLLo!how  \n Are yoU?  "), (Tokens{"hello", "!", "how", "are", "you", "?"}));
  TokenizerOptions keep_case;
  keep_case.lower_case = false;
  EXPECT_EQ(Make(keep_case).BasicTokenize(" \tHeLLo!how  \n Are yoU?  "),
            (Tokens{"HeLLo", "!", "how", "Are", "yoU", "?"}));
}

TEST(WordPieceTest, AccentsFollowLowerCaseUnlessSet) {
  WordPieceTokenizer lower = Make();
  EXPECT_EQ(lower.BasicTokenize("H\u00E4LLo Caf\u00E9"), (Tokens{"hallo", "cafe"}));
  EXPECT_EQ(lower.Tokenize("Caf\u00E9"), Tokens{"cafe"});
  TokenizerOptions cased;
  cased.lower_case = false;
  EXPECT_EQ(Make(cased).BasicTokenize("H\u00E4LLo"), Tokens{"H\u00E4LLo"});
  cased.strip_accents = true;
  EXPECT_EQ(Make(cased).BasicTokenize("H\u00E4LLo"), Tokens{"HaLLo"});
  TokenizerOptions keep_accents;
  keep_accents.strip_accents = false;
  EXPECT_EQ(Make(keep_accents).BasicTokenize("H\u00E4LLo"), Tokens{"h\u00E4llo"});
}

TEST(WordPieceTest, PunctuationControlAndWhitespace) {
  WordPieceTokenizer t = Make();
  // ASCII symbols count as punctuation; so does Unicode category P.
  EXPECT_EQ(t.BasicTokenize("$5 hello\u2026world"), (Tokens{"$", "5", "hello", "\u2026", "world"}));
  // NUL, U+FFFD and format characters (soft hyphen) disappear; no-break space splits.
  EXPECT_EQ(t.BasicTokenize(std::string("a\0b", 3) + "\u00ADc\u00A0d\uFFFDe"), (Tokens{"abc", "de"}));
  // Greedy longest match first: "cafe" beats "caf" + "##e".
  EXPECT_EQ(t.WordPiece("cafe"), Tokens{"cafe"});
  EXPECT_EQ(t.WordPiece("wantwant"), (Tokens{"want", "##want"}));
  TokenizerOptions short_words;
  short_words.max_chars_per_word = 3;
  EXPECT_EQ(Make(short_words).WordPiece("runn"), Tokens{"[UNK]"});
}

TEST(WordPieceTest, EncodeTruncatesAndPads) {
  TokenizerOptions o;
  o.max_length = 5;
  WordPieceTokenizer t = Make(o);
  Encoding e = t.Encode("unwanted running!");  // un ##want ##ed runn ##ing ! -> 3 fit
  EXPECT_EQ(e.tokens, (Tokens{"[CLS]", "un", "##want", "##ed", "[SEP]"}));
  EXPECT_EQ(e.input_ids, (std::vector<int64_t>{2, 8, 5, 6, 3}));
  EXPECT_TRUE(e.truncated);
  o.max_length = 8;
  o.pad_to_max_length = true;
  Encoding p = Make(o).Encode("hello world");
  EXPECT_EQ(p.input_ids, (std::vector<int64_t>{2, 12, 13, 3, 0, 0, 0, 0}));
  EXPECT_EQ(p.attention_mask, (std::vector<int64_t>{1, 1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(p.token_type_ids, std::vector<int64_t>(8, 0));
  EXPECT_FALSE(p.truncated);
}

TEST(WordPieceTest, VocabularyMustHaveSpecialTokens) {
  auto bad = WordPieceTokenizer::FromVocab({"a", "b"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[UNK]"), std::string::npos);
}

}  // namespace
}  // namespace hearth::text
