#include "arg_source.h"

namespace vesta {

ClientResult<ArgSource> ArgSource::open(const CliOptions& o) {
  ArgSource a;
  a.words_ = &o.eachArgs;
  if (o.eachFrom.empty()) {
    a.total_ = o.eachArgs.size();
    return a;
  }
  bool stdinFile = o.eachFrom == "-";
  a.in_.open(stdinFile ? "/dev/stdin" : o.eachFrom);
  if (!a.in_)
    return tl::unexpected(
        ClientError{kExitUsage, "--each-from " + o.eachFrom + ": cannot read it"});
  if (stdinFile) {
    for (std::string line; std::getline(a.in_, line);)
      if (!line.empty()) a.kept_.push_back(line);
    a.words_ = nullptr;  // kept_ then: a pointer to it would not survive a move
    a.total_ = a.kept_.size();
    return a;
  }
  // Counted first (for the progress bar), read again as the jobs are submitted.
  for (std::string line; std::getline(a.in_, line);) a.total_ += !line.empty();
  a.in_.clear();
  a.in_.seekg(0);
  a.streaming_ = true;
  return a;
}

bool ArgSource::next(std::string& arg) {
  if (!streaming_) {
    const auto& words = words_ ? *words_ : kept_;
    if (pos_ >= words.size()) return false;
    arg = words[pos_++];
    return true;
  }
  while (std::getline(in_, arg))
    if (!arg.empty()) return true;
  return false;
}

}  // namespace vesta
