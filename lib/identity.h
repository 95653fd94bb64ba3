// A node's long-term Ed25519 identity: made once, kept in a 0600 file, shown as a fingerprint.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "result.h"

namespace vesta {

using PublicKey = std::array<uint8_t, 32>;

class Identity {
 public:
  // A fresh key pair from OpenSSL's CSPRNG.
  static Result<Identity> generate();
  // Parses an identity file's text; `origin` names the file in errors.
  static Result<Identity> fromJson(const std::string& text, const std::string& origin);

  // The identity file's text (holds the private key).
  std::string toJson(const std::string& nodeName) const;

  const PublicKey& publicKey() const { return public_; }
  // Short human fingerprint of the public key, e.g. "3f2a-91c0-7b1e-22d4".
  std::string fingerprint() const;

  // Ed25519 signature (64 bytes) over `message`.
  std::vector<uint8_t> sign(std::span<const uint8_t> message) const;

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, KeyFree> key_;
  PublicKey public_{};
};

// Fingerprint of any public key (SHA-256, first 8 bytes, hex in groups of four).
std::string fingerprintOf(const PublicKey& key);

// True when `signature` is a valid Ed25519 signature of `message` by `key`.
bool verifySignature(const PublicKey& key, std::span<const uint8_t> message,
                     std::span<const uint8_t> signature);

// Path of a node's identity file in `stateDir`.
std::string identityPath(const std::string& stateDir, const std::string& nodeName);

// Loads the node's identity, creating it (mode 0600) on first start. A corrupt or too-open file
// is an error, never silently replaced.
Result<Identity> loadOrCreateIdentity(const std::string& stateDir, const std::string& nodeName);

// The state directory: `flag`, else $STATE_DIRECTORY (first entry), else $XDG_STATE_HOME/vesta,
// else $HOME/.local/state/vesta. Empty strings mean unset.
Result<std::string> resolveStateDir(const std::string& flag, const std::string& stateDirectoryEnv,
                                    const std::string& xdgStateHome, const std::string& home);

}  // namespace vesta
