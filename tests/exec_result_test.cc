#include "exec_result.h"

#include <catch2/catch.hpp>

using vesta::ExecOutcome;
using vesta::execResultText;
using vesta::parseExecResult;

TEST_CASE("an exec job's Result says how its command ended", "[exec_result]") {
  CHECK(execResultText({0, 0}) == "exit 0");
  CHECK(execResultText({3, 0}) == "exit 3");
  CHECK(execResultText({137, 9}) == "signal 9");
  CHECK(execResultText({124, 0}) == "exit 124");  // a timeout is told as timeout(1) tells it
}

TEST_CASE("a client reads the exit status and the signal back from the Result", "[exec_result]") {
  auto exited = parseExecResult("exit 3");
  REQUIRE(exited);
  CHECK(exited->exitStatus == 3);
  CHECK(exited->signal == 0);
  auto killed = parseExecResult("signal 15");
  REQUIRE(killed);
  CHECK(killed->exitStatus == 143);
  CHECK(killed->signal == 15);
  // Each text round-trips.
  for (ExecOutcome o : {ExecOutcome{0, 0}, ExecOutcome{255, 0}, ExecOutcome{137, 9}}) {
    auto back = parseExecResult(execResultText(o));
    REQUIRE(back);
    CHECK(back->exitStatus == o.exitStatus);
    CHECK(back->signal == o.signal);
  }
}

TEST_CASE("any other Result is not an exec outcome", "[exec_result]") {
  for (const char* text : {"", "exit", "exit ", "exit x", "exit 3 ", "exit -1", "exit 256",
                           "signal 0", "signal", "sha256 ab12", "Exit 3"})
    CHECK_FALSE(parseExecResult(text));
}
