#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "atomic_file.h"
#include "ledger.h"
#include "test_util.h"

using vesta::BorrowGate;
using vesta::Ledger;
using vesta::LedgerEntry;

TEST_CASE("lent and borrowed add up per peer, on both sides of an exchange", "[ledger]") {
  Ledger desk, pi;
  // desk runs 120 core-seconds of pi's work; pi runs 30 of desk's.
  REQUIRE(desk.recordLent("pi-fp", "pi4", 120, 2048, 1000));
  REQUIRE(pi.recordBorrowed("desk-fp", "desk", 120, 2048, 1000));
  REQUIRE(desk.recordBorrowed("pi-fp", "pi4", 30, 0, 2000));
  REQUIRE(pi.recordLent("desk-fp", "desk", 30, 0, 2000));
  const LedgerEntry* e = desk.find("pi-fp");
  REQUIRE(e);
  CHECK(e->lent_core_s == 120);
  CHECK(e->borrowed_core_s == 30);
  CHECK(e->lent_mib_s == 2048);
  CHECK(e->updated_unix == 2000);
  CHECK(pi.find("desk-fp")->borrowed_core_s == e->lent_core_s);
  CHECK(desk.find("nobody") == nullptr);
}

TEST_CASE("usage never goes down", "[ledger]") {
  Ledger l;
  CHECK_FALSE(l.recordLent("p", "p", -1, 0, 0));
  CHECK_FALSE(l.recordLent("p", "p", 0, NAN, 0));
  CHECK_FALSE(l.recordBorrowed("p", "p", INFINITY, 0, 0));
  CHECK(l.find("p") == nullptr);
}

TEST_CASE("the borrowing gate: goodwill floor, ratio, and what a peer lent", "[ledger]") {
  BorrowGate gate{5, 3600};  // 5 x max(1 core-hour, what it lent us)
  struct Case {
    double lentToPeer, borrowedFromPeer;
    bool allowed;
  };
  Case cases[] = {
      {0, 0, true},                               // a new peer
      {18000, 0, true},                           // exactly 5 x the floor
      {18001, 0, false},                          // just over: capped
      {50000, 10000, true},                       // a contributor: 5 x 10000
      {50001, 10000, false}, {17999, 100, true},  // a small contributor still has the floor
  };
  for (auto& c : cases) {
    CAPTURE(c.lentToPeer, c.borrowedFromPeer);
    LedgerEntry e{"fp", "pi4", c.lentToPeer, c.borrowedFromPeer, 0, 0, 0};
    std::string why;
    CHECK(gate.allows(e, &why) == c.allowed);
    if (!c.allowed) {
      CHECK_THAT(why, Catch::Contains("pi4 has borrowed"));
      CHECK_THAT(why, Catch::Contains("max_borrow_ratio 5.0"));
    }
  }
}

TEST_CASE("seen from our side: a peer we borrowed too much from would refuse us", "[ledger]") {
  BorrowGate gate{5, 3600};
  // Our entry for pi4: what we lent it, what we borrowed from it. Mirror of the cases above.
  struct Case {
    double lentToPeer, borrowedFromPeer;
    bool lendsToUs;
  };
  Case cases[] = {{0, 0, true},
                  {0, 18000, true},
                  {0, 18001, false},
                  {10000, 50000, true},
                  {10000, 50001, false}};
  for (auto& c : cases) {
    CAPTURE(c.lentToPeer, c.borrowedFromPeer);
    LedgerEntry ours{"fp", "pi4", c.lentToPeer, c.borrowedFromPeer, 0, 0, 0};
    CHECK(gate.lendsToUs(ours) == c.lendsToUs);
    // pi4's own ledger has the same numbers the other way round, and its gate agrees.
    LedgerEntry theirs{"fp-desk", "desk", c.borrowedFromPeer, c.lentToPeer, 0, 0, 0};
    CHECK(gate.allows(theirs) == c.lendsToUs);
  }
}

TEST_CASE("the ledger file round-trips, is 0600, and a missing file is an empty ledger",
          "[ledger]") {
  TempDir dir;
  std::string path = vesta::ledgerPath(dir.path, "desk");
  auto empty = vesta::loadLedger(path);
  REQUIRE(empty);
  CHECK(empty->entries().empty());
  Ledger l;
  REQUIRE(l.recordLent("3f2a-91c0-7b1e-22d4", "pi4", 1.5, 3, 10));
  REQUIRE(l.recordBorrowed("0a0b-0c0d-0e0f-1011", "laptop", 7, 0, 11));
  REQUIRE(vesta::saveLedger(path, l));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto back = vesta::loadLedger(path);
  REQUIRE(back);
  REQUIRE(back->entries().size() == 2);
  CHECK(back->find("3f2a-91c0-7b1e-22d4")->lent_core_s == 1.5);
  CHECK(back->find("0a0b-0c0d-0e0f-1011")->name == "laptop");
  CHECK(back->toJson() == l.toJson());
  // Amounts are kept to the thousandth, so odd values survive a save and load unchanged.
  Ledger odd;
  REQUIRE(
      odd.recordLent("3f2a-91c0-7b1e-22d4", "pi4", 1.7928191359999999, 2.2220222222219998e10, 1));
  auto again = Ledger::fromJson(odd.toJson(), "odd");
  REQUIRE(again);
  CHECK(again->toJson() == odd.toJson());
  CHECK(again->find("3f2a-91c0-7b1e-22d4")->lent_core_s == Approx(1.793));
}

TEST_CASE("a corrupt ledger is an error naming the problem, and can be kept aside", "[ledger]") {
  TempDir dir;
  std::string path = vesta::ledgerPath(dir.path, "desk");
  const char* bad[] = {
      "",
      "{",
      "[]",
      R"({"format":"other","peers":[]})",
      R"({"format":"vesta-ledger-2"})",
      R"({"format":"vesta-ledger-2","peers":[{"name":"x"}]})",
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"a","name":"x","lent_core_ms":1,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":0}]})",
      "{\"format\":\"vesta-ledger-2\",\"peers\":[{\"fingerprint\":\"3f2a-91c0-7b1e-22d4\",\"name\":"
      "\"\xff\xfe\",\"lent_core_ms\":1,\"borrowed_core_ms\":0,\"lent_mib_ms\":0,\"borrowed_mib_"
      "ms\":0,\"updated_unix\":0}]}",
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"a b","lent_core_ms":1,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":0}]})",
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"x","lent_core_ms":1.5,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":0}]})",
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"x","lent_core_ms":1,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":1e300}]})",
      R"({"format":"vesta-ledger-2","peers":[{"fingerprint":"3f2a-91c0-7b1e-22d4","name":"x","lent_core_ms":-1,"borrowed_core_ms":0,"lent_mib_ms":0,"borrowed_mib_ms":0,"updated_unix":0}]})",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    std::remove(path.c_str());
    REQUIRE(vesta::writeFileAtomic(path, text, true));
    auto l = vesta::loadLedger(path);
    REQUIRE_FALSE(l);
    CHECK_THAT(l.error(), Catch::Contains("is corrupt"));
  }
  auto aside = vesta::keepAside(path, 1234);
  REQUIRE(aside);
  CHECK(*aside == path + ".corrupt-1234");
  CHECK(readText(*aside) == bad[11]);
  CHECK(vesta::loadLedger(path)->entries().empty());  // the old file is gone, not rewritten
}
