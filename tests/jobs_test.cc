#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "executor.h"
#include "hex.h"
#include "jobs.h"

using vesta::Job;
using vesta::JobChange;
using vesta::JobState;

namespace {

const char* kKatSeed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

// A loop, an executor and a job table, torn down with the loop closed cleanly.
struct Fixture {
  uv_loop_t loop;
  std::unique_ptr<vesta::Executor> executor;
  std::unique_ptr<vesta::JobTable> jobs;
  std::vector<std::pair<uint64_t, JobChange>> changes;

  explicit Fixture(size_t keep = 64) {
    uv_loop_init(&loop);
    executor = std::make_unique<vesta::Executor>(&loop, 2, 0);
    jobs = std::make_unique<vesta::JobTable>(
        *executor, "desk",
        [this](const Job& j, JobChange c) {
          changes.push_back({j.id, c});
        },
        keep);
  }
  // Runs the loop until `done` holds (or 60 s pass, which fails the test).
  template <typename Pred>
  void runUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&loop, UV_RUN_ONCE);
    REQUIRE(done());
  }
  ~Fixture() {
    jobs.reset();
    executor.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
};

}  // namespace

TEST_CASE("a cpu job on the worker pool gives the known answer", "[jobs]") {
  Fixture f;
  Job& job = f.jobs->submitCpu(1, *vesta::parseSeed(kKatSeed));
  CHECK(job.state == JobState::Queued);
  CHECK(job.parts.size() == 1);
  f.runUntil([&] { return vesta::isTerminal(job.state); });
  CHECK(job.state == JobState::Done);
  CHECK(job.result == "0326425d10833976a29c78d9e5d2898be5852634e117b4e4e9ac0af6ad8fa408");
  CHECK(job.progress() == 1.0);
  CHECK(f.changes.front().second == JobChange::Created);
}

TEST_CASE("cancelling a running job ends it at once and a late completion cannot undo it",
          "[jobs]") {
  Fixture f;
  Job& job = f.jobs->submitCpu(100000, vesta::randomSeed());
  uint64_t id = job.id;
  REQUIRE(f.jobs->cancel(id));
  CHECK(job.state == JobState::Cancelled);
  CHECK(job.error == "cancelled by request");
  // The workers notice the flag within a chunk and report back; the state must stay.
  f.runUntil([&] { return f.executor && !job.task; });
  CHECK(job.state == JobState::Cancelled);
  CHECK(job.result.empty());
  CHECK_THAT(f.jobs->cancel(id).error(), Catch::Contains("already cancelled"));
  CHECK_THAT(f.jobs->cancel(999).error(), Catch::Contains("does not exist"));
}

TEST_CASE("a mem job holds its memory and finishes", "[jobs]") {
  Fixture f;
  Job& job = f.jobs->submitMem(8, 50);
  f.runUntil([&] { return vesta::isTerminal(job.state); });
  CHECK(job.state == JobState::Done);
  CHECK(job.elapsedMs() >= 50);
}

TEST_CASE("only the newest finished jobs are kept", "[jobs]") {
  Fixture f(2);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    Job& job = f.jobs->submitCpu(1, vesta::randomSeed());
    ids.push_back(job.id);
    f.runUntil([&] { return vesta::isTerminal(job.state); });
  }
  CHECK(f.jobs->find(ids[0]) == nullptr);
  CHECK(f.jobs->find(ids[1]) != nullptr);
  CHECK(f.jobs->find(ids[2]) != nullptr);
  bool removed = false;
  for (auto& [id, change] : f.changes) removed |= id == ids[0] && change == JobChange::Removed;
  CHECK(removed);
}

TEST_CASE("shutting down with jobs in flight joins every thread and closes the loop", "[jobs]") {
  Fixture f;
  f.jobs->submitCpu(100000, vesta::randomSeed());
  f.jobs->submitMem(4, 60000);
  f.jobs->cancelAll("stopping");
  f.executor->shutdown();
  for (auto& [id, job] : f.jobs->all()) CHECK(job->state == JobState::Cancelled);
}
