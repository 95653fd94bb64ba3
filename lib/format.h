// Human-readable numbers for the output of vesta and vestatop. Pure.
#pragma once

#include <cstdint>
#include <string>

namespace vesta {

// "850 ms", "8.71 s", "2 min 05 s", "1 h 02 min".
std::string formatDuration(uint64_t ms);
// "950", "12.3 k", "22.96 M", "1.20 G" (SI, for rates and counts).
std::string formatCount(double value);
// "512 MiB", "23.2 GiB" from MiB.
std::string formatMiB(uint64_t mib);
// A bar of `width` cells for a share 0..1, e.g. "[#####.....]".
std::string progressBar(double fraction, int width);

}  // namespace vesta
