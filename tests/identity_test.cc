#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "atomic_file.h"
#include "identity.h"
#include "test_util.h"

TEST_CASE("the first start creates a 0600 identity that later starts load unchanged",
          "[identity]") {
  TempDir dir;
  auto first = vesta::loadOrCreateIdentity(dir.path, "desk");
  REQUIRE(first);
  std::string path = vesta::identityPath(dir.path, "desk");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto second = vesta::loadOrCreateIdentity(dir.path, "desk");
  REQUIRE(second);
  CHECK(second->publicKey() == first->publicKey());
  CHECK(second->fingerprint() == first->fingerprint());
}

TEST_CASE("fingerprints are short, grouped and differ between keys", "[identity]") {
  auto a = vesta::Identity::generate();
  auto b = vesta::Identity::generate();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->fingerprint().size() == 19);
  CHECK(a->fingerprint()[4] == '-');
  CHECK(a->fingerprint() != b->fingerprint());
}

TEST_CASE("a signature verifies only for its key and message", "[identity]") {
  auto a = vesta::Identity::generate();
  auto b = vesta::Identity::generate();
  std::vector<uint8_t> msg = {1, 2, 3};
  auto sig = a->sign(msg);
  REQUIRE(sig.size() == 64);
  CHECK(vesta::verifySignature(a->publicKey(), msg, sig));
  CHECK_FALSE(vesta::verifySignature(b->publicKey(), msg, sig));
  msg[0] ^= 1;
  CHECK_FALSE(vesta::verifySignature(a->publicKey(), msg, sig));
}

TEST_CASE("a world-readable identity is refused, not replaced", "[identity]") {
  TempDir dir;
  auto id = vesta::loadOrCreateIdentity(dir.path, "desk");
  REQUIRE(id);
  std::string path = vesta::identityPath(dir.path, "desk");
  std::string before = readText(path);
  ::chmod(path.c_str(), 0644);
  auto again = vesta::loadOrCreateIdentity(dir.path, "desk");
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error(), Catch::Contains("readable by others (mode 0644)"));
  CHECK_THAT(again.error(), Catch::Contains("chmod 600"));
  CHECK(readText(path) == before);
}

TEST_CASE("a corrupt identity is refused with the reason, and kept", "[identity]") {
  TempDir dir;
  std::string path = vesta::identityPath(dir.path, "desk");
  struct Case {
    std::string text, reason;
  };
  auto good = vesta::Identity::generate()->toJson("desk");
  std::string wrongPub = good;
  wrongPub.replace(wrongPub.find("\"public_key\":\"") + 14, 2,
                   good.substr(good.find("\"public_key\":\"") + 14, 2) == "00" ? "11" : "00");
  std::vector<Case> cases = {
      {"", "not a JSON object"},
      {"{\"format\":\"vesta-identity-1\"", "not a JSON object"},
      {"{\"format\":\"other\"}", "format is not vesta-identity-1"},
      {"{\"format\":\"vesta-identity-1\",\"private_key\":\"zz\",\"public_key\":\"00\"}",
       "private_key"},
      {wrongPub, "public_key does not belong to private_key"},
  };
  for (auto& c : cases) {
    CAPTURE(c.text);
    std::remove(path.c_str());
    REQUIRE(vesta::writeFileAtomic(path, c.text, true));
    auto id = vesta::loadOrCreateIdentity(dir.path, "desk");
    REQUIRE_FALSE(id);
    CHECK_THAT(id.error(), Catch::Contains(c.reason));
    CHECK_THAT(id.error(), Catch::Contains("move it away"));
    CHECK(readText(path) == c.text);
  }
}

TEST_CASE("the state directory follows flag, systemd, XDG, then HOME", "[identity]") {
  CHECK(*vesta::resolveStateDir("/flag", "/sd", "/xdg", "/home/u") == "/flag");
  CHECK(*vesta::resolveStateDir("", "/var/lib/vesta:/var/lib/other", "/xdg", "/home/u") ==
        "/var/lib/vesta");
  CHECK(*vesta::resolveStateDir("", "", "/xdg", "/home/u") == "/xdg/vesta");
  CHECK(*vesta::resolveStateDir("", "", "", "/home/u") == "/home/u/.local/state/vesta");
  CHECK_FALSE(vesta::resolveStateDir("", "", "", ""));
}

TEST_CASE("atomic writes never replace when asked not to", "[atomic_file]") {
  TempDir dir;
  std::string path = dir.path + "/f.json";
  REQUIRE(vesta::writeFileAtomic(path, "one", false));
  auto again = vesta::writeFileAtomic(path, "two", false);
  CHECK_FALSE(again);
  CHECK(readText(path) == "one");
  REQUIRE(vesta::writeFileAtomic(path, "three", true));
  CHECK(readText(path) == "three");
  // No temp files are left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1);
}
