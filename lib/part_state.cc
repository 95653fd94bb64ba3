#include "part_state.h"

namespace vesta {

const char* partStateName(PartState state) {
  switch (state) {
    case PartState::Offered:
      return "offered";
    case PartState::Running:
      return "running";
    case PartState::Done:
      return "done";
    case PartState::Refused:
      return "refused";
    case PartState::Lost:
      return "lost";
    case PartState::Released:
      return "released";
    case PartState::Failed:
      return "failed";
  }
  return "lost";
}

std::optional<PartState> parsePartState(std::string_view name) {
  for (PartState s : {PartState::Offered, PartState::Running, PartState::Done, PartState::Refused,
                      PartState::Lost, PartState::Released, PartState::Failed})
    if (name == partStateName(s)) return s;
  return std::nullopt;
}

}  // namespace vesta
