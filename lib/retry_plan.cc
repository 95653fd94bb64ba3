#include "retry_plan.h"

#include <algorithm>

namespace vesta {

bool RetryPlan::ended(Attempt attempt) {
  bool failed = attempt.exitCode != 0;
  bool placed = !attempt.node.empty();
  attempts_.push_back(std::move(attempt));
  return failed && placed && attempts_.size() <= retries_;
}

std::vector<std::string> RetryPlan::avoid() const {
  std::vector<std::string> out;
  for (auto& a : attempts_)
    if (a.exitCode != 0 && !a.node.empty() &&
        std::find(out.begin(), out.end(), a.node) == out.end())
      out.push_back(a.node);
  return out;
}

std::string describeAttempt(const Attempt& a) {
  std::string out = "on " + (a.node.empty() ? std::string("?") : a.node) + ": ";
  out += a.exitCode == 0 ? std::string("ok") : "exit " + std::to_string(a.exitCode);
  if (!a.error.empty()) out += " (" + a.error + ")";
  return out;
}

std::string RetryPlan::history() const {
  if (attempts_.size() < 2) return "";
  std::string out;
  for (size_t i = 0; i < attempts_.size(); ++i)
    out += (i ? "; " : "") + std::string("attempt ") + std::to_string(i + 1) + " " +
           describeAttempt(attempts_[i]);
  return out;
}

}  // namespace vesta
