#pragma once
// Small string helpers shared across Hearth. Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

std::vector<std::string> Split(std::string_view text, char sep);
std::string_view Trim(std::string_view text);
std::string ToLower(std::string_view text);
bool StartsWith(std::string_view text, std::string_view prefix);
bool EndsWith(std::string_view text, std::string_view suffix);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// Strict integer parsing: the whole text must be a decimal integer in range.
std::optional<int64_t> ParseInt64(std::string_view text);
std::optional<int> ParseInt(std::string_view text);
std::optional<double> ParseDouble(std::string_view text);
// Java's Boolean.parseBoolean: "true" in any case is true, anything else false.
bool ParseJavaBool(std::string_view text);

// Percent-decoding for URL paths and query strings ('+' -> ' ' when
// plus_is_space). Malformed escapes are kept literally.
std::string UrlDecode(std::string_view text, bool plus_is_space);

// `value` with exactly `digits` decimals ("%.*f").
std::string FormatFixed(double value, int digits);

// `text` as valid UTF-8: each byte that does not belong to a well-formed
// sequence (RFC 3629: no overlongs, surrogates or code points past U+10FFFF)
// becomes U+FFFD, as Java's and Python's decoders replace them. Valid text
// comes back unchanged.
std::string ToValidUtf8(std::string text);

// Standard base64 (RFC 4648), with or without padding; whitespace ignored.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64Encode(std::string_view data);

// "1,3,5-7" -> {1,3,5,6,7}; nullopt when malformed.
std::optional<std::vector<int>> ParseCpuList(std::string_view text);
// {0,1,2,5} -> "0-2,5"
std::string FormatCpuList(const std::vector<int>& cpus);

}  // namespace hearth
