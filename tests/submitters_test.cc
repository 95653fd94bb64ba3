#include "submitters.h"

#include <catch2/catch.hpp>

#include <cstring>

using vesta::submittedBy;

TEST_CASE("a client that goes away takes exactly its own jobs", "[submitters]") {
  std::map<uint64_t, std::string> submitters{
      {1, ":1.7"}, {2, ":1.8"}, {3, ":1.7"}, {9, ":1.70"}, {12, ":1.7"}};
  CHECK(submittedBy(submitters, ":1.7") == std::vector<uint64_t>{1, 3, 12});
  CHECK(submittedBy(submitters, ":1.8") == std::vector<uint64_t>{2});
  CHECK(submittedBy(submitters, ":1.9").empty());
  CHECK(submittedBy(submitters, "").empty());
  CHECK(submittedBy({}, ":1.7").empty());
}

TEST_CASE("the disconnection match takes only names that lost their owner", "[submitters]") {
  std::string match = vesta::kClientGoneMatch;
  CHECK(match.find("member='NameOwnerChanged'") != std::string::npos);
  CHECK(match.find("sender='org.freedesktop.DBus'") != std::string::npos);
  CHECK(match.find("arg2=''") != std::string::npos);  // the new owner: none
}
