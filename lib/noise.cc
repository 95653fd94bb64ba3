#include "noise.h"

#include <openssl/evp.h>

#include <cstring>

namespace vesta {
namespace {

constexpr size_t kDhLen = 32;

std::array<uint8_t, 32> hmacSha256(const Key& key, std::span<const uint8_t> a,
                                   std::span<const uint8_t> b = {}) {
  Bytes data(a.begin(), a.end());
  data.insert(data.end(), b.begin(), b.end());
  std::array<uint8_t, 32> out{};
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), data.data(),
            data.size(), out.data(), out.size(), &len);
  return out;
}

std::array<uint8_t, 32> sha256(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  std::array<uint8_t, 32> out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  EVP_MD_CTX_free(ctx);
  return out;
}

}  // namespace

X25519KeyPair X25519KeyPair::generate() {
  std::array<uint8_t, 32> priv{};
  randomBytes(priv);
  return fromPrivate(priv);
}

X25519KeyPair X25519KeyPair::fromPrivate(const std::array<uint8_t, 32>& priv) {
  X25519KeyPair kp;
  kp.priv = priv;
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size());
  size_t len = kp.pub.size();
  if (key) EVP_PKEY_get_raw_public_key(key, kp.pub.data(), &len);
  EVP_PKEY_free(key);
  return kp;
}

std::optional<std::array<uint8_t, 32>> x25519(const std::array<uint8_t, 32>& priv,
                                              const std::array<uint8_t, 32>& pub) {
  EVP_PKEY* mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, priv.data(), priv.size());
  EVP_PKEY* theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, pub.data(), pub.size());
  EVP_PKEY_CTX* ctx = mine ? EVP_PKEY_CTX_new(mine, nullptr) : nullptr;
  std::array<uint8_t, 32> out{};
  size_t len = out.size();
  // OpenSSL refuses a derivation whose result is all zeros (a low-order point): exactly the
  // check RFC 7748 asks for.
  bool ok = ctx && theirs && EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
            EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == 32;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(theirs);
  EVP_PKEY_free(mine);
  if (!ok) return std::nullopt;
  return out;
}

std::array<Key, 3> noiseHkdf(const Key& chainingKey, std::span<const uint8_t> ikm) {
  Key temp = hmacSha256(chainingKey, ikm);
  const uint8_t one = 1, two = 2, three = 3;
  Key o1 = hmacSha256(temp, std::span(&one, 1));
  Key o2 = hmacSha256(temp, o1, std::span(&two, 1));
  Key o3 = hmacSha256(temp, o2, std::span(&three, 1));
  return {o1, o2, o3};
}

Nonce noiseNonce(uint64_t counter) {
  Nonce n{};
  for (int i = 0; i < 8; ++i) n[4 + i] = static_cast<uint8_t>(counter >> (56 - 8 * i));
  return n;
}

NoiseHandshake::NoiseHandshake(Role role, const Key& psk, std::span<const uint8_t> prologue,
                               std::optional<X25519KeyPair> ephemeral)
    : role_(role), psk_(psk), e_(ephemeral ? *ephemeral : X25519KeyPair::generate()) {
  // The protocol name is exactly 32 bytes: it is h as it stands (no hashing, no padding).
  static_assert(kNoiseProtocolName.size() == 32);
  std::memcpy(h_.data(), kNoiseProtocolName.data(), 32);
  ck_ = h_;
  mixHash(prologue);
}

void NoiseHandshake::mixHash(std::span<const uint8_t> data) {
  h_ = sha256(h_, data);
}

void NoiseHandshake::mixKey(std::span<const uint8_t> ikm) {
  auto out = noiseHkdf(ck_, ikm);
  ck_ = out[0];
  k_ = out[1];
  n_ = 0;
}

void NoiseHandshake::mixKeyAndHash(std::span<const uint8_t> ikm) {
  auto out = noiseHkdf(ck_, ikm);
  ck_ = out[0];
  mixHash(out[1]);
  k_ = out[2];
  n_ = 0;
}

Bytes NoiseHandshake::encryptAndHash(std::span<const uint8_t> plaintext) {
  Bytes c =
      k_ ? seal(*k_, noiseNonce(n_++), h_, plaintext) : Bytes(plaintext.begin(), plaintext.end());
  mixHash(c);
  return c;
}

std::optional<Bytes> NoiseHandshake::decryptAndHash(std::span<const uint8_t> ciphertext) {
  std::optional<Bytes> p;
  if (k_)
    p = open(*k_, noiseNonce(n_++), h_, ciphertext);
  else
    p = Bytes(ciphertext.begin(), ciphertext.end());
  if (p) mixHash(ciphertext);
  return p;
}

Result<Bytes> NoiseHandshake::writeMessage(std::span<const uint8_t> payload) {
  bool mine = (role_ == Role::Initiator && step_ == 0) || (role_ == Role::Responder && step_ == 1);
  if (!mine) return fail("handshake: not this side's turn to write");
  Bytes out(e_.pub.begin(), e_.pub.end());
  if (step_ == 0) {
    mixKeyAndHash(psk_);  // psk0: before the first message's tokens
    mixHash(e_.pub);
    mixKey(e_.pub);  // with a PSK, every "e" also mixes the key
  } else {
    mixHash(e_.pub);
    mixKey(e_.pub);
    auto dh = x25519(e_.priv, re_);
    if (!dh) return fail("handshake: the peer's ephemeral key is not usable");
    mixKey(*dh);
  }
  Bytes c = encryptAndHash(payload);
  out.insert(out.end(), c.begin(), c.end());
  ++step_;
  return out;
}

Result<Bytes> NoiseHandshake::readMessage(std::span<const uint8_t> message) {
  bool theirs =
      (role_ == Role::Responder && step_ == 0) || (role_ == Role::Initiator && step_ == 1);
  if (!theirs) return fail("handshake: not the peer's turn to write");
  if (message.size() < kDhLen + kTagSize) return fail("handshake: message too short");
  std::copy(message.begin(), message.begin() + kDhLen, re_.begin());
  if (step_ == 0) {
    mixKeyAndHash(psk_);
    mixHash(re_);
    mixKey(re_);
  } else {
    mixHash(re_);
    mixKey(re_);
    auto dh = x25519(e_.priv, re_);
    if (!dh) return fail("handshake: the peer's ephemeral key is not usable");
    mixKey(*dh);
  }
  auto payload = decryptAndHash(message.subspan(kDhLen));
  if (!payload) return fail("handshake: authentication failed (another federation key?)");
  ++step_;
  return *payload;
}

NoiseHandshake::Keys NoiseHandshake::split() const {
  auto out = noiseHkdf(ck_, {});
  Keys keys;
  bool initiator = role_ == Role::Initiator;
  keys.send = initiator ? out[0] : out[1];
  keys.recv = initiator ? out[1] : out[0];
  keys.hash = h_;
  return keys;
}

}  // namespace vesta
