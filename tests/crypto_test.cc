#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "crypto.h"
#include "hex.h"
#include "test_util.h"

namespace {

rapidjson::Document kat() {
  rapidjson::Document d;
  d.Parse(readText(dataPath("crypto-kat.json")).c_str());
  return d;
}

vesta::Bytes bytesOf(const char* hex) {
  return *vesta::fromHex(hex);
}
std::span<const uint8_t> textBytes(const char* s) {
  return {reinterpret_cast<const uint8_t*>(s), std::strlen(s)};
}

}  // namespace

TEST_CASE("scrypt matches RFC 7914", "[crypto]") {
  auto d = kat();
  auto& c = d["scrypt_rfc7914"];
  vesta::ScryptParams p{c["n"].GetUint64(), c["r"].GetUint(), c["p"].GetUint()};
  auto out = vesta::scrypt(c["password"].GetString(), textBytes(c["salt"].GetString()), p, 64);
  REQUIRE(out);
  CHECK(vesta::toHex(*out) == c["result"].GetString());
}

TEST_CASE("HKDF-SHA256 matches RFC 5869 case 1", "[crypto]") {
  auto d = kat();
  auto& c = d["hkdf_rfc5869_case1"];
  auto out = vesta::hkdfSha256(bytesOf(c["ikm"].GetString()), bytesOf(c["salt"].GetString()),
                               bytesOf(c["info"].GetString()), 42);
  REQUIRE(out);
  CHECK(vesta::toHex(*out) == c["result"].GetString());
}

TEST_CASE("the root key and its subkeys match values computed outside the project", "[crypto]") {
  auto d = kat();
  auto& c = d["root_key"];
  CHECK(std::string(c["salt"].GetString()) == vesta::kRootKeySalt);
  auto root = vesta::deriveRootKey(c["secret"].GetString());
  REQUIRE(root);
  CHECK(vesta::toHex(*root) == c["result"].GetString());
  CHECK(vesta::toHex(vesta::deriveSubkey(*root, vesta::kBeaconLabel)) ==
        d["subkeys"]["beacon"].GetString());
  CHECK(vesta::toHex(vesta::deriveSubkey(*root, vesta::kLinkLabel)) ==
        d["subkeys"]["link"].GetString());
}

TEST_CASE("AES-256-GCM seals to the known answer and opens it again", "[crypto]") {
  auto d = kat();
  auto& c = d["aes256gcm"];
  vesta::Key key{};
  vesta::Nonce nonce{};
  auto k = bytesOf(c["key"].GetString());
  auto n = bytesOf(c["nonce"].GetString());
  std::copy(k.begin(), k.end(), key.begin());
  std::copy(n.begin(), n.end(), nonce.begin());
  auto aad = bytesOf(c["aad"].GetString());
  auto pt = bytesOf(c["plaintext"].GetString());
  auto sealed = vesta::seal(key, nonce, aad, pt);
  CHECK(vesta::toHex(sealed) == c["sealed"].GetString());
  auto opened = vesta::open(key, nonce, aad, sealed);
  REQUIRE(opened);
  CHECK(*opened == pt);
}

TEST_CASE("AES-256-GCM refuses every tampering", "[crypto]") {
  vesta::Key key{}, other{};
  vesta::Nonce nonce{};
  vesta::randomBytes(key);
  vesta::randomBytes(other);
  vesta::randomBytes(nonce);
  vesta::Bytes aad = {'v', 's', 't', 1};
  vesta::Bytes pt(100, 0x42);
  auto sealed = vesta::seal(key, nonce, aad, pt);
  REQUIRE(sealed.size() == pt.size() + vesta::kTagSize);
  CHECK_FALSE(vesta::open(other, nonce, aad, sealed));
  auto badNonce = nonce;
  badNonce[0] ^= 1;
  CHECK_FALSE(vesta::open(key, badNonce, aad, sealed));
  auto badAad = aad;
  badAad[3] = 2;  // a flipped header (version) byte
  CHECK_FALSE(vesta::open(key, nonce, badAad, sealed));
  for (size_t i : {size_t{0}, size_t{50}, sealed.size() - 1}) {  // ciphertext and tag bits
    auto flipped = sealed;
    flipped[i] ^= 0x80;
    CHECK_FALSE(vesta::open(key, nonce, aad, flipped));
  }
  for (size_t len : {size_t{0}, size_t{15}, size_t{16}, sealed.size() - 1})
    CHECK_FALSE(vesta::open(key, nonce, aad, std::span(sealed).first(len)));
  CHECK(vesta::open(key, nonce, aad, sealed));
}

TEST_CASE("different secrets give different root keys", "[crypto]") {
  vesta::ScryptParams fast{1024, 8, 1};
  auto a = vesta::deriveRootKey("secret one", fast);
  auto b = vesta::deriveRootKey("secret two", fast);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a != *b);
  CHECK(vesta::deriveSubkey(*a, vesta::kBeaconLabel) != vesta::deriveSubkey(*a, vesta::kLinkLabel));
}
