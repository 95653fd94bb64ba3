#include <catch2/catch.hpp>

#include "sysstat.h"
#include "test_util.h"

TEST_CASE("CPU busy share comes from /proc/stat deltas, total and per core", "[sysstat]") {
  auto a = vesta::parseProcStat(readText(dataPath("proc-stat-a.txt")));
  auto b = vesta::parseProcStat(readText(dataPath("proc-stat-b.txt")));
  REQUIRE(a.cores.size() == 2);
  auto load = vesta::cpuLoadBetween(a, b);
  // total: busy +700 of +900 jiffies; cpu0: +550 of +550; cpu1: +150 of +350.
  CHECK(load.total == Approx(700.0 / 900.0));
  REQUIRE(load.per_core.size() == 2);
  CHECK(load.per_core[0] == Approx(1.0));
  CHECK(load.per_core[1] == Approx(150.0 / 350.0));
}

TEST_CASE("counters that go backwards or stand still read as idle, not garbage", "[sysstat]") {
  auto a = vesta::parseProcStat(readText(dataPath("proc-stat-a.txt")));
  auto b = vesta::parseProcStat(readText(dataPath("proc-stat-b.txt")));
  auto load = vesta::cpuLoadBetween(b, a);  // time runs backwards
  CHECK(load.total == 0);
  for (double c : load.per_core) CHECK(c == 0);
  CHECK(vesta::cpuLoadBetween(a, a).total == 0);
}

TEST_CASE("hostile /proc/stat text never crashes and yields sane values", "[sysstat]") {
  for (std::string text : {std::string(""), readText(dataPath("proc-stat-truncated.txt")),
                           std::string("cpu x y z w v\ncpu0 1 2\n"), std::string("\n\n\n"),
                           std::string("cpu 99999999999999999999999 0 0 0 0\n"),
                           std::string(1000, 'c'), std::string("cpu0 1 1 1 1 1\0garbage", 22)}) {
    auto s = vesta::parseProcStat(text);
    auto load = vesta::cpuLoadBetween(s, s);
    CHECK(load.total >= 0);
    CHECK(load.total <= 1);
  }
}

TEST_CASE("meminfo gives total and available, estimating on old kernels", "[sysstat]") {
  auto m = vesta::parseMeminfo(readText(dataPath("meminfo.txt")));
  CHECK(m.total_kb == 3884096);
  CHECK(m.available_kb == 2048000);
  auto old = vesta::parseMeminfo(readText(dataPath("meminfo-no-available.txt")));
  CHECK(old.available_kb == 100000 + 50000 + 250000);
  auto bad = vesta::parseMeminfo("MemTotal: 10 kB\nMemAvailable: 99 kB\n");
  CHECK(bad.available_kb == 10);  // never more than total
  CHECK(vesta::parseMeminfo("garbage").total_kb == 0);
}

TEST_CASE("power supplies are read from the fixture tree", "[sysstat]") {
  auto supplies = vesta::readPowerSupplies(dataPath("power/solar-80"));
  REQUIRE(supplies.size() == 2);
  auto state = vesta::summarizePower(supplies);
  CHECK(state.has_battery);
  CHECK(state.discharging);
  CHECK_FALSE(state.on_ac);
  CHECK(state.capacity_pct == 80);

  auto mouse = vesta::summarizePower(vesta::readPowerSupplies(dataPath("power/mouse-battery")));
  CHECK_FALSE(mouse.has_battery);  // a peripheral's battery is not the machine's
  CHECK(mouse.on_ac);

  auto garbage =
      vesta::summarizePower(vesta::readPowerSupplies(dataPath("power/garbage-capacity")));
  CHECK(garbage.has_battery);
  CHECK_FALSE(garbage.capacity_pct);

  CHECK(vesta::readPowerSupplies(dataPath("does-not-exist")).empty());
}

TEST_CASE("thermal zones and GPUs are found in a sysroot", "[sysstat]") {
  auto t = vesta::readThermal(dataPath("sysroot-laptop"));
  REQUIRE(t.max_celsius);
  CHECK(*t.max_celsius == Approx(54.0));
  CHECK(t.zone_type == "x86_pkg_temp");
  auto g = vesta::readGpus(dataPath("sysroot-laptop"));
  CHECK(g.count == 1);  // card0-HDMI-A-1 is a connector, not a GPU
  CHECK(g.drivers == std::vector<std::string>{"i915"});
  CHECK(vesta::readGpus(dataPath("does-not-exist")).count == 0);
}
