#include "ledger_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "test_util.h"

using namespace vesta;

namespace {

ino_t inodeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

double lentCore(const std::string& path) {
  auto ledger = loadLedger(path);
  INFO((ledger ? std::string() : ledger.error()));
  REQUIRE(ledger);
  const LedgerEntry* e = ledger->find("ab12-cd34-ef56-0789");
  return e ? e->lent_core_s : 0;
}

}  // namespace

// Each write is a new file renamed over the old one, so its inode says whether a write happened.
TEST_CASE("a lone ending is on disk at once; a burst of endings is one more write, soon",
          "[ledger_store]") {
  TempDir dir;
  uv_loop_t loop;
  uv_loop_init(&loop);
  Config config;
  std::string path = dir.path + "/vestad-ledger-test.json";
  {
    LedgerStore store(&loop, config, path);
    std::string warning;
    REQUIRE(store.load(&warning));
    store.recordLent("ab12-cd34-ef56-0789", "taker", 1.0, 0, true);
    ino_t first = inodeOf(path);
    REQUIRE(first != 0);
    CHECK(lentCore(path) == 1.0);
    // 50 more within the same loop tick: a fan-out of short jobs. Before the schedule each was
    // a write (and two fsyncs) on the loop; now none of them is written at once...
    for (int i = 0; i < 50; ++i) store.recordLent("ab12-cd34-ef56-0789", "taker", 1.0, 0, true);
    CHECK(inodeOf(path) == first);
    CHECK(lentCore(path) == 1.0);
    // ...and all of them are, once the gap has passed.
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(inodeOf(path) != first);
    CHECK(lentCore(path) == 51.0);
    // The same goes for what a shutdown finds pending.
    store.recordLent("ab12-cd34-ef56-0789", "taker", 1.0, 0, true);
    store.recordLent("ab12-cd34-ef56-0789", "taker", 1.0, 0, true);
    store.close();
    CHECK(lentCore(path) == 53.0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
