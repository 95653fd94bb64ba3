#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "api.h"
#include "unique_fd.h"

using namespace vesta;
using namespace vesta::api;

namespace {

// A bus object that can build messages without a daemon: sd-bus creates messages on any bus
// that has been started, and a socketpair is enough to start one (nothing is ever sent).
struct MessageBus {
  sd_bus* bus = nullptr;
  UniqueFd peer;  // the other end, never read
  MessageBus() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    peer.reset(fds[1]);
    REQUIRE(sd_bus_new(&bus) >= 0);
    REQUIRE(sd_bus_set_fd(bus, fds[0], fds[0]) >= 0);  // the bus closes it
    REQUIRE(sd_bus_start(bus) >= 0);
  }
  ~MessageBus() { sd_bus_close_unref(bus); }
};

struct Message {
  sd_bus_message* m = nullptr;
  explicit Message(sd_bus* bus) {
    REQUIRE(sd_bus_message_new_signal(bus, &m, "/org/vesta/Test", "org.vesta.Test", "Row") >= 0);
  }
  ~Message() { sd_bus_message_unref(m); }
  // Seals what was written and goes back to its start, as a receiver would read it.
  void rewind() {
    REQUIRE(sd_bus_message_seal(m, 1, 0) >= 0);
    REQUIRE(sd_bus_message_rewind(m, true) >= 0);
  }
};

template <typename Row>
Row roundTrip(const Row& row) {
  MessageBus bus;
  Message msg(bus.bus);
  REQUIRE(write(msg.m, row) >= 0);
  msg.rewind();
  Row back;
  auto ok = read(msg.m, back);
  INFO((ok ? "" : ok.error()));
  REQUIRE(ok);
  return back;
}

template <typename Row>
std::vector<Row> arrayRoundTrip(const std::vector<Row>& rows) {
  MessageBus bus;
  Message msg(bus.bus);
  REQUIRE(writeArray(msg.m, rows) >= 0);
  msg.rewind();
  std::vector<Row> back;
  auto ok = readArray(msg.m, back);
  INFO((ok ? "" : ok.error()));
  REQUIRE(ok);
  return back;
}

Peer samplePeer() {
  return {"pi4",
          "aaaa-bbbb-cccc-dddd",
          "192.168.1.20",
          7777,
          "alive",
          4,
          97.5,
          3900,
          "grid",
          1,
          0.25,
          300,
          true,
          0.41,
          76.4,
          0.36,
          "armv7l",
          "armhf",
          32,
          "6.1.0-rpi7"};
}
Flow sampleFlow() {
  return {true,
          7,
          JobKind::Exec,
          "laptop",
          "1111-2222-3333-4444",
          1,
          0,
          0,
          4200,
          "the owner needs the cores (owner 2.0 cores, lending 0.0 of 1.5 offered)"};
}
LedgerRow sampleLedger() {
  return {"pi4", "aaaa-bbbb-cccc-dddd", 10, 250.5, 1.5, 2.5, false, true};
}
Part samplePart() {
  return {"pi4", PartState::Refused, 120, 3, "pi4 lends nothing now (battery 10%)"};
}
Refusal sampleRefusal() {
  return {RefuseCode::Capped, "pi4", "pi4: desk borrowed 5 x what it lent"};
}

}  // namespace

TEST_CASE("every row written into a D-Bus message reads back equal", "[api]") {
  CHECK(roundTrip(samplePeer()) == samplePeer());
  CHECK(roundTrip(sampleFlow()) == sampleFlow());
  CHECK(roundTrip(sampleLedger()) == sampleLedger());
  JobRow job{"12",       JobKind::Exec, JobState::Cancelled,
             "desk+pi4", 0.5,           "/org/vesta/Vestad1/job/12"};
  CHECK(roundTrip(job) == job);
  CHECK(roundTrip(samplePart()) == samplePart());
  CHECK(roundTrip(sampleRefusal()) == sampleRefusal());
  std::vector<Peer> none;
  CHECK(arrayRoundTrip(none).empty());
  std::vector<Flow> flows{sampleFlow(), Flow{}};
  CHECK(arrayRoundTrip(flows) == flows);
}

TEST_CASE("every enum value travels as its name and back", "[api]") {
  for (auto s : {PartState::Offered, PartState::Running, PartState::Done, PartState::Refused,
                 PartState::Lost, PartState::Released, PartState::Failed}) {
    CHECK(parsePartState(partStateName(s)) == s);
    Part p{"n", s, 0, 0, ""};
    CHECK(roundTrip(p).state == s);
  }
  for (auto c : {RefuseCode::Other, RefuseCode::Busy, RefuseCode::Power, RefuseCode::Memory,
                 RefuseCode::Capped}) {
    Refusal f{c, "n", "t"};
    CHECK(roundTrip(f).code == c);
  }
  CHECK(std::string(partStateName(PartState::Released)) == "released");
  CHECK(std::string(refuseCodeName(RefuseCode::Memory)) == "memory");
  CHECK_FALSE(parsePartState("finished"));
  CHECK_FALSE(parseRefuseCode(""));
}

TEST_CASE("the Manager's and a job's properties read back equal", "[api]") {
  NodeInfo node;
  node.name = "desk";
  node.fingerprint = "3f2a-91c0-7b1e-22d4";
  node.allowExec = true;
  node.cores = 2;
  node.cpuPct = 62.5;
  node.cpuPctPerCore = {50, 75};
  node.memTotalMb = 8000;
  node.batteryPct = 42;
  node.temperatureC = -1;
  node.dropped = {{"bad_key", 3}, {"replay", 0}};
  node.flows = {sampleFlow()};
  node.ledger = {sampleLedger()};
  node.peers = {samplePeer(), samplePeer()};
  node.goodwillCoreSeconds = 3600;
  node.ownerCpuPct = 35;
  node.borrowedCpuPct = 40.5;
  node.offerCores = 1.5;
  node.lendingBudgetCores = 0.6;
  node.thermalFactor = 0.4;
  node.userPresence = "active";
  node.budgetSummary = "owner 0.7 cores, lending 0.6 of 1.5 offered; hot 76 °C: lends 40%";
  CHECK(roundTrip(node) == node);

  JobInfo job;
  job.id = "3";
  job.kind = JobKind::Cpu;
  job.state = JobState::Failed;
  job.exitStatus = 137;
  job.iterations = 200'000'000;
  job.parts = {samplePart()};
  job.refusals = {sampleRefusal()};
  CHECK(roundTrip(job) == job);
}

TEST_CASE("one property is written alone, as a vtable getter does", "[api]") {
  MessageBus bus;
  Message msg(bus.bus);
  NodeInfo node;
  node.peers = {samplePeer()};
  REQUIRE(writeProperty(msg.m, node, "Peers") >= 0);
  CHECK(writeProperty(msg.m, node, "NoSuchProperty") == -ENOENT);
  msg.rewind();
  std::vector<Peer> back;
  REQUIRE(readArray(msg.m, back));
  CHECK(back == node.peers);
}

TEST_CASE("a reader given another signature fails and names both", "[api]") {
  MessageBus bus;
  Message msg(bus.bus);
  REQUIRE(sd_bus_message_append(msg.m, "(ss)", "a", "b") >= 0);
  REQUIRE(sd_bus_message_append(msg.m, "a(ss)", 0) >= 0);
  msg.rewind();
  Peer peer;
  auto ok = read(msg.m, peer);
  REQUIRE_FALSE(ok);
  CHECK(ok.error() == "expected a row (sssqsudtsddtsdddssus), got (ss)");
  REQUIRE(sd_bus_message_skip(msg.m, "(ss)") >= 0);
  std::vector<Flow> flows;
  auto arr = readArray(msg.m, flows);
  REQUIRE_FALSE(arr);
  CHECK(arr.error() == "expected an array of rows a(stsssuttts), got a(ss)");
}

TEST_CASE("a property of another type than this build knows is an error naming it", "[api]") {
  MessageBus bus;
  Message msg(bus.bus);
  REQUIRE(sd_bus_message_append(msg.m, "a{sv}", 3, "Name", "s", "desk", "Future", "u", 7, "Cores",
                                "s", "two") >= 0);
  msg.rewind();
  NodeInfo node;
  auto ok = read(msg.m, node);
  REQUIRE_FALSE(ok);
  CHECK(ok.error() == "property Cores: expected u, got s");
  CHECK(node.name == "desk");  // read before the bad one; "Future" was skipped
}

TEST_CASE("an unknown state name is refused, not read as the first state", "[api]") {
  MessageBus bus;
  Message msg(bus.bus);
  REQUIRE(sd_bus_message_append(msg.m, Part::kSignature, "pi4", "exploded", uint64_t{0},
                                uint64_t{0}, "") >= 0);
  msg.rewind();
  Part part;
  auto ok = read(msg.m, part);
  REQUIRE_FALSE(ok);
  CHECK(ok.error() == "part state \"exploded\" is not known");
}
