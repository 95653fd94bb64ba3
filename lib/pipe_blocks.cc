#include "pipe_blocks.h"

#include <cctype>

namespace vesta {

Result<uint64_t> parseBlockSize(std::string_view text) {
  auto bad = [&] {
    return fail("--block: \"" + std::string(text) +
                "\" is not a size; expected bytes with an optional k, M or G suffix, 1..256M "
                "(e.g. --block 1M)");
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12 || text.size() - digits > 1) return bad();
  uint64_t n = std::stoull(std::string(text.substr(0, digits)));
  if (digits < text.size()) {
    switch (text[digits]) {
      case 'k':
      case 'K':
        n <<= 10;
        break;
      case 'm':
      case 'M':
        n <<= 20;
        break;
      case 'g':
      case 'G':
        n <<= 30;
        break;
      default:
        return bad();
    }
  }
  if (n == 0 || n > kMaxBlockBytes) return bad();
  return n;
}

void BlockSplitter::feed(std::string_view bytes) {
  pending_.append(bytes);
}

size_t BlockSplitter::cut() const {
  if (pending_.empty()) return 0;
  if (pending_.size() >= size_) {
    // The last newline within the block size ends the block.
    size_t last = pending_.rfind('\n', size_ - 1);
    if (last != std::string::npos) return last + 1;
    // A line longer than a block is one block, whole: find where it ends.
    size_t from = std::max<size_t>(scanned_, size_);
    size_t end = pending_.find('\n', from);
    if (end != std::string::npos) return end + 1;
  }
  return ended_ ? pending_.size() : 0;
}

bool BlockSplitter::wantsInput() const {
  return !ended_ && cut() == 0;
}

std::optional<std::string> BlockSplitter::next() {
  size_t n = cut();
  if (n == 0) {
    // Searched already up to here: a long line is not scanned again from its start.
    if (pending_.size() > size_) scanned_ = pending_.size();
    return std::nullopt;
  }
  std::string block = pending_.substr(0, n);
  pending_.erase(0, n);
  scanned_ = 0;
  return block;
}

}  // namespace vesta
