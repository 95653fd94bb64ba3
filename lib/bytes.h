// Little-endian byte writer and bounds-checked reader for the wire formats. A reader never reads
// past its input: every get fails (and stays failed) instead.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vesta {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // A string of at most 255 bytes, with a one-byte length before it.
  void shortString(const std::string& s) {
    size_t n = std::min<size_t>(s.size(), 255);  // longer strings are cut, never mislabelled
    u8(static_cast<uint8_t>(n));
    out_.insert(out_.end(), s.begin(), s.begin() + static_cast<long>(n));
  }
  // Bytes of any length (up to 4 GiB), with a four-byte length before them.
  void blob(std::span<const uint8_t> b) {
    u32(static_cast<uint32_t>(b.size()));
    bytes(b);
  }
  void blob(const std::string& s) {
    blob(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  std::vector<uint8_t>& data() { return out_; }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  // Copies n bytes into out; fails when fewer remain.
  void bytes(std::span<uint8_t> out) {
    if (!ok_ || in_.size() - pos_ < out.size()) {
      ok_ = false;
      return;
    }
    std::copy(in_.begin() + pos_, in_.begin() + pos_ + out.size(), out.begin());
    pos_ += out.size();
  }
  std::string shortString() {
    size_t n = u8();
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.begin() + pos_, in_.begin() + pos_ + n);
    pos_ += n;
    return s;
  }
  // A blob (four-byte length, then bytes) of at most `max` bytes; fails when longer or short.
  std::string blob(size_t max) {
    size_t n = u32();
    if (!ok_ || n > max || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.begin() + pos_, in_.begin() + pos_ + n);
    pos_ += n;
    return s;
  }
  // Everything not read yet.
  std::vector<uint8_t> rest() {
    if (!ok_) return {};
    std::vector<uint8_t> out(in_.begin() + pos_, in_.end());
    pos_ = in_.size();
    return out;
  }
  bool ok() const { return ok_; }
  // True when everything was read without running short and nothing is left over.
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  uint64_t get(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{in_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace vesta
