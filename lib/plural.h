// Counts with their noun in the right number: "1 node", "2 nodes", "0 jobs". Pure.
#pragma once

#include <cstdint>
#include <string>

namespace vesta {

// "N noun" for N == 1, else "N nouns" (or "N " + `many` when the plural is irregular).
inline std::string countOf(uint64_t n, const std::string& noun, const std::string& many = "") {
  return std::to_string(n) + " " + (n == 1 ? noun : many.empty() ? noun + "s" : many);
}

}  // namespace vesta
