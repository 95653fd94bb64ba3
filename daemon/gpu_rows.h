// Manager.GpuList: this node's GPUs and its peers', as their beacons advertise them (what they
// lend, which are busy), for vesta status, vesta peers and vestatop.
#pragma once

#include <vector>

#include "api.h"
#include "node.h"

namespace vesta {

std::vector<api::GpuRow> gpuRowsOf(const Node& node);

}  // namespace vesta
