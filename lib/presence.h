// Whether someone is at the keyboard, from logind's idle hints (org.freedesktop.login1.Manager
// IdleHint and IdleSinceHint): the input of the in-use rule (in_use_offer_pct). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "lending_budget.h"

namespace vesta {

// "unknown", "active", "away": the names on the bus and in `vesta --json status`.
const char* userPresenceName(UserPresence presence);
std::optional<UserPresence> parseUserPresence(std::string_view name);

// IdleHint false: someone is active now. IdleHint true: everyone has been idle since
// `idleSinceUs` (CLOCK_REALTIME, microseconds); within `idleAfterS` of that still counts as
// active (BOINC's "in use within 3 minutes"), after it as away. A hint from the future (a clock
// step) counts as just now.
UserPresence presenceFrom(bool idleHint, uint64_t idleSinceUs, uint64_t nowUs, uint32_t idleAfterS);

}  // namespace vesta
