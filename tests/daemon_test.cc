// One real vestad on a private dbus-daemon, asserted over sd-bus and by its exit status: the
// refusals of bad input with their one-line errors, the properties settings and fixtures give,
// a job's states, and the identity's file checks. What needs several nodes, vesta's output or kill
// -9 stays in tests/integration.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>

#include "daemon_fixture.h"

using daemon_test::eventually;
using daemon_test::Node;
using daemon_test::Ran;
using daemon_test::run;
using daemon_test::vestadPath;

namespace {

void writeFile(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

std::string modeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  char text[8];
  std::snprintf(text, sizeof text, "%o", st.st_mode & 07777);
  return text;
}

// vestad with `args` after the ones every refused start gets; one line of output, exit 2.
Ran refusedStart(const Node& node, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {vestadPath(), "-state-dir", node.dir() + "/state-bad", "-bus",
                                   node.busAddress()};
  argv.insert(argv.end(), args.begin(), args.end());
  // 20 s: before the fix a FIFO as key file made vestad wait forever for a writer.
  return run(argv, 20);
}

bool oneLine(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return !text.empty() && text.find('\n') == std::string::npos;
}

}  // namespace

TEST_CASE("vestad refuses a bad flag or config file with exit 2 and one line naming it",
          "[daemon]") {
  Node node("alpha");
  const std::string key = Node::key(), dir = node.dir();
  writeFile(dir + "/bad1.json", R"({"reserve_pct": 120})");
  writeFile(dir + "/bad2.json", R"({"cpu_offer_pct": "lots"})");
  writeFile(dir + "/bad3.json", R"({"nmae": "x"})");
  writeFile(dir + "/nul.json", R"({"key": "abc\u0000)" + key + R"("})");
  writeFile(dir + "/nulname.json", R"({"name": "desk\u0000evil"})");
  REQUIRE(::mkfifo((dir + "/key.fifo").c_str(), 0600) == 0);
  std::filesystem::create_directory(dir + "/open-state");
  std::filesystem::create_directory(dir + "/shared-state");
  ::chmod((dir + "/open-state").c_str(), 0777);
  ::chmod((dir + "/shared-state").c_str(), 01777);
  const std::string dport = std::to_string(node.dport());
  struct Case {
    std::string expect;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      {"-port: 99999 is out of range; expected 1..65535",
       {"-name", "x", "-key", key, "-port", "99999"}},
      {"-reserve-pct: 120 is out of range; expected 0..90",
       {"-name", "x", "-key", key, "-reserve-pct", "120"}},
      {"-name: is empty", {"-name", "", "-key", key}},
      {"name: \"a/b\" contains '/'", {"-name", "a/b", "-key", key}},
      {"unknown flag --colour", {"-name", "x", "-key", key, "--colour", "blue"}},
      {"key: missing", {"-name", "x"}},
      {"field \"reserve_pct\": 120 is out of range; expected 0..90",
       {"-name", "x", "-key", key, "-config", dir + "/bad1.json"}},
      {"field \"cpu_offer_pct\": expected a whole number 0..100, got the string \"lots\"",
       {"-name", "x", "-key", key, "-config", dir + "/bad2.json"}},
      {"unknown field \"nmae\"", {"-key", key, "-config", dir + "/bad3.json"}},
      {"-port: \"0x10\" is not a whole number", {"-name", "x", "-key", key, "-port", "0x10"}},
      {"-port: \" 80\" is not a whole number", {"-name", "x", "-key", key, "-port", " 80"}},
      {"field \"key\": contains a NUL character", {"-name", "x", "-config", dir + "/nul.json"}},
      {"field \"name\": contains a NUL character", {"-key", key, "-config", dir + "/nulname.json"}},
      {"key_file: \"" + dir + "/key.fifo\" is a FIFO; expected a regular file",
       {"-name", "x", "-key-file", dir + "/key.fifo", "-bus", node.busAddress()}},
      {"is writable by every user (mode 0777); expected a private directory: run chmod 700",
       {"-name", "x", "-key", key, "-broadcast", "127.255.255.255", "-dport", dport, "-state-dir",
        dir + "/open-state"}},
      {"is a shared directory (mode 1777, like /tmp); expected a directory of vestad's own",
       {"-name", "x", "-key", key, "-broadcast", "127.255.255.255", "-dport", dport, "-state-dir",
        dir + "/shared-state"}},
  };
  for (const auto& c : cases) {
    Ran ran = refusedStart(node, c.args);
    INFO("expected: " << c.expect << "\ngot: " << ran.output);
    CHECK(ran.status == 2);
    CHECK_THAT(ran.output, Catch::Contains(c.expect));
    CHECK(oneLine(ran.output));
  }
}

TEST_CASE("vestad -help lists the flags and --version prints the version", "[daemon]") {
  Ran help = run({vestadPath(), "-help"});
  CHECK(help.status == 0);
  CHECK_THAT(help.output, Catch::Contains("-advertise-spare MS"));
  Ran version = run({vestadPath(), "--version"});
  CHECK(version.status == 0);
  CHECK_THAT(version.output, Catch::Matches("vestad [0-9][\\s\\S]*"));
}

TEST_CASE("the Manager refuses bad arguments at call time as InvalidArgument, by name",
          "[daemon]") {
  Node node("alpha");
  const std::string invalid = "org.vesta.Vestad1.Error.InvalidArgument: ";
  // Each refusal is one line that says what to change, after the part a client can match.
  std::string error = node.callManager("SubmitCpu", "tsa{sv}", uint64_t{1}, "", 1, "warp", "b", 1);
  CHECK_THAT(error, Catch::StartsWith(invalid + "option \"warp\" is not known"));
  CHECK(oneLine(error));
  error = node.callManager("SubmitCpu", "tsa{sv}", uint64_t{1}, "", 1, "on", "s", "");
  CHECK_THAT(error, Catch::StartsWith(invalid + "option \"on\" is empty"));
  CHECK(oneLine(error));
  error = node.callManager("SubmitCpu", "tsa{sv}", uint64_t{1}, "", 2, "local", "b", 1, "local",
                           "b", 0);
  CHECK_THAT(error, Catch::StartsWith(invalid + "option \"local\" is given twice"));
  CHECK(oneLine(error));
  // Never a wrapped number: -1 is not job 18446744073709551615.
  for (const char* id : {"-1", "18446744073709551616", "99999999999999999999", " 7"}) {
    error = node.callManager("CancelJob", "s", id);
    INFO("CancelJob \"" << id << "\": " << error);
    CHECK_THAT(error, Catch::StartsWith(invalid) && Catch::Contains("is not a job number"));
    CHECK_THAT(error, !Catch::Contains("18446744073709551615 ") &&
                          !Catch::Contains("job 18446744073709551615"));
  }
}

TEST_CASE("a cpu job ends done with the known answer; a cancelled one ends cancelled, once",
          "[daemon]") {
  Node node("alpha", {"-workers", "2"});
  const std::string seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  std::string done = node.submitCpu(1, seed);
  CHECK(eventually(60, [&] { return node.jobString(done, "State") == "done"; }));
  CHECK(node.jobString(done, "Result") ==
        "0326425d10833976a29c78d9e5d2898be5852634e117b4e4e9ac0af6ad8fa408");
  CHECK(node.jobString(done, "Error").empty());

  // 200 billion iterations: it runs until it is cancelled.
  std::string cancelled = node.submitCpu(200000, "");
  CHECK(eventually(60, [&] { return node.jobString(cancelled, "State") == "running"; }));
  const std::string id = node.jobString(cancelled, "Id");
  CHECK(node.callManager("CancelJob", "s", id.c_str()).empty());
  CHECK(eventually(60, [&] { return node.jobString(cancelled, "State") == "cancelled"; }));
  CHECK_FALSE(node.jobString(cancelled, "Error").empty());
  CHECK_THAT(node.callManager("CancelJob", "s", id.c_str()), Catch::Contains("already cancelled"));
}

TEST_CASE("a config file loads and the command line overrides it", "[daemon]") {
  TempDir dir;
  writeFile(dir.path + "/good.json",
            R"({"key": ")" + Node::key() + R"(", "reserve_pct": 10, "name": "fromfile"})");
  Node node("delta", {"-config", dir.path + "/good.json", "-reserve-pct", "30"});
  CHECK(node.managerString("Name") == "delta");
  CHECK(node.stop() == 0);
}

TEST_CASE("-power grid forces grid on a discharging laptop", "[daemon]") {
  Node node("gamma", {"-sysroot", dataPath("sysroot-laptop"), "-power", "grid"});
  CHECK(node.managerString("PowerMode") == "grid");
}

TEST_CASE("the identity is private, and a readable or corrupt one stops vestad unchanged",
          "[daemon]") {
  Node node("alpha");
  const std::string idFile = node.stateDir() + "/vestad-identity-alpha.json";
  CHECK(modeOf(idFile) == "600");
  CHECK(modeOf(node.stateDir()) == "700");
  const std::string original = readText(idFile);
  REQUIRE(!original.empty());
  const std::string eps = node.dir() + "/state-eps", epsFile = eps + "/vestad-identity-eps.json";
  std::filesystem::create_directory(eps);
  writeFile(epsFile, original, 0644);
  std::vector<std::string> argv = {vestadPath(), "-name", "eps"};
  for (const auto& f : node.flagsBeside(eps)) argv.push_back(f);

  Ran readable = run(argv);
  CHECK(readable.status == 1);
  CHECK_THAT(readable.output, Catch::Contains("chmod 600"));  // the fix, in the message
  CHECK(readText(epsFile) == original);                       // and the file left as it was

  writeFile(epsFile, R"({"format":"vesta-identity-1","private_key":"00"})");
  Ran corrupt = run(argv);
  CHECK(corrupt.status == 1);
  CHECK_THAT(corrupt.output, Catch::Contains("is corrupt"));  // not replaced
}
