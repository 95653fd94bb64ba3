#include <catch2/catch.hpp>

#include "bus.h"

using vesta::busCandidates;
using Buses = std::vector<std::string>;

TEST_CASE("a client tries the bus it was told, else the user bus and then the system bus",
          "[bus]") {
  CHECK(busCandidates("user", "unix:path=/x", false) == Buses{"user"});  // -bus wins
  CHECK(busCandidates("", "unix:path=/x", false) == Buses{"unix:path=/x"});
  CHECK(busCandidates("", "", true) == Buses{"system"});  // root: the system service
  // A member of group vesta reaches the system vestad with no flags and no user bus.
  CHECK(busCandidates("", nullptr, false) == Buses{"user", "system"});
  CHECK(busCandidates("", "", false) == Buses{"user", "system"});
}
