// Result<T>: a value or a one-line error message that says what was wrong and how to fix it.
// Errors flow up unchanged; the program's edge prints them once (lib/ never logs).
#pragma once

#include <string>

#include <tl/expected.hpp>

namespace vesta {

template <typename T>
using Result = tl::expected<T, std::string>;

// Makes an error result: `return fail("reserve_pct: 120 is out of range 0..90");`.
inline tl::unexpected<std::string> fail(std::string message) {
  return tl::unexpected<std::string>(std::move(message));
}

}  // namespace vesta
