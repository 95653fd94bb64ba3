// One GPU of Manager.GpuList as a line for people, the same in vesta and vestatop:
// "0 NVIDIA GeForce RTX 3080 (nvidia, 10240 MiB, 37% busy): free". Pure.
#pragma once

#include <string>
#include <vector>

#include "api.h"

namespace vesta {

std::string gpuRowText(const api::GpuRow& row);
// The rows of one node.
std::vector<api::GpuRow> gpuRowsFor(const std::vector<api::GpuRow>& rows, const std::string& node);

}  // namespace vesta
