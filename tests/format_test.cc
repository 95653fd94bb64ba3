#include <catch2/catch.hpp>

#include "format.h"
#include "plural.h"

TEST_CASE("durations read naturally at every scale", "[format]") {
  CHECK(vesta::formatDuration(0) == "0 ms");
  CHECK(vesta::formatDuration(999) == "999 ms");
  CHECK(vesta::formatDuration(8712) == "8.71 s");
  CHECK(vesta::formatDuration(125000) == "2 min 05 s");
  CHECK(vesta::formatDuration(3720000) == "1 h 02 min");
}

TEST_CASE("counts and sizes use SI and binary prefixes", "[format]") {
  CHECK(vesta::formatCount(950) == "950");
  CHECK(vesta::formatCount(12345) == "12.3 k");
  CHECK(vesta::formatCount(22960000) == "22.96 M");
  CHECK(vesta::formatCount(200000000) == "200 M");
  CHECK(vesta::formatCount(1.2e9) == "1.20 G");
  CHECK(vesta::formatMiB(512) == "512 MiB");
  CHECK(vesta::formatMiB(23757) == "23.2 GiB");
}

TEST_CASE("progress bars clamp and fill proportionally", "[format]") {
  CHECK(vesta::progressBar(0, 4) == "[....]");
  CHECK(vesta::progressBar(0.5, 4) == "[##..]");
  CHECK(vesta::progressBar(2, 4) == "[####]");
  CHECK(vesta::progressBar(-1, 4) == "[....]");
}

TEST_CASE("counts take the singular for one and the plural otherwise", "[format]") {
  CHECK(vesta::countOf(1, "node") == "1 node");
  CHECK(vesta::countOf(0, "job") == "0 jobs");
  CHECK(vesta::countOf(3, "core") == "3 cores");
  CHECK(vesta::countOf(1, "chunk") == "1 chunk");
}
