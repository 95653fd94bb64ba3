// libFuzzer target: the --get stream as the submitter sees it, from a runner that may send
// anything. The input is some --get patterns (newline-separated, up to the first NUL) and then
// the stream, fed in pieces whose sizes come from the input too. Whatever the submitter accepts
// (acceptFetchedFile) must be a plain name in the current directory that one of the patterns
// asked for, hidden only when a pattern asked for a hidden file; and the data it hands out must
// add up to what each record announced.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "exec_proto.h"

namespace {

bool acceptable(const std::string& name, const std::vector<std::string>& patterns) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return false;
  if (patterns.empty()) return false;
  if (name[0] != '.') return true;
  for (auto& p : patterns)
    if (p.rfind(".", 0) == 0 || p.rfind("\\.", 0) == 0) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bytes = std::span<const uint8_t>(data, size);
  std::vector<std::string> patterns;
  size_t at = 0;
  std::string current;
  for (; at < bytes.size() && bytes[at] != 0; ++at) {
    if (bytes[at] == '\n') {
      if (!current.empty()) patterns.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(bytes[at]));
    }
  }
  if (!current.empty()) patterns.push_back(current);
  if (at < bytes.size()) ++at;  // the NUL
  std::vector<std::string> valid;
  for (auto& p : patterns)
    if (vesta::checkGetPattern(p)) valid.push_back(p);

  vesta::FilesStreamParser parser;
  uint64_t announced = 0, received = 0;
  bool inFile = false;
  auto on = [&](const vesta::FilesStreamParser::Event& e) {
    using Kind = vesta::FilesStreamParser::Event::Kind;
    if (e.kind == Kind::Begin) {
      if (inFile) std::abort();  // a record inside a record
      inFile = true;
      announced = e.header.size;
      received = 0;
      if (vesta::acceptFetchedFile(e.header.name, valid) && !acceptable(e.header.name, valid))
        std::abort();
    } else if (e.kind == Kind::Data) {
      if (!inFile || e.data.empty()) std::abort();
      received += e.data.size();
      if (received > announced) std::abort();
    } else {
      if (!inFile || received != announced) std::abort();
      inFile = false;
    }
  };
  // Piece sizes 1..16 from the stream's own bytes: records split anywhere.
  auto stream = bytes.subspan(at);
  size_t pos = 0;
  while (pos < stream.size()) {
    size_t n = std::min<size_t>(stream.size() - pos, 1 + stream[pos] % 16);
    if (!parser.feed(stream.subspan(pos, n), on)) break;
    pos += n;
  }
  return 0;
}
