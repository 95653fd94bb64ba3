// The batch stream: records in any pieces give each command its own output and end, and
// anything a runner could send out of order, too long or of another command is refused.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <string>
#include <vector>

#include "batch_stream.h"

using namespace vesta;

namespace {

void record(std::string& s, BatchRecord kind, uint32_t index, const std::string& body) {
  uint8_t h[kBatchHeaderBytes];
  encodeBatchHeader(h, kind, index, static_cast<uint32_t>(body.size()));
  s.append(reinterpret_cast<char*>(h), sizeof h);
  s += body;
}

std::string endBody(int status, uint64_t offset, uint64_t runtime) {
  uint8_t b[kBatchEndBytes];
  encodeBatchEnd(b, status, offset, runtime);
  return std::string(reinterpret_cast<char*>(b), sizeof b);
}

std::span<const uint8_t> bytesOf(const std::string& s, size_t at, size_t n) {
  return {reinterpret_cast<const uint8_t*>(s.data()) + at, std::min(n, s.size() - at)};
}

}  // namespace

std::string started(uint32_t index) {
  std::string s;
  record(s, BatchRecord::Started, index, "");
  return s;
}

std::string notStartedBody(int32_t error, int32_t step) {
  uint8_t b[kBatchNotStartedBytes];
  putLe(b, static_cast<uint32_t>(error), 4);
  putLe(b + 4, static_cast<uint32_t>(step), 4);
  return std::string(reinterpret_cast<char*>(b), sizeof b);
}

TEST_CASE("each command of a batch gets its own output and end, in any pieces") {
  std::string s = started(0);
  record(s, BatchRecord::Stdout, 0, "one\n");
  record(s, BatchRecord::Stderr, 0, "warn\n");
  record(s, BatchRecord::Stdout, 0, "more\n");
  record(s, BatchRecord::End, 0, endBody(3 << 8, 0, 1500));
  s += started(1);
  record(s, BatchRecord::NotStarted, 1, notStartedBody(2, kStartStepExec));
  s += started(2);
  record(s, BatchRecord::End, 2, endBody(SIGKILL, 4000, 20));
  for (size_t piece : {size_t{1}, size_t{7}, s.size()}) {
    BatchStreamParser p(3);
    for (size_t at = 0; at < s.size(); at += piece) REQUIRE(p.feed(bytesOf(s, at, piece)));
    REQUIRE(p.finished() == 3);
    REQUIRE(p.idle());
    auto& o = p.outcomes();
    CHECK(o[0].out == "one\nmore\n");
    CHECK(o[0].err == "warn\n");
    CHECK(o[0].ended);
    CHECK(WEXITSTATUS(o[0].waitStatus) == 3);
    CHECK(o[0].runtimeUs == 1500);
    CHECK(o[1].notStarted);
    CHECK(o[1].execErrno == 2);
    CHECK(o[1].startStep == kStartStepExec);
    CHECK(o[1].out.empty());
    CHECK(WIFSIGNALED(o[2].waitStatus));
    CHECK(WTERMSIG(o[2].waitStatus) == SIGKILL);
    CHECK(o[2].startOffsetUs == 4000);
  }
}

TEST_CASE("a batch cut short tells which commands ended, which one ran, which never began") {
  std::string s = started(0);
  record(s, BatchRecord::End, 0, endBody(0, 0, 1));
  s += started(1);
  record(s, BatchRecord::Stdout, 1, "partial");
  BatchStreamParser p(4);
  CHECK_FALSE(p.anyStarted());
  REQUIRE(p.feed(bytesOf(s, 0, s.size() - 3)));
  CHECK(p.anyStarted());
  CHECK(p.finished() == 1);
  CHECK_FALSE(p.idle());  // in the middle of a record
  CHECK(p.outcomes()[1].out == "part");
  CHECK(p.outcomes()[1].started);
  CHECK_FALSE(p.outcomes()[1].ended);
  CHECK_FALSE(p.outcomes()[2].started);
}

TEST_CASE("records out of order, of other commands or of bad sizes are refused") {
  auto refused = [](const std::string& s, size_t commands) {
    BatchStreamParser p(commands);
    auto ok = p.feed(bytesOf(s, 0, s.size()));
    if (ok) return std::string();
    // Nothing is taken after the first bad record.
    CHECK_FALSE(p.feed(bytesOf(s, 0, s.size())));
    return ok.error();
  };
  std::string ahead = started(0), late = started(0), extra = started(0), kind = started(0),
              empty = started(0), big = started(0), shortEnd = started(0), unstarted, twice,
              fatStart;
  record(ahead, BatchRecord::Stdout, 1, "x");  // command 0 has not ended
  record(late, BatchRecord::End, 0, endBody(0, 0, 0));
  record(late, BatchRecord::Stdout, 0, "after its end");
  record(extra, BatchRecord::End, 0, endBody(0, 0, 0));
  record(extra, BatchRecord::Stdout, 1, "a command the batch does not have");
  record(kind, static_cast<BatchRecord>(9), 0, "x");
  record(empty, BatchRecord::Stdout, 0, "");
  uint8_t h[kBatchHeaderBytes];
  encodeBatchHeader(h, BatchRecord::Stdout, 0, kMaxBatchRecordBytes + 1);
  big.append(reinterpret_cast<char*>(h), sizeof h);
  record(shortEnd, BatchRecord::End, 0, "1234");
  record(unstarted, BatchRecord::Stdout, 0, "before its start");
  twice = started(0) + started(0);
  record(fatStart, BatchRecord::Started, 0, "x");
  CHECK(refused(ahead, 2).find("command 1 while command 0 runs") != std::string::npos);
  CHECK(refused(late, 2).find("command 0 while command 1 runs") != std::string::npos);
  CHECK(refused(extra, 1).find("after the batch's 1 commands") != std::string::npos);
  CHECK(refused(kind, 1).find("kind 9") != std::string::npos);
  CHECK(refused(empty, 1).find("output record of 0 bytes") != std::string::npos);
  CHECK(refused(big, 1).find("output record of") != std::string::npos);
  CHECK(refused(shortEnd, 1).find("end record of 4 bytes") != std::string::npos);
  CHECK(refused(unstarted, 1).find("a record of command 0 before its start") != std::string::npos);
  CHECK(refused(twice, 1).find("command 0 started twice") != std::string::npos);
  CHECK(refused(fatStart, 1).find("a start record of 1 bytes") != std::string::npos);
  std::string fine = started(0);
  record(fine, BatchRecord::End, 0, endBody(0, 0, 0));
  CHECK(refused(fine, 1).empty());
}
