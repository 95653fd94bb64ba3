// The arguments of `vesta exec --each`, ::: or ::::, in order: the words given, or the lines of
// a file read as they are needed, so ten thousand of them are never all held at once (a pipe,
// which cannot be read twice, is read whole first to count it).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "commands.h"

namespace vesta {

class ArgSource {
 public:
  // The words of --each / :::, or the file of --each-from / :::: ("-": stdin).
  static ClientResult<ArgSource> open(const CliOptions& options);
  size_t total() const { return total_; }
  // The next argument (empty lines of a file are skipped); false after the last.
  bool next(std::string& arg);

 private:
  const std::vector<std::string>* words_ = nullptr;  // the options' words; null: kept_
  std::vector<std::string> kept_;
  std::ifstream in_;
  bool streaming_ = false;
  size_t pos_ = 0, total_ = 0;
};

}  // namespace vesta
