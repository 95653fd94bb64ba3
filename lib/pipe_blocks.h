// vesta exec --each --pipe: stdin cut into blocks at line boundaries, one job's stdin each, as
// GNU parallel's --pipe cuts it. Pure: bytes in as they are read, whole blocks out. The caller
// reads only while want() says a block is not complete yet, so at most one block (plus one
// read) is held here, whatever the size of the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vesta {

inline constexpr uint64_t kDefaultBlockBytes = 1 << 20;
inline constexpr uint64_t kMaxBlockBytes = uint64_t{256} << 20;

// "1M", "64k", "4096": bytes, with an optional k, M or G suffix (either case, 1024-based as GNU
// parallel's). One-line error naming the value and what is expected otherwise.
Result<uint64_t> parseBlockSize(std::string_view text);

class BlockSplitter {
 public:
  // blockBytes is at most kMaxBlockBytes (256 MiB): it fits a 32-bit size_t.
  explicit BlockSplitter(uint64_t blockBytes)
      : size_(blockBytes ? static_cast<size_t>(blockBytes) : 1) {}
  // Bytes read from stdin, in any pieces.
  void feed(std::string_view bytes);
  // stdin ended: what is left (even without a final newline) is the last block.
  void end() { ended_ = true; }
  // The next block: the longest run of whole lines within the block size, or one whole line
  // when a line alone is longer than that; nullopt while more input is needed (or none is left).
  std::optional<std::string> next();
  // Whether the next block needs more input: read and feed() before asking next() again.
  bool wantsInput() const;
  // Everything was handed out and stdin has ended.
  bool finished() const { return ended_ && pending_.empty(); }

 private:
  // Where the next block ends in pending_ (one past its last byte), or 0 if it is not whole.
  size_t cut() const;

  size_t size_;
  std::string pending_;
  size_t scanned_ =
      0;  // pending_ before this has no newline past the block size: not searched again
  bool ended_ = false;
};

}  // namespace vesta
