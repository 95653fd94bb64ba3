// A job part's state (one node's share of a job) as a type, and its name: the string the D-Bus
// API carries and `vesta` shows ("offered", "running", ...). Pure; both ends use these names.
#pragma once

#include <optional>
#include <string>

namespace vesta {

enum class PartState { Offered, Running, Done, Refused, Lost, Released };
const char* partStateName(PartState state);
std::optional<PartState> parsePartState(const std::string& name);

}  // namespace vesta
