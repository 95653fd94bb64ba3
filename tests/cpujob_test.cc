#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "cpujob.h"
#include "hex.h"
#include "test_util.h"

TEST_CASE("the cpu job matches the known answers computed outside the project", "[cpujob]") {
  rapidjson::Document kat;
  kat.Parse(readText(dataPath("cpu-job.json")).c_str());
  REQUIRE(kat.IsObject());
  REQUIRE(kat["cases"].Size() >= 5);
  for (auto& c : kat["cases"].GetArray()) {
    auto seed = vesta::parseSeed(c["seed"].GetString());
    REQUIRE(seed);
    uint64_t first = c["first"].GetUint64(), end = c["end"].GetUint64();
    CAPTURE(c["seed"].GetString(), first, end);
    auto result = vesta::hashRange(*seed, first, end);
    REQUIRE(result);
    CHECK(vesta::toHex(*result) == c["result"].GetString());
  }
}

TEST_CASE("any split of the range merges to the single-run result", "[cpujob]") {
  auto seed = *vesta::parseSeed(std::string(64, 'a'));
  auto whole = *vesta::hashRange(seed, 0, 100000);
  for (uint64_t cut : {0ull, 1ull, 4097ull, 50000ull, 99999ull, 100000ull}) {
    CAPTURE(cut);
    auto merged = *vesta::hashRange(seed, 0, cut);
    vesta::xorInto(merged, *vesta::hashRange(seed, cut, 100000));
    CHECK(merged == whole);
  }
}

TEST_CASE("an empty range is 32 zero bytes", "[cpujob]") {
  auto seed = vesta::randomSeed();
  CHECK(*vesta::hashRange(seed, 7, 7) == vesta::Digest{});
}

TEST_CASE("progress counts every iteration and cancel stops early", "[cpujob]") {
  auto seed = vesta::randomSeed();
  std::atomic<uint64_t> progress{0};
  REQUIRE(vesta::hashRange(seed, 10, 100010, &progress));
  CHECK(progress == 100000);
  std::atomic<bool> cancel{true};
  progress = 0;
  CHECK_FALSE(vesta::hashRange(seed, 0, 1000000, &progress, &cancel));
  CHECK(progress < 1000000);
}

TEST_CASE("seeds must be exactly 64 hex digits", "[cpujob]") {
  CHECK(vesta::parseSeed(std::string(64, 'F')));
  CHECK_FALSE(vesta::parseSeed(std::string(62, '0')));
  CHECK_FALSE(vesta::parseSeed(std::string(66, '0')));
  CHECK_FALSE(vesta::parseSeed(std::string(63, '0') + "g"));
  CHECK(vesta::randomSeed() != vesta::randomSeed());
}
