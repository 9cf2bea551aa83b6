#include "text/wordpiece.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <fstream>

namespace hearth::text {
namespace {

bool IsWhitespace(UChar32 c) {
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return true;
  return u_charType(c) == U_SPACE_SEPARATOR;
}

bool IsControl(UChar32 c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  int8_t t = u_charType(c);
  return t == U_CONTROL_CHAR || t == U_FORMAT_CHAR;
}

bool IsPunctuation(UChar32 c) {
  // BERT counts every non-alphanumeric ASCII symbol as punctuation.
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  switch (u_charType(c)) {
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return true;
    default:
      return false;
  }
}

bool IsChinese(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::vector<UChar32> CodePoints(const icu::UnicodeString& s) {
  std::vector<UChar32> out;
  for (int32_t i = 0; i < s.length();) {
    UChar32 c = s.char32At(i);
    out.push_back(c);
    i += U16_LENGTH(c);
  }
  return out;
}

std::string ToUtf8(const std::vector<UChar32>& cps, size_t begin, size_t end) {
  icu::UnicodeString s;
  for (size_t i = begin; i < end; ++i) s.append(cps[i]);
  std::string out;
  s.toUTF8String(out);
  return out;
}

std::vector<std::vector<UChar32>> SplitWhitespace(const std::vector<UChar32>& cps) {
  std::vector<std::vector<UChar32>> words;
  std::vector<UChar32> cur;
  for (UChar32 c : cps) {
    if (IsWhitespace(c)) {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

}  // namespace

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocabFile(const std::string& path,
                                                               const TokenizerOptions& options) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read the vocabulary " + path);
  std::vector<std::string> vocab;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(line);
  }
  auto t = FromVocab(std::move(vocab), options);
  if (!t.ok()) return t.status().WithPrefix(path);
  return t;
}

StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocab(std::vector<std::string> vocab,
                                                           const TokenizerOptions& options) {
  WordPieceTokenizer t;
  t.options_ = options;
  t.vocab_ = std::move(vocab);
  for (size_t i = 0; i < t.vocab_.size(); ++i) t.ids_.emplace(t.vocab_[i], static_cast<int64_t>(i));
  for (const auto* special : {&options.unk_token, &options.cls_token, &options.sep_token, &options.pad_token}) {
    if (!t.ids_.count(*special)) return InvalidArgument("the vocabulary has no " + *special + " token");
  }
  if (options.max_length < 2) return InvalidArgument("max_length must be at least 2");
  t.unk_id_ = t.ids_.at(options.unk_token);
  t.cls_id_ = t.ids_.at(options.cls_token);
  t.sep_id_ = t.ids_.at(options.sep_token);
  t.pad_id_ = t.ids_.at(options.pad_token);
  return t;
}

int64_t WordPieceTokenizer::IdOf(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? unk_id_ : it->second;
}

std::vector<std::string> WordPieceTokenizer::BasicTokenize(const std::string& utf8) const {
  icu::UnicodeString input = icu::UnicodeString::fromUTF8(utf8);
  // Clean: drop NUL, U+FFFD and control characters; whitespace becomes ' ';
  // CJK ideographs become words of their own.
  std::vector<UChar32> cleaned;
  for (UChar32 c : CodePoints(input)) {
    if (c == 0 || c == 0xFFFD || IsControl(c)) continue;
    if (IsWhitespace(c)) {
      cleaned.push_back(' ');
    } else if (options_.tokenize_chinese_chars && IsChinese(c)) {
      cleaned.push_back(' ');
      cleaned.push_back(c);
      cleaned.push_back(' ');
    } else {
      cleaned.push_back(c);
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const bool strip = options_.strip_accents.value_or(options_.lower_case);
  std::vector<std::string> out;
  for (auto& word : SplitWhitespace(cleaned)) {
    icu::UnicodeString w;
    for (UChar32 c : word) w.append(c);
    if (options_.lower_case) w.toLower(icu::Locale::getRoot());
    if (strip && U_SUCCESS(status)) {
      UErrorCode st = U_ZERO_ERROR;
      icu::UnicodeString decomposed = nfd->normalize(w, st);
      if (U_SUCCESS(st)) {
        icu::UnicodeString kept;
        for (UChar32 c : CodePoints(decomposed)) {
          if (u_charType(c) != U_NON_SPACING_MARK) kept.append(c);
        }
        w = kept;
      }
    }
    // Punctuation characters become words of their own.
    std::vector<UChar32> cps = CodePoints(w);
    size_t start = 0;
    for (size_t i = 0; i < cps.size(); ++i) {
      if (IsPunctuation(cps[i])) {
        if (i > start) out.push_back(ToUtf8(cps, start, i));
        out.push_back(ToUtf8(cps, i, i + 1));
        start = i + 1;
      }
    }
    if (start < cps.size()) out.push_back(ToUtf8(cps, start, cps.size()));
  }
  return out;
}

std::vector<std::string> WordPieceTokenizer::WordPiece(const std::string& word) const {
  std::vector<UChar32> cps = CodePoints(icu::UnicodeString::fromUTF8(word));
  if (static_cast<int>(cps.size()) > options_.max_chars_per_word) return {options_.unk_token};
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < cps.size()) {
    size_t end = cps.size();
    std::string found;
    while (start < end) {
      std::string piece = ToUtf8(cps, start, end);
      if (start > 0) piece = "##" + piece;
      if (ids_.count(piece)) {
        found = piece;
        break;
      }
      --end;
    }
    if (found.empty()) return {options_.unk_token};
    pieces.push_back(found);
    start = end;
  }
  return pieces;
}

std::vector<std::string> WordPieceTokenizer::Tokenize(const std::string& utf8) const {
  std::vector<std::string> out;
  for (const auto& word : BasicTokenize(utf8)) {
    for (auto& piece : WordPiece(word)) out.push_back(std::move(piece));
  }
  return out;
}

Encoding WordPieceTokenizer::Encode(const std::string& utf8) const {
  Encoding e;
  std::vector<std::string> tokens = Tokenize(utf8);
  const size_t room = static_cast<size_t>(options_.max_length - 2);
  if (tokens.size() > room) {
    tokens.resize(room);
    e.truncated = true;
  }
  e.tokens.push_back(options_.cls_token);
  for (auto& t : tokens) e.tokens.push_back(std::move(t));
  e.tokens.push_back(options_.sep_token);
  for (const auto& t : e.tokens) e.input_ids.push_back(IdOf(t));
  e.attention_mask.assign(e.input_ids.size(), 1);
  e.token_type_ids.assign(e.input_ids.size(), 0);
  if (options_.pad_to_max_length) {
    while (static_cast<int>(e.input_ids.size()) < options_.max_length) {
      e.input_ids.push_back(pad_id_);
      e.attention_mask.push_back(0);
      e.token_type_ids.push_back(0);
    }
  }
  return e;
}

}  // namespace hearth::text
