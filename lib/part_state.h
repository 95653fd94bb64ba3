// A job part's state (one node's share of a job) as a type, and its name: the string the D-Bus
// API carries and `vesta` shows ("offered", "running", ...). Pure; both ends use these names.
#pragma once

#include <optional>
#include <string_view>

namespace vesta {

// Lost: the node went away or fell silent; Failed: the node said its part failed (a mem job's
// allocation it could not make), which is about the node, not the link.
enum class PartState { Offered, Running, Done, Refused, Lost, Released, Failed };
const char* partStateName(PartState state);
std::optional<PartState> parsePartState(std::string_view name);

}  // namespace vesta
