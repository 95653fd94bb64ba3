#include "format.h"

#include <algorithm>
#include <cstdio>

namespace vesta {

std::string formatDuration(uint64_t ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%llu ms", static_cast<unsigned long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%llu min %02llu s",
                  static_cast<unsigned long long>(ms / 60'000),
                  static_cast<unsigned long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llu h %02llu min",
                  static_cast<unsigned long long>(ms / 3'600'000),
                  static_cast<unsigned long long>(ms / 60'000 % 60));
  }
  return buf;
}

std::string formatCount(double value) {
  char buf[32];
  if (value < 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else if (value < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f k", value / 1e3);
  } else if (value < 1e9) {
    // Whole millions (a job's size) read better without decimals.
    bool whole = value == static_cast<double>(static_cast<uint64_t>(value / 1e6)) * 1e6;
    std::snprintf(buf, sizeof buf, whole ? "%.0f M" : "%.2f M", value / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f G", value / 1e9);
  }
  return buf;
}

std::string formatMiB(uint64_t mib) {
  char buf[32];
  if (mib < 1024)
    std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(mib));
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(mib) / 1024.0);
  return buf;
}

std::string progressBar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  int filled = static_cast<int>(fraction * width + 0.5);
  return "[" + std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '.') + "]";
}

}  // namespace vesta
