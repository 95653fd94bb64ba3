// The exec lifecycles' legal transitions, every pair of states checked against one table, and
// the part states' names as the D-Bus API carries them.
#include <catch2/catch.hpp>

#include <set>
#include <utility>

#include "exec_state.h"
#include "part_state.h"

using namespace vesta;

namespace {

// Every (from, to) pair of `all` moves exactly when it is in `legal`.
template <typename State>
void checkTable(std::initializer_list<State> all, std::set<std::pair<State, State>> legal) {
  for (State from : all)
    for (State to : all) {
      INFO("from " << static_cast<int>(from) << " to " << static_cast<int>(to));
      CHECK(canMove(from, to) == (legal.count({from, to}) == 1));
    }
}

}  // namespace

TEST_CASE("a runner's command moves forward only, and nothing leaves its end", "[exec_state]") {
  using S = ExecRunState;
  checkTable({S::Receiving, S::Copying, S::Running, S::Exited, S::Ended},
             {{S::Receiving, S::Copying},
              {S::Receiving, S::Running},
              {S::Receiving, S::Ended},
              {S::Copying, S::Running},
              {S::Copying, S::Ended},
              {S::Running, S::Exited},
              {S::Running, S::Ended},
              {S::Exited, S::Ended}});
}

TEST_CASE(
    "a released command stays released; a timed out one or one stopped for the owner may still "
    "be released",
    "[exec_state]") {
  using S = ExecStop;
  checkTable({S::None, S::TimedOut, S::ForOwner, S::Released}, {{S::None, S::TimedOut},
                                                                {S::None, S::ForOwner},
                                                                {S::None, S::Released},
                                                                {S::TimedOut, S::Released},
                                                                {S::ForOwner, S::Released}});
}

TEST_CASE("a client's run goes back to the queue only from an unanswered offer", "[exec_state]") {
  using S = ExecClientState;
  checkTable({S::Queued, S::Offered, S::Running, S::Ended}, {{S::Queued, S::Offered},
                                                             {S::Queued, S::Ended},
                                                             {S::Offered, S::Queued},
                                                             {S::Offered, S::Running},
                                                             {S::Offered, S::Ended},
                                                             {S::Running, S::Ended}});
}

TEST_CASE("part states travel by name and back", "[part_state]") {
  for (PartState s : {PartState::Offered, PartState::Running, PartState::Done, PartState::Refused,
                      PartState::Lost, PartState::Released, PartState::Failed})
    CHECK(parsePartState(partStateName(s)) == s);
  CHECK(std::string(partStateName(PartState::Offered)) == "offered");
  CHECK(std::string(partStateName(PartState::Released)) == "released");
  CHECK_FALSE(parsePartState("Running"));
  CHECK_FALSE(parsePartState(""));
}

TEST_CASE("moveState moves only where the table allows, and leaves the state otherwise",
          "[exec_state]") {
  ExecRunState s = ExecRunState::Receiving;
  CHECK(moveState(s, ExecRunState::Running));
  CHECK(s == ExecRunState::Running);
  CHECK_FALSE(moveState(s, ExecRunState::Copying));
  CHECK(s == ExecRunState::Running);
  CHECK(moveState(s, ExecRunState::Ended));
  CHECK_FALSE(moveState(s, ExecRunState::Ended));  // an end happens once
  CHECK(s == ExecRunState::Ended);
}
