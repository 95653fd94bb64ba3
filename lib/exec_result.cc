#include "exec_result.h"

#include <charconv>

namespace vesta {

std::string execResultText(const ExecOutcome& outcome) {
  if (outcome.signal > 0) return "signal " + std::to_string(outcome.signal);
  return "exit " + std::to_string(outcome.exitStatus);
}

std::optional<ExecOutcome> parseExecResult(std::string_view result) {
  bool bySignal = result.starts_with("signal ");
  if (!bySignal && !result.starts_with("exit ")) return std::nullopt;
  std::string_view digits = result.substr(bySignal ? 7 : 5);
  int n = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0 || n > 255 ||
      (bySignal && n == 0))
    return std::nullopt;
  return bySignal ? ExecOutcome{128 + n, n} : ExecOutcome{n, 0};
}

}  // namespace vesta
