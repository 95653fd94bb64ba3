#include <catch2/catch.hpp>

#include <sstream>

#include "model.h"
#include "render.h"

using namespace vesta;
using namespace vesta::top;

namespace {

// desk (this node, 2 cores), pi4 and laptop alive, nas dead; desk borrows from pi4 and lends
// to laptop.
Snapshot fixture() {
  api::NodeInfo p;
  p.name = "desk";
  p.fingerprint = "3f2a-91c0-7b1e-22d4";
  p.cores = 2;
  p.cpuPct = 62.5;
  p.cpuPctPerCore = {50.0, 75.0};
  p.memTotalMb = 8000;
  p.memAvailableMb = 6000;
  p.powerMode = "grid";
  p.batteryPct = -1;
  p.willingness = 1.0;
  p.jobsActive = 1;
  p.peers = {
      {"pi4",
       "aaaa-bbbb-cccc-dddd",
       "192.168.1.20",
       7777,
       "alive",
       4,
       97.5,
       3900,
       "grid",
       1,
       0.2,
       300,
       true,
       0.41,
       55,
       1,
       "aarch64",
       "arm64",
       64,
       "6.1.0-rpi7"},
      {"laptop",
       "1111-2222-3333-4444",
       "192.168.1.30",
       7777,
       "alive",
       2,
       10,
       1500,
       "battery",
       0.35,
       0.5,
       200,
       true,
       1.2,
       76,
       0.4,
       "x86_64",
       "amd64",
       64,
       "6.1.0"},
      {"nas",
       "9999-8888-7777-6666",
       "192.168.1.40",
       7777,
       "dead",
       2,
       0,
       100,
       "grid",
       1,
       0,
       9000,
       false,
       -1,
       -1,
       1,
       "",
       "",
       0,
       ""},
  };
  p.ledger = {{"pi4", "aaaa-bbbb-cccc-dddd", 10, 250.5, 0, 0, false, true}};
  p.flows = {
      {false, 7, JobKind::Cpu, "pi4", "aaaa-bbbb-cccc-dddd", 3, 50000000, 200000000, 4200, ""},
      {true, 3, JobKind::Cpu, "laptop", "1111-2222-3333-4444", 2, 1000, 4000, 900, ""}};
  return snapshotFrom(p);
}

std::string frame(const Snapshot& s, View v) {
  return plainText(render(s, v));
}

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("a meter is a bar of the given width with the value at its right", "[top]") {
  CHECK(meter(50, 22) == "[||||||||||     50.0%]");
  CHECK(meter(0, 12) == "[      0.0%]");
  CHECK(meter(100, 12) == "[||||100.0%]");
  CHECK(meter(250, 12) == meter(100, 12));  // clamped
  CHECK(meter(-5, 12) == meter(0, 12));
  CHECK(meter(50, 6).size() == 6);  // too narrow for the value: the bar alone
  CHECK(meter(50, 2) == "  ");
}

TEST_CASE("fit cuts and pads by columns, not bytes", "[top]") {
  CHECK(fit("desk", 6) == "desk  ");
  CHECK(fit("raspberrypi", 5) == "raspb");
  CHECK(fit("a → b", 3) == "a →");
  CHECK(columns("a → b") == 5);
}

TEST_CASE("the model merges peers, ledger and flows from the Manager's properties", "[top]") {
  Snapshot s = fixture();
  REQUIRE(s.connected);
  REQUIRE(s.nodes.size() == 4);
  CHECK(s.nodes[0].self);
  CHECK(s.nodes[0].perCorePct.size() == 2);
  CHECK(s.nodes[1].name == "pi4");
  CHECK(s.nodes[1].borrowedCoreS == 250.5);
  CHECK(s.nodes[1].cappedThere);
  CHECK(s.alive() == 3);        // nas is dead
  CHECK(s.totalCores() == 8);   // 2 + 4 + 2
  CHECK(s.jobsRunning() == 2);  // desk's own job and laptop's job running here
  REQUIRE(s.flows.size() == 2);
  CHECK(s.flows[0].progress() == Approx(0.25));
}

TEST_CASE("a frame shows the federation, one row per node, bars and the flows", "[top]") {
  View v;
  v.width = 100;
  v.height = 0;
  std::string text = frame(fixture(), v);
  CHECK_THAT(text, Catch::Contains("vestatop · desk · 3 nodes alive · 8 cores"));
  CHECK_THAT(text, Catch::Contains("2 jobs running"));
  CHECK_THAT(text, Catch::Contains("97.5%]"));  // pi4's CPU bar
  CHECK_THAT(text, Catch::Contains("25.0%]"));  // desk's memory in use: 2000 of 8000
  CHECK_THAT(text, Catch::Contains("desk → pi4"));
  CHECK_THAT(text, Catch::Contains("laptop → desk"));
  CHECK_THAT(text, Catch::Contains("job 7 cpu, 3 cores"));
  // One of each reads in the singular.
  Snapshot lone = fixture();
  lone.nodes.resize(1);
  lone.flows.clear();
  std::string one = frame(lone, v);
  CHECK_THAT(one, Catch::Contains("1 node alive · 2 cores"));
  CHECK_THAT(one, Catch::Contains("1 job running"));
  CHECK_THAT(text, Catch::Contains("-240.5 cap!"));  // we lent 10, borrowed 250.5
  CHECK_THAT(text, Catch::Contains("battery 35%"));
  auto lines = linesOf(text);
  // This node first, then the others by name.
  CHECK(lines[2].rfind("desk", 0) == 0);
  CHECK(lines[3].rfind("laptop", 0) == 0);
  CHECK(lines[5].rfind("pi4", 0) == 0);
}

TEST_CASE("sorting by CPU puts the busiest peer first, this node always on top", "[top]") {
  View v;
  v.width = 100;
  v.height = 0;
  v.sort = SortBy::Cpu;
  auto lines = linesOf(frame(fixture(), v));
  CHECK(lines[2].rfind("desk", 0) == 0);
  CHECK(lines[3].rfind("pi4", 0) == 0);
}

TEST_CASE("no line is wider than the terminal, narrow or wide", "[top]") {
  for (int width : {40, 80, 100, 132, 200}) {
    CAPTURE(width);
    View v;
    v.width = width;
    v.height = 24;
    auto lines = render(fixture(), v);
    for (const auto& line : lines) {
      size_t cols = 0;
      for (const auto& span : line) cols += columns(span.text);
      CHECK(cols <= static_cast<size_t>(std::max(width, 40)));
    }
    // 80x24: everything fits, footer on the last line.
    CHECK(static_cast<int>(lines.size()) >= 12);
    std::string last;
    for (const auto& span : lines.back()) last += span.text;
    CHECK_THAT(last, Catch::Contains("q quit"));
  }
}

TEST_CASE("a wide terminal shows this node's cores one by one", "[top]") {
  View narrow, wide;
  narrow.width = 100;
  wide.width = 140;
  narrow.height = wide.height = 0;
  CHECK(linesOf(frame(fixture(), narrow)).size() + 1 == linesOf(frame(fixture(), wide)).size());
  CHECK_THAT(frame(fixture(), wide), Catch::Contains("75.0%]"));
}

TEST_CASE("the selected row is highlighted and Enter shows its details", "[top]") {
  View v;
  v.width = 100;
  v.height = 0;
  v.selected = 3;  // desk, laptop, nas, pi4: pi4
  v.details = true;
  auto lines = render(fixture(), v);
  bool highlighted = false;
  for (const auto& line : lines)
    for (const auto& span : line)
      highlighted |= span.color == Color::Selected && span.text.rfind("pi4", 0) == 0;
  CHECK(highlighted);
  std::string text = plainText(lines);
  CHECK_THAT(text, Catch::Contains("fingerprint aaaa-bbbb-cccc-dddd"));
  CHECK_THAT(text, Catch::Contains("address 192.168.1.20:7777"));
  CHECK_THAT(text, Catch::Contains("lent 10.0 core-s, borrowed 250.5"));
  CHECK_THAT(text, Catch::Contains("aarch64 (arm64, 64-bit), kernel 6.1.0-rpi7"));
}

TEST_CASE("ASCII mode has no UTF-8 at all", "[top]") {
  View v;
  v.width = 100;
  v.height = 24;
  v.ascii = true;
  std::string text = frame(fixture(), v);
  CHECK_THAT(text, Catch::Contains("desk -> pi4"));
  for (unsigned char c : text) CHECK(c < 0x80);
}

TEST_CASE("a daemon that is away shows as disconnected with the reason", "[top]") {
  Snapshot s;
  s.error = "no vestad answers on the user bus";
  View v;
  std::string text = frame(s, v);
  CHECK_THAT(text, Catch::Contains("disconnected"));
  CHECK_THAT(text, Catch::Contains("no vestad answers on the user bus"));
}

TEST_CASE("help lists every key", "[top]") {
  View v;
  v.help = true;
  std::string text = frame(fixture(), v);
  for (const char* key : {"q ", "up/down", "Enter", "k ", "s ", "h "})
    CHECK_THAT(text, Catch::Contains(key));
}

TEST_CASE("the header says the owner's load and the lending; details say the budget and the heat",
          "[top]") {
  api::NodeInfo p;
  p.name = "desk";
  p.cores = 2;
  p.ownerCpuPct = 35;
  p.borrowedCpuPct = 40;
  p.offerCores = 1.5;
  p.lendingBudgetCores = 0.4;
  p.thermalFactor = 0.4;
  p.temperatureC = 76;
  p.willingness = 1;
  p.peers = {{"pi4",
              "aaaa-bbbb-cccc-dddd",
              "192.168.1.20",
              7777,
              "alive",
              4,
              97.5,
              3900,
              "grid",
              1,
              1.2,
              300,
              true,
              0.41,
              76,
              0.4,
              "aarch64",
              "arm64",
              64,
              "6.1.0"}};
  Snapshot s = snapshotFrom(p);
  View v;
  v.width = 132;
  v.height = 24;
  CHECK_THAT(frame(s, v), Catch::Contains("owner 35%, lending 40% of 75% offered"));
  v.details = true;
  v.selected = 0;  // desk
  CHECK_THAT(frame(s, v), Catch::Contains("budget 0.4 cores (hot 76 °C: lends 40%"));
  v.selected = 1;  // pi4
  CHECK_THAT(frame(s, v),
             Catch::Contains("spare 1.2 cores · lends 100% of its offer · hot 76 °C: lends 40%"));
}
