#include <catch2/catch.hpp>

#include <vector>

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
  for (const char* field : {"cpu_offer_pct", "mem_offer_mb", "reserve_pct", "spill_cpu_pct",
                            "allow_exec", "exec_allowlist", "max_borrow_ratio", "battery_min_pct",
                            "port", "dport", "key", "name", "power"})
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
  };
  for (auto& c : cases) {
    CAPTURE(c.json);
    Config config;
    auto r = vesta::applyConfigJson(config, c.json, "node.json");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains(c.mustContain));
    CHECK(r.error().find('\n') == std::string::npos);
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
