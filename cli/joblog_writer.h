// The file behind `vesta exec --joblog FILE` (lib/joblog writes and reads its lines): a new
// log is started with parallel's header, or, with --resume / --resume-failed, the old one is
// read for what to skip and appended to. Every line is fsync'd as its job ends, so a fan-out
// cut short by a crash or a reboot leaves a log that says exactly what had ended.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "joblog.h"
#include "result.h"
#include "unique_fd.h"

namespace vesta {

class JobLogWriter {
 public:
  // Without `resume`, FILE is started afresh (as parallel does); with it, FILE is kept and
  // the jobs it has are read into `logged` (seq -> succeeded; a missing FILE has none). A last
  // line cut short is dropped from the file, so the next line starts on a line of its own.
  static Result<JobLogWriter> open(const std::string& path, bool resume,
                                   std::map<uint64_t, bool>& logged);
  // Appends one ended attempt and waits until it is on disk.
  Result<void> append(const JobLogEntry& entry);

 private:
  JobLogWriter(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

}  // namespace vesta
