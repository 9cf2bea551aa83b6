#include "security/token_authority.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "common/files.h"
#include "common/ids.h"
#include "common/json.h"
#include "common/strings.h"

namespace hearth::security {
namespace {

// ISO-8601 instant in UTC with microseconds, as Java's Instant prints it.
std::string Iso8601Utc(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  long long micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof(out), "%s.%06lldZ", buf, micros);
  return out;
}

}  // namespace

std::string BearerToken(const std::string& authorization) {
  std::string_view v = authorization;
  if (!StartsWith(v, "Bearer")) return "";
  v.remove_prefix(6);
  if (v.empty() || !std::isspace(static_cast<unsigned char>(v.front()))) return "";
  v = Trim(v);
  if (v.empty() || v.find_first_of(" \t") != std::string_view::npos) return "";
  return std::string(v);
}

StatusOr<std::unique_ptr<TokenAuthority>> TokenAuthority::Create(const TokenOptions& options) {
  std::unique_ptr<TokenAuthority> a(new TokenAuthority(options));
  const auto expires = std::chrono::system_clock::now() + std::chrono::minutes(options.expiration_min);
  a->inference_ = {RandomUrlSafeToken(6), expires};
  a->management_ = {RandomUrlSafeToken(6), expires};
  a->api_ = RandomUrlSafeToken(6);
  std::lock_guard lock(a->mu_);
  RETURN_IF_ERROR(a->WriteFile());
  return a;
}

Status TokenAuthority::WriteFile() const {
  Json j;
  j["management"] = {{"key", management_.value}, {"expiration time", Iso8601Utc(management_.expires)}};
  j["inference"] = {{"key", inference_.value}, {"expiration time", Iso8601Utc(inference_.expires)}};
  j["API"] = {{"key", api_}};
  RETURN_IF_ERROR(WriteFileAtomic(options_.key_file, PythonJson(j) + "\n"));
  ::chmod(options_.key_file.c_str(), 0600);
  return Status::Ok();
}

bool TokenAuthority::Check(TokenKind kind, const std::string& authorization) const {
  const std::string token = BearerToken(authorization);
  if (token.empty()) return false;
  std::lock_guard lock(mu_);
  switch (kind) {
    case TokenKind::kApi: return token == api_;
    case TokenKind::kInference:
      return token == inference_.value && std::chrono::system_clock::now() < inference_.expires;
    case TokenKind::kManagement:
      return token == management_.value && std::chrono::system_clock::now() < management_.expires;
  }
  return false;
}

Status TokenAuthority::Rotate(TokenKind kind) {
  if (kind == TokenKind::kApi) return InvalidArgument("the API key cannot be rotated");
  std::lock_guard lock(mu_);
  Entry fresh{RandomUrlSafeToken(6), std::chrono::system_clock::now() + std::chrono::minutes(options_.expiration_min)};
  (kind == TokenKind::kInference ? inference_ : management_) = fresh;
  return WriteFile();
}

std::string TokenAuthority::Key(TokenKind kind) const {
  std::lock_guard lock(mu_);
  switch (kind) {
    case TokenKind::kApi: return api_;
    case TokenKind::kInference: return inference_.value;
    case TokenKind::kManagement: return management_.value;
  }
  return "";
}

void TokenAuthority::RemoveKeyFile() const {
  std::error_code ec;
  std::filesystem::remove(options_.key_file, ec);
}

}  // namespace hearth::security
