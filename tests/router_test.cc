// The router with fake engines: each frame reaches the one engine that claims its type, the
// fan-outs reach every engine, an unclaimed type is counted rather than crashed on, and a type
// claimed twice is caught at construction. Then vestad's real engines: every work frame type
// has exactly one receiver.
#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>

#include "cluster.h"
#include "coordinator.h"
#include "exec_client.h"
#include "exec_runner.h"
#include "lender.h"
#include "router.h"
#include "test_util.h"

using namespace vesta;

namespace {

// Records what the router hands it.
struct FakeEngine : Engine {
  std::vector<FrameType> claims;
  std::vector<std::pair<std::string, FrameType>> frames;
  std::vector<std::string> ups, downs, shutdowns;
  int ticks = 0;
  std::vector<Flow> ownFlows;
  size_t work = 0;

  explicit FakeEngine(std::vector<FrameType> types) : claims(std::move(types)) {}
  std::vector<FrameType> frameTypes() const override { return claims; }
  void onFrame(const std::string& fp, const Frame& f) override { frames.push_back({fp, f.type}); }
  void onLinkUp(const std::string& fp) override { ups.push_back(fp); }
  void onLinkDown(const std::string& fp) override { downs.push_back(fp); }
  void tick() override { ++ticks; }
  void shutdown(const std::string& why) override { shutdowns.push_back(why); }
  std::vector<Flow> flows() const override { return ownFlows; }
  size_t active() const override { return work; }
};

Flow flow(bool lending, uint64_t job) {
  Flow f;
  f.lending = lending;
  f.job = job;
  return f;
}

}  // namespace

TEST_CASE("a frame reaches the engine that claims its type and no other", "[router]") {
  FakeEngine cpu({FrameType::Offer, FrameType::Release});
  FakeEngine exec({FrameType::ExecOffer, FrameType::ExecRelease});
  Router router({&cpu, &exec});
  CHECK(router.route("fp-pi4", {FrameType::Release, {}}));
  CHECK(router.route("", {FrameType::ExecRelease, {}}));
  CHECK(router.route("fp-pi4", {FrameType::Offer, {}}));
  using Got = std::vector<std::pair<std::string, FrameType>>;
  CHECK(cpu.frames == Got{{"fp-pi4", FrameType::Release}, {"fp-pi4", FrameType::Offer}});
  CHECK(exec.frames == Got{{"", FrameType::ExecRelease}});
  CHECK(router.unclaimed(FrameType::Release) == 0);
}

TEST_CASE("link changes, ticks and shutdown reach every engine", "[router]") {
  FakeEngine a({FrameType::Offer}), b({FrameType::ExecOffer});
  Router router({&a, &b});
  router.linkUp("fp-pi4");
  router.linkDown("fp-pi4");
  router.tick();
  router.shutdown("is stopping");
  for (FakeEngine* e : {&a, &b}) {
    CHECK(e->ups == std::vector<std::string>{"fp-pi4"});
    CHECK(e->downs == std::vector<std::string>{"fp-pi4"});
    CHECK(e->ticks == 1);
    CHECK(e->shutdowns == std::vector<std::string>{"is stopping"});
    CHECK(e->frames.empty());
  }
}

TEST_CASE("flows come lending first, active work is summed", "[router]") {
  FakeEngine coordinator({FrameType::Accept}), lender({FrameType::Offer});
  coordinator.ownFlows = {flow(false, 1), flow(false, 2)};
  lender.ownFlows = {flow(true, 7)};
  coordinator.work = 2;
  lender.work = 1;
  Router router({&coordinator, &lender});
  auto flows = router.flows();
  REQUIRE(flows.size() == 3);
  CHECK(flows[0].lending);
  CHECK(flows[0].job == 7);
  CHECK(flows[1].job == 1);  // borrowing keeps its order
  CHECK(flows[2].job == 2);
  CHECK(router.active() == 3);
}

TEST_CASE("a frame type no engine claims is counted, not crashed on", "[router]") {
  FakeEngine a({FrameType::Offer});
  Router router({&a});
  CHECK_FALSE(router.route("fp-pi4", {FrameType::ExecPolicy, {}}));
  CHECK_FALSE(router.route("fp-pi4", {FrameType::ExecPolicy, {}}));
  CHECK(router.unclaimed(FrameType::ExecPolicy) == 2);
  CHECK(router.unclaimed(FrameType::Offer) == 0);
  CHECK(a.frames.empty());
}

TEST_CASE("a frame type claimed by two engines is refused at construction", "[router]") {
  FakeEngine a({FrameType::Offer, FrameType::Usage}), b({FrameType::Usage});
  CHECK_THROWS_AS(Router({&a, &b}), std::logic_error);
  CHECK_THROWS_WITH(Router({&a, &b}), Catch::Contains("frame type 13"));
}

TEST_CASE("vestad's engines claim every work frame type exactly once", "[router]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  TempDir state;
  Config config;
  config.name = "desk";
  {
    Executor executor(&loop, 1, 0);
    JobTable jobs("desk", [](const Job&, JobChange) {});
    NodeStatus status;
    Cluster cluster(config,
                    {[&]() -> const NodeStatus& { return status; }, [] { return nullptr; },
                     [] { return nullptr; }, [] { return nullptr; }, [] { return uint64_t{0}; }});
    Coordinator coordinator(&loop, config, jobs, {});
    Lender lender(&loop, config, executor, {});
    ExecClient execClient(&loop, config, jobs, {});
    ExecRunner execRunner(&loop, config, state.path, {});
    std::vector<Engine*> engines{&cluster, &coordinator, &execClient, &lender, &execRunner};
    Router router(engines);  // throws on a type claimed twice

    std::map<FrameType, int> claims;
    for (Engine* e : engines)
      for (FrameType t : e->frameTypes()) ++claims[t];
    // Hello, Ping, Pong and Bye are the links' own; every other type is work.
    for (unsigned t = static_cast<unsigned>(FrameType::Offer); t <= kMaxFrameType; ++t) {
      CAPTURE(t);
      CHECK(claims[static_cast<FrameType>(t)] == 1);
    }
    CHECK(claims.size() == kMaxFrameType - static_cast<unsigned>(FrameType::Offer) + 1);
    executor.shutdown();
    execRunner.shutdown("test over");
    lender.shutdown("test over");
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
