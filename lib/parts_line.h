// A split job's parts as one line for `vesta cpu`: "desk 120.6 M (29 chunks); pi4 79.4 M
// (1 chunk); laptop lost: link down". Pure.
#pragma once

#include <string>
#include <vector>

#include "api.h"

namespace vesta {

// A node that took part but finished no chunk says so ("pi4 no chunks") instead of leaving an
// empty entry.
std::string partsLine(const std::vector<api::Part>& parts);

}  // namespace vesta
