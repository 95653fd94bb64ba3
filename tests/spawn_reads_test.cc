// What a confined job may read, on real processes: nothing of what vestad hides (its state
// directory, config and key files; spawner::hideFromJobs), but its own scratch directory below
// the state directory, and everything else, including what is made after the spawner first
// looked. Without Landlock the test says so and checks nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "shell_job.h"
#include "spawner.h"

using namespace vesta;

namespace {

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// What `script` prints, confined, run in `cwd`.
std::string runIn(const std::string& cwd, const std::string& script) {
  return runShellJob(script, [&](SpawnSpec& spec) { spec.cwd = cwd; });
}

}  // namespace

TEST_CASE("a confined job reads nothing vestad hides, but its scratch and all else", "[spawn]") {
  if (!confined()) {
    WARN("no Landlock here: " + confinementSummary());
    return;
  }
  TempDir state, elsewhere;  // the state directory; a directory of the machine's
  writeFile(state.path + "/identity", "secret");
  std::filesystem::create_directories(state.path + "/scratch/job-1");
  writeFile(elsewhere.path + "/notes.txt", "open");
  std::string config = elsewhere.path + "/vestad.json";
  writeFile(config, "{\"key\": \"secret\"}");
  // A spawner of its own for this test, which takes the hidden paths with it when it starts.
  spawner::stop();
  spawner::hideFromJobs({state.path, config}, {state.path + "/scratch"});
  auto readable = [](const std::string& path) {
    return "if cat " + path + " >/dev/null 2>&1; then echo " + path + " ok; else echo " + path +
           " refused; fi;";
  };
  std::string scratch = state.path + "/scratch/job-1";
  std::string said = runIn(
      scratch, readable(state.path + "/identity") + readable(config) + "ls / " + state.path +
                   " >/dev/null 2>&1 && echo listed;" + readable(elsewhere.path + "/notes.txt") +
                   readable("/etc/passwd") + "echo mine >own.txt; " + readable("own.txt"));
  CHECK(said.find(state.path + "/identity refused") != std::string::npos);
  CHECK(said.find(config + " refused") != std::string::npos);
  CHECK(said.find("listed") != std::string::npos);  // names are not hidden, contents are
  CHECK(said.find(elsewhere.path + "/notes.txt ok") != std::string::npos);
  CHECK(said.find("/etc/passwd ok") != std::string::npos);
  CHECK(said.find("own.txt ok") != std::string::npos);
  // Links and renames from one directory of its scratch to another (git, cargo do them); ln,
  // unlike mv, does not fall back to a copy when the kernel refuses.
  said = runIn(scratch, "mkdir a b && echo x >a/f && ln a/f b/g && echo linked");
  CHECK(said.find("linked") != std::string::npos);
  // Made after the spawner built its grants, in a directory it granted entry by entry (/tmp,
  // where the state directory is): the next job reads it (the layer is built again, because
  // /tmp changed, and changed lately).
  TempDir later;
  writeFile(later.path + "/new.txt", "new");
  said = runIn(scratch, readable(later.path + "/new.txt") + readable(state.path + "/identity"));
  CHECK(said.find(later.path + "/new.txt ok") != std::string::npos);
  CHECK(said.find(state.path + "/identity refused") != std::string::npos);
  spawner::stop();
  spawner::hideFromJobs({}, {});
}
