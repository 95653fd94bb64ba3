#include "retry_plan.h"

#include <catch2/catch.hpp>

using vesta::Attempt;
using vesta::RetryPlan;

TEST_CASE("a failed command runs again at most N more times, passing over where it failed",
          "[retry_plan]") {
  RetryPlan plan(2);
  CHECK(plan.nextNumber() == 1);
  CHECK(plan.most() == 3);
  CHECK(plan.ended({"pi4", 1, ""}));
  CHECK(plan.avoid() == std::vector<std::string>{"pi4"});
  CHECK(plan.nextNumber() == 2);
  CHECK(plan.ended({"desk", 255, "desk went away"}));
  CHECK(plan.avoid() == std::vector<std::string>{"pi4", "desk"});
  CHECK_FALSE(plan.ended({"pi4", 1, ""}));                         // the third attempt was the last
  CHECK(plan.avoid() == std::vector<std::string>{"pi4", "desk"});  // each node once
  CHECK(plan.history() ==
        "attempt 1 on pi4: exit 1; attempt 2 on desk: exit 255 (desk went away); "
        "attempt 3 on pi4: exit 1");
}

TEST_CASE("a command that succeeds, or was never placed, is not run again", "[retry_plan]") {
  RetryPlan ok(3);
  CHECK_FALSE(ok.ended({"desk", 0, ""}));
  CHECK(ok.avoid().empty());
  CHECK(ok.history().empty());  // one attempt: nothing to tell

  RetryPlan later(3);
  CHECK(later.ended({"pi4", 2, ""}));
  CHECK_FALSE(later.ended({"desk", 0, ""}));
  CHECK(later.history() == "attempt 1 on pi4: exit 2; attempt 2 on desk: ok");

  RetryPlan nowhere(3);
  CHECK_FALSE(nowhere.ended({"", 255, "no node can run it"}));

  RetryPlan none;  // without --retries
  CHECK_FALSE(none.ended({"pi4", 1, ""}));
}
