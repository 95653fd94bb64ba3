#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <vector>

#include "atomic_file.h"
#include "config.h"
#include "test_util.h"

using vesta::Config;

namespace {

// Runs parseCommandLine + validateConfig like vestad does.
vesta::Result<Config> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "vestad");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto inv = vesta::parseCommandLine(static_cast<int>(argv.size()), argv.data());
  if (!inv) return vesta::fail(inv.error());
  Config c = inv->config;
  if (auto r = vesta::validateConfig(c, "testhost.example.org"); !r) return vesta::fail(r.error());
  return c;
}

}  // namespace

TEST_CASE("defaults match the seed's documented values", "[config]") {
  auto c = parse({"-key", "0123456789abcdef"});
  REQUIRE(c);
  CHECK(c->port == 7777);
  CHECK(c->dport == 7778);
  CHECK(c->cpu_offer_pct == 75);
  CHECK(c->mem_offer_mb == 1024);
  CHECK(c->reserve_pct == 20);
  CHECK(c->spill_cpu_pct == 80);
  CHECK_FALSE(c->allow_exec);
  CHECK(c->exec_allowlist.empty());
  CHECK(c->max_borrow_ratio == 5);
  CHECK(c->battery_min_pct == 15);
  CHECK(c->advertise_spare_ms == 1000);
  CHECK(c->power == "auto");
  CHECK(c->in_use_offer_pct == 100);  // BOINC's default: keep lending, idle priority protects
  CHECK(c->idle_after_s == 180);
  CHECK(c->thermal_soft_c == 70);
  CHECK(c->thermal_hard_c == 80);
  CHECK(c->resume_after_s == 10);
  CHECK(c->max_pause_s == 600);  // HTCondor's MaxSuspendTime
  CHECK(c->name == "testhost");  // from the host name, up to its first dot
}

TEST_CASE("flags are accepted with one or two dashes and with =", "[config]") {
  auto c = parse({"--name", "desk", "-key=s3cretsecretsecret", "--port=7000", "-allow-exec",
                  "-seed", "10.0.0.2:7778", "--seed", "pi.lan:7778"});
  REQUIRE(c);
  CHECK(c->name == "desk");
  CHECK(c->key == "s3cretsecretsecret");
  CHECK(c->port == 7000);
  CHECK(c->allow_exec);
  CHECK(c->seed == std::vector<std::string>{"10.0.0.2:7778", "pi.lan:7778"});
}

TEST_CASE("bad values name the field, the value and what is allowed", "[config]") {
  struct Case {
    std::vector<std::string> args;
    std::string mustContain;
  };
  std::vector<Case> cases = {
      {{"-key", "k", "-port", "99999"}, "-port: 99999 is out of range; expected 1..65535"},
      {{"-key", "k", "-reserve-pct", "120"}, "-reserve-pct: 120 is out of range; expected 0..90"},
      {{"-key", "k", "-name", ""}, "name: is empty"},
      {{"-key", "k", "-name", "a/b"}, "name: \"a/b\" contains '/'"},
      {{"-key", "k", "-port", "12x"}, "-port: \"12x\" is not a whole number"},
      {{"-key", "k", "-port"}, "-port: missing value"},
      {{"-key", "k", "-frobnicate"}, "unknown flag -frobnicate"},
      {{"-key", "k", "-power", "nuclear"}, "power: \"nuclear\" is not a power mode"},
      {{"-key", "k", "-seed", "nohost"}, "seed: \"nohost\""},
      {{"-key", "k", "-broadcast", "255.255.255.300"}, "broadcast: \"255.255.255.300\""},
      {{"-key", "k", "-bus", "session"}, "bus: \"session\" is not a bus"},
      {{"-key", "k", "-allow-exec=maybe"}, "-allow-exec: \"maybe\" is not a switch value"},
      {{"-name", "desk"}, "key: missing"},
      {{"-key", "change-me-to-a-long-random-secret"},
       "key: \"change-me-to-a-long-random-secret\" is the example's placeholder"},
      {{"-key", "k", "-key-file", "/x"}, "key: both"},
      {{"stray"}, "unexpected argument \"stray\""},
      {{"-key", "k", "-thermal-soft-c", "85"},
       "thermal_hard_c: 80 must be above thermal_soft_c (85)"},
      {{"-key", "k", "-max-pause", "0"}, "-max-pause: 0 is out of range; expected 1..604800"},
  };
  for (auto& c : cases) {
    CAPTURE(c.args);
    auto r = parse(c.args);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains(c.mustContain));
    CHECK(r.error().find('\n') == std::string::npos);
  }
}

TEST_CASE("the config file is applied and flags override it", "[config]") {
  TempDir dir;
  std::string path = dir.path + "/node.json";
  std::ofstream(path) << R"({
    // comments are allowed, so config.example.json can explain each field
    "name": "pi4", "key": "filekeyfilekeyfilekey", "cpu_offer_pct": 50,
    "exec_allowlist": ["make", "ffmpeg"], "max_borrow_ratio": 2.5,
  })";
  auto c = parse({"-config", path, "-cpu-offer-pct", "60"});
  REQUIRE(c);
  CHECK(c->name == "pi4");
  CHECK(c->cpu_offer_pct == 60);
  CHECK(c->exec_allowlist == std::vector<std::string>{"make", "ffmpeg"});
  CHECK(c->max_borrow_ratio == 2.5);
  CHECK(c->config == path);
}

TEST_CASE("config.example.json loads and holds every field", "[config]") {
  Config c;
  std::string text = readText(dataPath("../../config.example.json"));
  REQUIRE_FALSE(text.empty());
  REQUIRE(vesta::applyConfigJson(c, text, "config.example.json"));
  for (const char* field :
       {"cpu_offer_pct", "mem_offer_mb", "reserve_pct", "spill_cpu_pct", "allow_exec",
        "exec_allowlist", "max_borrow_ratio", "battery_min_pct", "port", "dport", "key", "name",
        "power", "in_use_offer_pct", "idle_after_s", "thermal_soft_c", "thermal_hard_c",
        "resume_after_s", "max_pause_s"})
    CHECK_THAT(text, Catch::Contains(std::string("\"") + field + "\""));
}

TEST_CASE("config.example.json left as it is does not start a node: its key is published",
          "[config]") {
  Config c;
  REQUIRE(vesta::applyConfigJson(c, readText(dataPath("../../config.example.json")),
                                 "config.example.json"));
  auto r = vesta::validateConfig(c, "desk");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("openssl rand -base64 32"));
  c.key = "a-secret-of-our-own-that-is-long";
  CHECK(vesta::validateConfig(c, "desk"));
}

TEST_CASE("bad config files give one line naming the file and the field", "[config]") {
  struct Case {
    std::string json, mustContain;
  };
  std::vector<Case> cases = {
      {R"({"reserve_pct": 120})", "field \"reserve_pct\": 120 is out of range; expected 0..90"},
      {R"({"reserve_pct": "20"})",
       "field \"reserve_pct\": expected a whole number 0..90, got the string \"20\""},
      {R"({"reserve_pct": 20.5})", "expected a whole number"},
      {R"({"allow_exec": 1})", "field \"allow_exec\": expected true or false, got a number"},
      {R"({"exec_allowlist": ["ok", 3]})", "expected a list of strings"},
      {R"({"colour": "blue"})", "unknown field \"colour\""},
      {R"({"port": -1})", "field \"port\": -1 is out of range"},
      {R"([1, 2])", "expected a JSON object"},
      {"{\n  \"port\": 7777\n  \"dport\": 1\n}", "node.json: line 3 column 3"},
      {"", "node.json: line 1 column 1"},
      // A NUL inside a string is refused, not taken as its end.
      {R"({"key": "abc\u0000defdefdefdefdef"})", "field \"key\": contains a NUL character"},
      {R"({"name": "desk\u0000evil"})", "field \"name\": contains a NUL character"},
      {R"({"exec_allowlist": ["make\u0000rm"]})", "field \"exec_allowlist\": contains a NUL"},
      {R"({"name\u0000x": "desk"})", "a field name contains a NUL character"},
  };
  for (auto& c : cases) {
    CAPTURE(c.json);
    Config config;
    auto r = vesta::applyConfigJson(config, c.json, "node.json");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains(c.mustContain));
    CHECK_THAT(r.error(), Catch::Contains("node.json"));
    CHECK(r.error().find('\n') == std::string::npos);
    CHECK(r.error().find('\0') == std::string::npos);
  }
}

TEST_CASE("a missing config file is a clear error", "[config]") {
  auto r = parse({"-config", "/nonexistent/vestad.json", "-key", "k"});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("cannot open \"/nonexistent/vestad.json\""));
}

TEST_CASE("node names allow letters, digits, _ and - only", "[config]") {
  CHECK(vesta::checkNodeName("pi4"));
  CHECK(vesta::checkNodeName("desk_2-b"));
  CHECK_FALSE(vesta::checkNodeName(""));
  CHECK_FALSE(vesta::checkNodeName("a.b"));
  CHECK_FALSE(vesta::checkNodeName("caf\xc3\xa9"));
  CHECK_FALSE(vesta::checkNodeName(std::string(33, 'a')));
  CHECK(vesta::checkNodeName(std::string(32, 'a')));
}

TEST_CASE("help lists every flag", "[config]") {
  std::string help = vesta::configHelp();
  for (const char* flag :
       {"-name", "-key", "-port", "-dport", "-allow-exec", "-power", "-seed", "-advertise-spare",
        "-config", "-bus", "-state-dir", "-sysroot", "-broadcast"})
    CHECK_THAT(help, Catch::Contains(std::string("  ") + flag));
}

TEST_CASE("numbers are plain decimal: no hex, no sign, no spaces", "[config]") {
  for (const char* bad : {"0x10", " 80", "80 ", "+80", "-0", "0x1p4", "1e2", "inf", "\t80"}) {
    CAPTURE(bad);
    auto r = parse({"-key", "k", "-port", bad});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains("-port: \"" + std::string(bad) + "\" is not a whole"));
  }
  for (const char* bad : {"0x2", " 2.5", "+2", "2.", ".5", "1e1"}) {
    CAPTURE(bad);
    auto r = parse({"-key", "k", "-max-borrow-ratio", bad});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains("is not a number"));
  }
  auto c = parse({"-key", "k", "-port", "0080", "-max-borrow-ratio", "2.5"});
  REQUIRE(c);
  CHECK(c->port == 80);
  CHECK(c->max_borrow_ratio == 2.5);
  auto seed = parse({"-key", "k", "-seed", "10.0.0.2:0x1e62"});
  REQUIRE_FALSE(seed);
  CHECK_THAT(seed.error(), Catch::Contains("has a bad port"));
}

TEST_CASE("a key file must be a regular file; a FIFO is refused at once", "[config]") {
  TempDir dir;
  std::string fifo = dir.path + "/key";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Before the fix this open() blocked forever, waiting for a writer.
  auto r = vesta::readPrivateFile(fifo, 4096);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("is a FIFO"));
  CHECK_THAT(r.error(), Catch::Contains("expected a regular file"));
  REQUIRE_FALSE(vesta::readPrivateFile("/dev/null", 4096));
  std::string plain = dir.path + "/plain";
  std::ofstream(plain) << "secret\n";
  ::chmod(plain.c_str(), 0600);
  auto ok = vesta::readPrivateFile(plain, 4096);
  REQUIRE(ok);
  CHECK(*ok == "secret\n");
}

TEST_CASE("a state dir anyone can write to is refused, with how to fix it", "[config]") {
  TempDir dir;
  std::string open = dir.path + "/open";
  REQUIRE(::mkdir(open.c_str(), 0700) == 0);
  ::chmod(open.c_str(), 0777);
  auto r = vesta::makePrivateDirs(open);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error(), Catch::Contains("\"" + open + "\" is writable by every user (mode 0777)"));
  CHECK_THAT(r.error(), Catch::Contains("chmod 700"));
  CHECK(r.error().find('\n') == std::string::npos);

  std::string shared = dir.path + "/shared";
  REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
  ::chmod(shared.c_str(), 01777);  // like /tmp, or a tmpfs root
  auto s = vesta::makePrivateDirs(shared);
  REQUIRE_FALSE(s);
  CHECK_THAT(s.error(), Catch::Contains("shared directory (mode 1777"));
  CHECK_THAT(s.error(), Catch::Contains("-state-dir " + shared + "/vesta"));

  // A private directory below a shared one is what vestad makes itself, and is fine.
  CHECK(vesta::makePrivateDirs(shared + "/vesta"));
  CHECK(vesta::makePrivateDirs(dir.path + "/new/deeper"));
}
