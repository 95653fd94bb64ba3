// A GPU job's device nodes under Landlock, on a real confined process: a device the job was
// handed (SpawnSpec::devices) may be opened for writing, any other stays refused. /dev/zero
// stands in for a GPU's render node: this machine may have none, and the rule is the same.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "shell_job.h"

using namespace vesta;

namespace {

// What `sh -c script` prints, confined, with `devices` handed to it.
std::string runConfined(const std::string& script, const std::vector<std::string>& devices) {
  return runShellJob(script, [&](SpawnSpec& spec) { spec.devices = devices; });
}

}  // namespace

TEST_CASE("a job may write to the device nodes it was handed, and to no others", "[spawn]") {
  if (!confined()) {
    WARN("no Landlock here: " + confinementSummary());
    return;
  }
  const std::string script =
      "if (echo x >/dev/zero) 2>/dev/null; then echo zero-ok; else echo zero-refused; fi;"
      "if (echo x >/dev/null) 2>/dev/null; then echo null-ok; else echo null-refused; fi";
  std::string plain = runConfined(script, {});
  CHECK(plain.find("zero-refused") != std::string::npos);
  CHECK(plain.find("null-ok") != std::string::npos);  // the one device every job may write
  std::string handed = runConfined(script, {"/dev/zero"});
  CHECK(handed.find("zero-ok") != std::string::npos);
  CHECK(handed.find("null-ok") != std::string::npos);
}
