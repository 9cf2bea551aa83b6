#pragma once
// Random identifiers. Thread-safe (per-thread generators).

#include <string>

namespace hearth {

// A random (version 4) UUID in canonical lower-case form.
std::string NewUuid();
// n random bytes as lower-case hex (2n characters).
std::string RandomHex(int n_bytes);
// n random bytes, URL-safe base64 without padding.
std::string RandomUrlSafeToken(int n_bytes);

}  // namespace hearth
