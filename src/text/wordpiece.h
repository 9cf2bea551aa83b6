#pragma once
// BERT's tokenizer, compatible with a model's vocab.txt: basic tokenization
// (text cleanup, CJK characters as words, optional lower-casing and accent
// stripping, punctuation splitting, all with Unicode properties from ICU),
// then greedy longest-match-first WordPiece with "##" continuations, then
// [CLS] ... [SEP], truncation and padding. Pure; thread-safe once built.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace hearth::text {

struct TokenizerOptions {
  bool lower_case = true;
  std::optional<bool> strip_accents;  // unset: follows lower_case (BERT's default)
  bool tokenize_chinese_chars = true;
  int max_length = 128;               // including [CLS] and [SEP]
  bool pad_to_max_length = false;     // else pad to the longest in the batch (the caller)
  int max_chars_per_word = 100;
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
};

struct Encoding {
  std::vector<std::string> tokens;  // with [CLS]/[SEP]
  std::vector<int64_t> input_ids;
  std::vector<int64_t> attention_mask;
  std::vector<int64_t> token_type_ids;
  bool truncated = false;
};

class WordPieceTokenizer {
 public:
  // vocab: one token per line, id = line number (from 0).
  static StatusOr<WordPieceTokenizer> FromVocabFile(const std::string& path, const TokenizerOptions& options);
  static StatusOr<WordPieceTokenizer> FromVocab(std::vector<std::string> vocab, const TokenizerOptions& options);

  std::vector<std::string> BasicTokenize(const std::string& utf8) const;
  std::vector<std::string> WordPiece(const std::string& word) const;
  // BasicTokenize then WordPiece.
  std::vector<std::string> Tokenize(const std::string& utf8) const;
  Encoding Encode(const std::string& utf8) const;
  int64_t PadId() const { return pad_id_; }
  const TokenizerOptions& options() const { return options_; }

 private:
  int64_t IdOf(const std::string& token) const;

  TokenizerOptions options_;
  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t unk_id_ = 0, cls_id_ = 0, sep_id_ = 0, pad_id_ = 0;
};

}  // namespace hearth::text
