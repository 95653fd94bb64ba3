// The built-in cpu job: iteration i hashes seed || uint64_le(i) with SHA-256;
// the result is the XOR of all digests. XOR is associative and commutative, so any split of the
// range into parts, run anywhere in any order, merges to the same result.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace vesta {

using Digest = std::array<uint8_t, 32>;
using JobSeed = std::array<uint8_t, 32>;

constexpr uint64_t kIterationsPerUnit = 1'000'000;  // `vesta cpu N` runs N x 10^6 iterations

// XOR of SHA-256(seed || le64(i)) for i in [first, end). Adds to `progress` as it goes and
// stops early (returning nullopt) once `cancel` is set. Safe to call from many threads.
std::optional<Digest> hashRange(const JobSeed& seed, uint64_t first, uint64_t end,
                                std::atomic<uint64_t>* progress = nullptr,
                                const std::atomic<bool>* cancel = nullptr);

// a ^= b, the merge of two partial results.
void xorInto(Digest& a, const Digest& b);

// Parses a 64-hex-digit seed; nullopt when it is not exactly that.
std::optional<JobSeed> parseSeed(const std::string& hex);

// A seed from OpenSSL's CSPRNG.
JobSeed randomSeed();

}  // namespace vesta
