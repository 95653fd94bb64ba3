// The engines' run table: lookups, a record retired inside its own work outliving the call, a
// peer's records, and flows from the live ones.
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "run_table.h"

using namespace vesta;

namespace {

using Key = std::pair<std::string, uint64_t>;

// Counts how many records are alive, so the test sees when one is freed.
struct Record {
  int* alive;
  std::string note;
  explicit Record(int* counter, std::string n = "") : alive(counter), note(std::move(n)) {
    ++*alive;
  }
  ~Record() { --*alive; }
};

}  // namespace

TEST_CASE("a retired record leaves lookups at once and is freed at the next reap", "[run_table]") {
  int alive = 0;
  RunTable<Key, Record> table;
  Record& r = table.add({"fp-a", 1}, std::make_unique<Record>(&alive, "first"));
  CHECK(table.has({"fp-a", 1}));
  CHECK(table.find({"fp-a", 1}) == &r);
  CHECK(table.find({"fp-a", 2}) == nullptr);
  table.retire({"fp-a", 1});
  CHECK_FALSE(table.has({"fp-a", 1}));
  CHECK(table.size() == 0);
  CHECK(alive == 1);
  CHECK(r.note == "first");   // still there for the rest of its callback
  table.retire({"fp-a", 1});  // twice is harmless
  table.reap();
  CHECK(alive == 0);
}

TEST_CASE("a peer's records are listed before any of them is retired", "[run_table]") {
  int alive = 0;
  RunTable<Key, Record> table;
  table.add({"fp-a", 1}, std::make_unique<Record>(&alive));
  table.add({"fp-b", 1}, std::make_unique<Record>(&alive));
  table.add({"fp-a", 2}, std::make_unique<Record>(&alive));
  auto keys = table.keysOfPeer("fp-a");
  CHECK(keys == std::vector<Key>{{"fp-a", 1}, {"fp-a", 2}});
  for (auto& key : keys) table.retire(key);
  CHECK(table.keys() == std::vector<Key>{{"fp-b", 1}});
  CHECK(table.keysOfPeer("fp-c").empty());
}

TEST_CASE("flows are collected from the records a view describes", "[run_table]") {
  int alive = 0;
  RunTable<uint64_t, Record> table;
  table.add(3, std::make_unique<Record>(&alive, "shown"));
  table.add(1, std::make_unique<Record>(&alive, "hidden"));
  table.add(2, std::make_unique<Record>(&alive, "shown"));
  auto out = table.collect<uint64_t>([](uint64_t id, const Record& r) -> std::optional<uint64_t> {
    if (r.note != "shown") return std::nullopt;
    return id;
  });
  CHECK(out == std::vector<uint64_t>{2, 3});
  auto odd = table.keysWhere([](uint64_t id, const Record&) { return id % 2 == 1; });
  CHECK(odd == std::vector<uint64_t>{1, 3});
}
