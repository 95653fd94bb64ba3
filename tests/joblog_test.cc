#include "joblog.h"

#include <catch2/catch.hpp>

using namespace vesta;

TEST_CASE("job log lines are parallel's", "[joblog]") {
  CHECK(jobLogHeader() ==
        "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
  JobLogEntry e;
  e.seq = 2;
  e.host = "pi4";
  e.startSeconds = 1796133506.459;
  e.runtimeSeconds = 0.109;
  e.sent = 10;
  e.received = 3;
  e.exitStatus = 1;
  e.command = {"sleep", "0.1"};
  CHECK(jobLogLine(e) == "2\tpi4\t1796133506.459\t     0.109\t10\t3\t1\t0\tsleep 0.1\n");
  e.host = "";
  e.command = {"flac", "take 1.wav", "it's", ""};
  CHECK(jobLogLine(e) ==
        "2\t:\t1796133506.459\t     0.109\t10\t3\t1\t0\tflac 'take 1.wav' 'it'\"'\"'s' ''\n");
  e.command = {"printf", "a\tb\nc"};
  CHECK(jobLogLine(e).find("'a b c'") != std::string::npos);  // still one line, 9 columns
}

TEST_CASE("a log read back says what to skip", "[joblog]") {
  JobLogEntry ok, bad, killed;
  ok.seq = 1;
  ok.command = {"true"};
  bad.seq = 3;
  bad.exitStatus = 2;
  bad.command = {"false"};
  killed.seq = 4;
  killed.signal = 9;
  killed.command = {"sleep", "9"};
  auto log = readJobLog(jobLogHeader() + jobLogLine(ok) + jobLogLine(bad) + jobLogLine(killed));
  REQUIRE(log);
  CHECK(skipOnResume(*log, 1, ResumeMode::Resume));
  CHECK(skipOnResume(*log, 3, ResumeMode::Resume));
  CHECK_FALSE(skipOnResume(*log, 2, ResumeMode::Resume));  // never ended: runs
  CHECK(skipOnResume(*log, 1, ResumeMode::ResumeFailed));
  CHECK_FALSE(skipOnResume(*log, 3, ResumeMode::ResumeFailed));
  CHECK_FALSE(skipOnResume(*log, 4, ResumeMode::ResumeFailed));
  CHECK_FALSE(skipOnResume(*log, 5, ResumeMode::ResumeFailed));
}

TEST_CASE("a job run again counts by its last line", "[joblog]") {
  JobLogEntry first, again;
  first.seq = again.seq = 7;
  first.exitStatus = 1;
  auto log = readJobLog(jobLogHeader() + jobLogLine(first) + jobLogLine(again));
  REQUIRE(log);
  CHECK(skipOnResume(*log, 7, ResumeMode::ResumeFailed));
}

TEST_CASE("a line cut short by a crash is ignored; a damaged log is an error", "[joblog]") {
  JobLogEntry e;
  e.seq = 1;
  std::string line = jobLogLine(e);
  auto cut = readJobLog(jobLogHeader() + line + line.substr(0, 5));
  REQUIRE(cut);
  CHECK(cut->size() == 1);
  auto empty = readJobLog(jobLogHeader());
  REQUIRE(empty);
  CHECK(empty->empty());
  auto notLog = readJobLog("hello\n");
  REQUIRE_FALSE(notLog);
  CHECK(notLog.error().rfind("joblog line 1: expected parallel's header", 0) == 0);
  auto damaged = readJobLog(jobLogHeader() + "x\t:\t0\t0\t0\t0\t0\t0\ttrue\n");
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().rfind("joblog line 2: expected 9 tab-separated columns", 0) == 0);
}
