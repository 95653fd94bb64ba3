// libFuzzer target: the ledger file parser. Whatever parses must write back to a document that
// parses to the same entries (a ledger that changes on a save and reload would drift).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto ledger = vesta::Ledger::fromJson(text, "fuzz");
  if (!ledger) return 0;
  auto again = vesta::Ledger::fromJson(ledger->toJson(), "fuzz-again");
  if (!again || again->toJson() != ledger->toJson()) std::abort();
  return 0;
}
