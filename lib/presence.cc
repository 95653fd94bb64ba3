#include "presence.h"

namespace vesta {

const char* userPresenceName(UserPresence presence) {
  switch (presence) {
    case UserPresence::Unknown:
      return "unknown";
    case UserPresence::Active:
      return "active";
    case UserPresence::Away:
      return "away";
  }
  return "unknown";
}

std::optional<UserPresence> parseUserPresence(std::string_view name) {
  for (UserPresence p : {UserPresence::Unknown, UserPresence::Active, UserPresence::Away})
    if (name == userPresenceName(p)) return p;
  return std::nullopt;
}

UserPresence presenceFrom(bool idleHint, uint64_t idleSinceUs, uint64_t nowUs,
                          uint32_t idleAfterS) {
  if (!idleHint) return UserPresence::Active;
  uint64_t idleUs = nowUs > idleSinceUs ? nowUs - idleSinceUs : 0;
  return idleUs < uint64_t{idleAfterS} * 1'000'000 ? UserPresence::Active : UserPresence::Away;
}

}  // namespace vesta
