#include <catch2/catch.hpp>

#include "parts_line.h"

using vesta::api::Part;
using vesta::api::PartState;

TEST_CASE("a split's parts read as one line, a node that did nothing says so", "[format]") {
  std::vector<Part> parts = {
      {"desk", PartState::Done, 20'000'000, 11, ""},
      {"pi4", PartState::Done, 0, 0, ""},
      {"nas", PartState::Running, 1'000'000, 1, ""},
      {"laptop", PartState::Lost, 0, 0, "link down"},
      {"pi2", PartState::Failed, 2'000'000, 2, "could not map 3500 MiB (Cannot allocate memory)"},
  };
  CHECK(vesta::partsLine(parts) ==
        "desk 20 M (11 chunks); pi4 no chunks; nas 1 M (1 chunk); laptop lost: link down; "
        "pi2 2 M (2 chunks), failed: could not map 3500 MiB (Cannot allocate memory)");
}
