#include "crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace vesta {
namespace {

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// Runs an EVP_KDF by name with the given parameters.
Result<Bytes> runKdf(const char* name, OSSL_PARAM* params, size_t length) {
  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
  if (!kdf) return fail(std::string("OpenSSL has no ") + name + " KDF");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  Bytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1)
    return fail(std::string(name) + " failed in OpenSSL");
  return out;
}

void* mutableData(std::span<const uint8_t> s) {
  // OSSL_PARAM takes non-const pointers for octet strings it only reads.
  return const_cast<uint8_t*>(s.data());
}

}  // namespace

Result<Bytes> scrypt(std::string_view password, std::span<const uint8_t> salt,
                     const ScryptParams& p, size_t length) {
  uint64_t n = p.n;
  uint32_t r = p.r, par = p.p;
  // Explicit memory cap just above what N and r need (128 * N * r bytes, plus slack).
  uint64_t maxmem = 128 * n * r + (1u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutableData(salt), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  return runKdf("SCRYPT", params, length);
}

Result<Key> deriveRootKey(std::string_view secret, const ScryptParams& params) {
  auto salt = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kRootKeySalt.data()),
                                       kRootKeySalt.size());
  auto bytes = scrypt(secret, salt, params, 32);
  if (!bytes) return fail("root key: " + bytes.error());
  Key key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Result<Bytes> hkdfSha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                         std::span<const uint8_t> info, size_t length) {
  char digest[] = "SHA256";
  OSSL_PARAM params[5];
  size_t i = 0;
  params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutableData(ikm), ikm.size());
  // RFC 5869: an absent salt is HashLen zeros, which OpenSSL does when no salt is given.
  if (!salt.empty())
    params[i++] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutableData(salt), salt.size());
  params[i++] =
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mutableData(info), info.size());
  params[i] = OSSL_PARAM_construct_end();
  return runKdf("HKDF", params, length);
}

Key deriveSubkey(const Key& root, std::string_view label) {
  auto info =
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(label.data()), label.size());
  auto bytes = hkdfSha256(root, {}, info, 32);
  Key key{};
  if (bytes) std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Bytes seal(const Key& key, const Nonce& nonce, std::span<const uint8_t> aad,
           std::span<const uint8_t> plaintext) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  Bytes out(plaintext.size() + kTagSize);
  int len = 0, total = 0;
  bool ok =
      ctx &&
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), nonce.data(), nullptr) == 1 &&
      (aad.empty() || EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                        static_cast<int>(aad.size())) == 1) &&
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + total, &len) == 1;
  total += len;
  ok =
      ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, out.data() + total) == 1;
  if (!ok) return {};
  return out;
}

std::optional<Bytes> open(const Key& key, const Nonce& nonce, std::span<const uint8_t> aad,
                          std::span<const uint8_t> sealed) {
  if (sealed.size() < kTagSize) return std::nullopt;
  size_t cipherLen = sealed.size() - kTagSize;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  Bytes out(cipherLen);
  int len = 0;
  uint8_t tag[kTagSize];
  std::copy(sealed.end() - kTagSize, sealed.end(), tag);
  bool ok =
      ctx &&
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), nonce.data(), nullptr) == 1 &&
      (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                        static_cast<int>(aad.size())) == 1) &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data(), static_cast<int>(cipherLen)) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

void randomBytes(std::span<uint8_t> out) {
  RAND_bytes(out.data(), static_cast<int>(out.size()));
}

}  // namespace vesta
