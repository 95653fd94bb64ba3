#include "batch_stream.h"

namespace vesta {
namespace {

uint64_t getLe(const uint8_t* in, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{in[i]} << (8 * i);
  return v;
}

}  // namespace

Result<void> BatchStreamParser::startRecord() {
  uint8_t kind = header_[0];
  auto index = static_cast<uint32_t>(getLe(header_ + 1, 4));
  remaining_ = static_cast<uint32_t>(getLe(header_ + 5, 4));
  if (kind < 1 || kind > 5) return fail("batch stream: record kind " + std::to_string(kind));
  kind_ = static_cast<BatchRecord>(kind);
  if (next_ >= outcomes_.size())
    return fail("batch stream: a record after the batch's " + std::to_string(outcomes_.size()) +
                " commands ended");
  if (index != next_)
    return fail("batch stream: a record of command " + std::to_string(index) + " while command " +
                std::to_string(next_) + " runs");
  bool started = outcomes_[next_].started;
  if (kind_ == BatchRecord::Started) {
    if (started) return fail("batch stream: command " + std::to_string(index) + " started twice");
    if (remaining_ != 0)
      return fail("batch stream: a start record of " + std::to_string(remaining_) + " bytes");
    outcomes_[next_].started = true;
    return {};
  }
  if (!started)
    return fail("batch stream: a record of command " + std::to_string(index) + " before its start");
  uint32_t want = kind_ == BatchRecord::End          ? kBatchEndBytes
                  : kind_ == BatchRecord::NotStarted ? kBatchNotStartedBytes
                                                     : 0;
  if (want && remaining_ != want)
    return fail("batch stream: an end record of " + std::to_string(remaining_) + " bytes");
  if (!want && (remaining_ == 0 || remaining_ > kMaxBatchRecordBytes))
    return fail("batch stream: an output record of " + std::to_string(remaining_) + " bytes");
  body_.clear();
  inBody_ = true;
  return {};
}

void BatchStreamParser::finishRecord() {
  inBody_ = false;
  BatchOutcome& o = outcomes_[next_];
  auto* b = reinterpret_cast<const uint8_t*>(body_.data());
  if (kind_ == BatchRecord::End) {
    o.ended = true;
    o.waitStatus = static_cast<int32_t>(static_cast<uint32_t>(getLe(b, 4)));
    o.startOffsetUs = getLe(b + 4, 8);
    o.runtimeUs = getLe(b + 12, 8);
    ++next_;
  } else if (kind_ == BatchRecord::NotStarted) {
    o.notStarted = true;
    o.execErrno = static_cast<int>(getLe(b, 4));
    o.startStep = static_cast<int32_t>(static_cast<uint32_t>(getLe(b + 4, 4)));
    ++next_;
  }
}

Result<void> BatchStreamParser::feed(std::span<const uint8_t> bytes) {
  if (!error_.empty()) return fail(error_);
  size_t i = 0;
  while (i < bytes.size()) {
    if (!inBody_) {
      header_[have_++] = bytes[i++];
      if (have_ < kBatchHeaderBytes) continue;
      have_ = 0;
      if (auto ok = startRecord(); !ok) {
        error_ = ok.error();
        return ok;
      }
      continue;
    }
    size_t n = std::min<size_t>(remaining_, bytes.size() - i);
    auto* p = reinterpret_cast<const char*>(bytes.data() + i);
    BatchOutcome& o = outcomes_[next_];
    if (kind_ == BatchRecord::Stdout)
      o.out.append(p, n);
    else if (kind_ == BatchRecord::Stderr)
      o.err.append(p, n);
    else
      body_.append(p, n);
    i += n;
    remaining_ -= static_cast<uint32_t>(n);
    if (remaining_ == 0) finishRecord();
  }
  return {};
}

}  // namespace vesta
