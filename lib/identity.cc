#include "identity.h"

#include <openssl/rand.h>

#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "atomic_file.h"
#include "hex.h"

namespace vesta {
namespace {

constexpr const char* kFormat = "vesta-identity-1";

}  // namespace

Result<Identity> Identity::generate() {
  Identity id;
  id.key_.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!id.key_) return fail("identity: OpenSSL could not generate an Ed25519 key");
  size_t len = id.public_.size();
  if (EVP_PKEY_get_raw_public_key(id.key_.get(), id.public_.data(), &len) != 1 || len != 32)
    return fail("identity: OpenSSL could not export the public key");
  return id;
}

Result<Identity> Identity::fromJson(const std::string& text, const std::string& origin) {
  auto corrupt = [&](const std::string& why) {
    return fail("identity file \"" + origin + "\" is corrupt (" + why +
                "); move it away to make a new identity (peers will see a new node)");
  };
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return corrupt("not a JSON object");
  auto str = [&](const char* field) -> std::string {
    auto it = doc.FindMember(field);
    return it != doc.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  if (str("format") != kFormat) return corrupt("format is not " + std::string(kFormat));
  auto priv = fromHex(str("private_key"));
  if (!priv || priv->size() != 32) return corrupt("private_key: expected 64 hex digits");
  auto pub = fromHex(str("public_key"));
  if (!pub || pub->size() != 32) return corrupt("public_key: expected 64 hex digits");

  Identity id;
  id.key_.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, priv->data(), priv->size()));
  OPENSSL_cleanse(priv->data(), priv->size());
  if (!id.key_) return corrupt("private_key: not an Ed25519 key");
  size_t len = id.public_.size();
  if (EVP_PKEY_get_raw_public_key(id.key_.get(), id.public_.data(), &len) != 1 || len != 32)
    return corrupt("public key cannot be derived");
  if (!std::equal(pub->begin(), pub->end(), id.public_.begin()))
    return corrupt("public_key does not belong to private_key");
  return id;
}

std::string Identity::toJson(const std::string& nodeName) const {
  std::array<uint8_t, 32> priv{};
  size_t len = priv.size();
  EVP_PKEY_get_raw_private_key(key_.get(), priv.data(), &len);
  char created[32];
  std::time_t now = std::time(nullptr);
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));

  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("format");
  w.String(kFormat);
  w.Key("name");
  w.String(nodeName.c_str());
  w.Key("fingerprint");
  w.String(fingerprint().c_str());
  w.Key("created");
  w.String(created);
  w.Key("public_key");
  w.String(toHex(public_).c_str());
  w.Key("private_key");
  std::string privHex = toHex(priv);
  w.String(privHex.c_str());
  w.EndObject();
  OPENSSL_cleanse(priv.data(), priv.size());
  OPENSSL_cleanse(privHex.data(), privHex.size());
  return std::string(out.GetString()) + "\n";
}

std::string Identity::fingerprint() const {
  return fingerprintOf(public_);
}

std::vector<uint8_t> Identity::sign(std::span<const uint8_t> message) const {
  std::vector<uint8_t> sig(64);
  size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) sig.clear();
  return sig;
}

std::string fingerprintOf(const PublicKey& key) {
  std::array<uint8_t, 32> digest{};
  unsigned len = 0;
  EVP_Digest(key.data(), key.size(), digest.data(), &len, EVP_sha256(), nullptr);
  std::string hex = toHex(std::span<const uint8_t>(digest.data(), 8));
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4) + "-" +
         hex.substr(12, 4);
}

bool verifySignature(const PublicKey& key, std::span<const uint8_t> message,
                     std::span<const uint8_t> signature) {
  if (signature.size() != 64) return false;
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = pkey && ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(),
                             message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

std::string identityPath(const std::string& stateDir, const std::string& nodeName) {
  return stateDir + "/vestad-identity-" + nodeName + ".json";
}

Result<Identity> loadOrCreateIdentity(const std::string& stateDir, const std::string& nodeName) {
  std::string path = identityPath(stateDir, nodeName);
  auto text = readPrivateFile(path, 64 * 1024);
  if (text) return Identity::fromJson(*text, path);
  if (!isMissingFileError(text.error())) return fail("identity: " + text.error());
  auto id = Identity::generate();
  if (!id) return id;
  if (auto r = writeFileAtomic(path, id->toJson(nodeName), /*replace=*/false); !r)
    return fail("identity: " + r.error());
  return id;
}

Result<std::string> resolveStateDir(const std::string& flag, const std::string& stateDirectoryEnv,
                                    const std::string& xdgStateHome, const std::string& home) {
  if (!flag.empty()) return flag;
  // systemd passes one path per StateDirectory= entry, separated by colons.
  if (!stateDirectoryEnv.empty()) return stateDirectoryEnv.substr(0, stateDirectoryEnv.find(':'));
  if (!xdgStateHome.empty()) return xdgStateHome + "/vesta";
  if (!home.empty()) return home + "/.local/state/vesta";
  return fail("state dir: none given and $HOME is unset; pass -state-dir DIR");
}

}  // namespace vesta
