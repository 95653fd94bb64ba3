// The link handshake: Noise_NNpsk0_25519_AESGCM_SHA256 (noiseprotocol.org, revision 34) built
// from OpenSSL primitives. Two messages: "-> psk, e" and "<- e, ee". Only holders of the link
// key (the PSK) can complete it; fresh ephemeral X25519 keys give every connection its own
// forward-secret transport keys. Member identities are proven after it, over its hash.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "crypto.h"
#include "result.h"

namespace vesta {

inline constexpr std::string_view kNoiseProtocolName = "Noise_NNpsk0_25519_AESGCM_SHA256";

struct X25519KeyPair {
  std::array<uint8_t, 32> priv{};
  std::array<uint8_t, 32> pub{};
  static X25519KeyPair generate();
  static X25519KeyPair fromPrivate(const std::array<uint8_t, 32>& priv);
};

// X25519(priv, pub); nullopt for a low-order public key (an all-zero shared secret).
std::optional<std::array<uint8_t, 32>> x25519(const std::array<uint8_t, 32>& priv,
                                              const std::array<uint8_t, 32>& pub);

// Noise's HKDF: HMAC-SHA256 chained from `chainingKey`, 2 or 3 outputs of 32 bytes.
std::array<Key, 3> noiseHkdf(const Key& chainingKey, std::span<const uint8_t> ikm);

class NoiseHandshake {
 public:
  enum class Role { Initiator, Responder };

  // `ephemeral` is for known-answer tests only; normally a fresh key pair is generated.
  NoiseHandshake(Role role, const Key& psk, std::span<const uint8_t> prologue,
                 std::optional<X25519KeyPair> ephemeral = std::nullopt);

  // The next handshake message with `payload` sealed inside (initiator: message 1,
  // responder: message 2).
  Result<Bytes> writeMessage(std::span<const uint8_t> payload);
  // Reads the other side's message and returns its payload. Fails, revealing nothing, when the
  // sender does not hold the same PSK or the message was altered.
  Result<Bytes> readMessage(std::span<const uint8_t> message);

  bool complete() const { return step_ == 2; }

  struct Keys {
    Key send{}, recv{};
    std::array<uint8_t, 32> hash{};  // binds identity proofs to this very handshake
  };
  // Transport keys for this side, once complete().
  Keys split() const;

 private:
  void mixHash(std::span<const uint8_t> data);
  void mixKey(std::span<const uint8_t> ikm);
  void mixKeyAndHash(std::span<const uint8_t> ikm);
  Bytes encryptAndHash(std::span<const uint8_t> plaintext);
  std::optional<Bytes> decryptAndHash(std::span<const uint8_t> ciphertext);

  Role role_;
  Key psk_;
  Key ck_{};
  std::array<uint8_t, 32> h_{};
  std::optional<Key> k_;
  uint64_t n_ = 0;
  X25519KeyPair e_;
  std::array<uint8_t, 32> re_{};
  int step_ = 0;  // messages processed
};

// Noise's AES-GCM nonce: 4 zero bytes, then the 64-bit counter big-endian.
Nonce noiseNonce(uint64_t counter);

}  // namespace vesta
