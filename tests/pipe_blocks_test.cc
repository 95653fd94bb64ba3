// The --pipe block splitter: blocks end at line boundaries, a line longer than a block is one
// block, nothing is lost or added, and bad --block values are refused with the fix.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "pipe_blocks.h"

using namespace vesta;

namespace {

// Feeds `input` in pieces of `piece` bytes, taking blocks whenever one is whole, as vesta does.
std::vector<std::string> split(const std::string& input, uint64_t size, size_t piece) {
  BlockSplitter s(size);
  std::vector<std::string> out;
  size_t at = 0;
  while (!s.finished()) {
    if (s.wantsInput()) {
      if (at >= input.size()) {
        s.end();
      } else {
        s.feed(std::string_view(input).substr(at, piece));
        at += piece;
      }
      continue;
    }
    auto b = s.next();
    REQUIRE(b);
    out.push_back(*b);
  }
  CHECK_FALSE(s.next());
  return out;
}

std::string joined(const std::vector<std::string>& blocks) {
  std::string all;
  for (auto& b : blocks) all += b;
  return all;
}

}  // namespace

TEST_CASE("blocks end at the last line boundary within the block size", "[pipe_blocks]") {
  std::string input = "aaa\nbbb\nccc\nddd\n";
  for (size_t piece : {size_t{1}, size_t{3}, size_t{100}}) {
    CAPTURE(piece);
    auto blocks = split(input, 9, piece);
    CHECK(blocks == std::vector<std::string>{"aaa\nbbb\n", "ccc\nddd\n"});
  }
  // A block size that is exactly a line boundary keeps the whole lines.
  CHECK(split(input, 8, 5) == std::vector<std::string>{"aaa\nbbb\n", "ccc\nddd\n"});
}

TEST_CASE("a line longer than a block is one block of its own, whole", "[pipe_blocks]") {
  std::string longLine(100, 'x');
  std::string input = "a\n" + longLine + "\nb\n";
  for (size_t piece : {size_t{1}, size_t{7}, size_t{1000}}) {
    CAPTURE(piece);
    auto blocks = split(input, 10, piece);
    CHECK(blocks == std::vector<std::string>{"a\n", longLine + "\n", "b\n"});
  }
}

TEST_CASE("empty input gives no block; a last line without newline is kept", "[pipe_blocks]") {
  CHECK(split("", 1024, 10).empty());
  CHECK(split("one\ntwo", 1024, 3) == std::vector<std::string>{"one\ntwo"});
  CHECK(split("one\ntwo", 5, 3) == std::vector<std::string>{"one\n", "two"});
  // No newline at all: the whole input is one block, however long.
  CHECK(split(std::string(50, 'z'), 8, 4) == std::vector<std::string>{std::string(50, 'z')});
}

TEST_CASE("every byte comes out once, in order, and blocks stay near their size", "[pipe_blocks]") {
  std::string input;
  for (int i = 1; i <= 20000; ++i) input += std::to_string(i) + "\n";
  auto blocks = split(input, 4096, 1000);
  CHECK(joined(blocks) == input);
  REQUIRE(blocks.size() > 1);
  for (auto& b : blocks) {
    CHECK(b.size() <= 4096);
    CHECK(b.back() == '\n');
  }
  for (size_t i = 0; i + 1 < blocks.size(); ++i) CHECK(blocks[i].size() > 4096 - 7);
}

TEST_CASE("the splitter holds one block, not the input", "[pipe_blocks]") {
  BlockSplitter s(100);
  std::string line(9, 'l');
  line += '\n';
  // Ten lines fill a block exactly: it is whole, so no more input is wanted until it is taken.
  for (int i = 0; i < 10; ++i) {
    CHECK(s.wantsInput());
    s.feed(line);
  }
  CHECK_FALSE(s.wantsInput());
  CHECK(s.next()->size() == 100);
  CHECK(s.wantsInput());
}

TEST_CASE("--block sizes: suffixes, and bad values refused with the fix", "[pipe_blocks]") {
  CHECK(*parseBlockSize("1M") == 1 << 20);
  CHECK(*parseBlockSize("64k") == 64 << 10);
  CHECK(*parseBlockSize("64K") == 64 << 10);
  CHECK(*parseBlockSize("4096") == 4096);
  CHECK(*parseBlockSize("256M") == kMaxBlockBytes);
  for (const char* bad : {"0", "5X", "", "M", "1MB", "-1", "257M", "1G", " 1M", "1.5M"}) {
    CAPTURE(bad);
    auto r = parseBlockSize(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::StartsWith("--block: \"" + std::string(bad) + "\""));
    CHECK_THAT(r.error(), Catch::Contains("e.g. --block 1M"));
  }
}
