#pragma once
// TorchServe 0.11+'s token authorization. At start the server creates three
// keys (8 URL-safe characters from 6 random bytes) and writes them to
// key_file.json in its working directory (mode 0600):
//   {"management": {"key": "B-E5KSRM", "expiration time": "2024-02-16T21:12:24.801167Z"},
//    "inference": {"key": "gNRuA7dS", "expiration time": "..."}, "API": {"key": "yv9uQajP"}}
// Requests carry `Authorization: Bearer <key>`: the inference key for the
// inference API, the management key for the management API, the API key for
// GET /token?type=... (which rotates a key and rewrites the file). The
// inference and management keys expire after token_expiration_min; the API
// key never does. Thread-safe.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace hearth::security {

enum class TokenKind { kInference, kManagement, kApi };

struct TokenOptions {
  std::string key_file = "key_file.json";
  int expiration_min = 60;
};

class TokenAuthority {
 public:
  // Creates the keys and writes the key file.
  static StatusOr<std::unique_ptr<TokenAuthority>> Create(const TokenOptions& options);

  // True when `authorization` (the header value) is "Bearer <current key of
  // kind>" and that key has not expired.
  bool Check(TokenKind kind, const std::string& authorization) const;
  // New key (and expiry) for the inference or management kind; rewrites the file.
  Status Rotate(TokenKind kind);
  void RemoveKeyFile() const;
  const std::string& key_file() const { return options_.key_file; }
  std::string Key(TokenKind kind) const;

  // The header value a client must send, "Bearer <key>" (tests, tools).
  static std::string BearerValue(const std::string& key) { return "Bearer " + key; }

 private:
  explicit TokenAuthority(TokenOptions options) : options_(std::move(options)) {}
  Status WriteFile() const;  // caller holds mu_

  struct Entry {
    std::string value;
    std::chrono::system_clock::time_point expires;
  };
  TokenOptions options_;
  mutable std::mutex mu_;
  Entry inference_;   // guarded by mu_
  Entry management_;  // guarded by mu_
  std::string api_; // guarded by mu_
};

// "Bearer <token>" -> token; "" when the header does not match ^Bearer\s+(\S+)$.
std::string BearerToken(const std::string& authorization);

}  // namespace hearth::security
