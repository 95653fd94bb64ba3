#include "frame.h"

#include "noise.h"

namespace vesta {
namespace {

constexpr size_t kLengthSize = 4;
constexpr size_t kMaxRecord = kMaxFramePayload + 2 + kTagSize;

std::array<uint8_t, 4> lengthBytes(uint32_t n) {
  return {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
          static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
}

}  // namespace

bool knownFrameType(uint8_t type) {
  return type >= 1 && type <= kMaxFrameType;
}

const char* frameErrorName(FrameError error) {
  switch (error) {
    case FrameError::Oversize:
      return "oversize";
    case FrameError::BadAuth:
      return "bad_auth";
    case FrameError::BadVersion:
      return "bad_version";
    case FrameError::UnknownType:
      return "unknown_type";
    case FrameError::Exhausted:
      return "exhausted";
  }
  return "bad_auth";
}

tl::expected<Bytes, FrameError> FrameSealer::seal(const Frame& frame) {
  if (frame.payload.size() > kMaxFramePayload) return tl::unexpected(FrameError::Oversize);
  if (counter_ == UINT64_MAX) return tl::unexpected(FrameError::Exhausted);
  Bytes plain;
  plain.reserve(frame.payload.size() + 2);
  plain.push_back(kLinkVersion);
  plain.push_back(static_cast<uint8_t>(frame.type));
  plain.insert(plain.end(), frame.payload.begin(), frame.payload.end());
  auto length = lengthBytes(static_cast<uint32_t>(plain.size() + kTagSize));
  Bytes sealed = vesta::seal(key_, noiseNonce(counter_++), length, plain);
  Bytes out(length.begin(), length.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

tl::expected<void, FrameError> FrameOpener::feed(std::span<const uint8_t> bytes) {
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  for (;;) {
    if (pending_.size() < kLengthSize) return {};
    uint32_t length = uint32_t{pending_[0]} << 24 | uint32_t{pending_[1]} << 16 |
                      uint32_t{pending_[2]} << 8 | uint32_t{pending_[3]};
    // Checked before waiting for (or holding) the body.
    if (length > kMaxRecord || length < kTagSize + 2) return tl::unexpected(FrameError::Oversize);
    if (pending_.size() < kLengthSize + length) return {};
    if (counter_ == UINT64_MAX) return tl::unexpected(FrameError::Exhausted);
    auto record = std::span<const uint8_t>(pending_).subspan(kLengthSize, length);
    auto plain = open(key_, noiseNonce(counter_),
                      std::span<const uint8_t>(pending_).first(kLengthSize), record);
    if (!plain) return tl::unexpected(FrameError::BadAuth);
    ++counter_;
    if ((*plain)[0] != kLinkVersion) return tl::unexpected(FrameError::BadVersion);
    if (!knownFrameType((*plain)[1])) return tl::unexpected(FrameError::UnknownType);
    ready_.push_back(
        {static_cast<FrameType>((*plain)[1]), Bytes(plain->begin() + 2, plain->end())});
    pending_.erase(pending_.begin(), pending_.begin() + kLengthSize + length);
  }
}

std::optional<Frame> FrameOpener::next() {
  if (ready_.empty()) return std::nullopt;
  Frame f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

}  // namespace vesta
