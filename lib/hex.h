// Lowercase hex encoding and strict decoding of byte strings.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vesta {

// Encodes bytes as lowercase hex, two characters per byte.
std::string toHex(std::span<const uint8_t> bytes);

// Decodes hex (either case); nullopt on odd length or a non-hex character.
std::optional<std::vector<uint8_t>> fromHex(std::string_view text);

}  // namespace vesta
