#include "cpujob.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>

#include "hex.h"

namespace vesta {
namespace {

// Iterations between checks of the cancel flag and updates of the shared progress counter:
// small enough to cancel within milliseconds, large enough that the atomics cost nothing.
constexpr uint64_t kBatch = 16384;

struct MdFree {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::optional<Digest> hashRange(const JobSeed& seed, uint64_t first, uint64_t end,
                                std::atomic<uint64_t>* progress, const std::atomic<bool>* cancel) {
  // Fetch the implementation once: EVP_sha256() would look it up again on every init.
  std::unique_ptr<EVP_MD, MdFree> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  Digest acc{};
  if (!md || !ctx) return std::nullopt;
  uint8_t message[40];
  std::memcpy(message, seed.data(), 32);
  Digest digest{};
  for (uint64_t batchStart = first; batchStart < end; batchStart += kBatch) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return std::nullopt;
    uint64_t batchEnd = end - batchStart > kBatch ? batchStart + kBatch : end;
    for (uint64_t i = batchStart; i < batchEnd; ++i) {
      for (int b = 0; b < 8; ++b) message[32 + b] = static_cast<uint8_t>(i >> (8 * b));
      unsigned len = 0;
      if (EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1 ||
          EVP_DigestUpdate(ctx.get(), message, sizeof message) != 1 ||
          EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1)
        return std::nullopt;
      // Word-wise XOR: the compiler turns this into a few vector instructions.
      uint64_t a[4], d[4];
      std::memcpy(a, acc.data(), 32);
      std::memcpy(d, digest.data(), 32);
      for (int w = 0; w < 4; ++w) a[w] ^= d[w];
      std::memcpy(acc.data(), a, 32);
    }
    if (progress) progress->fetch_add(batchEnd - batchStart, std::memory_order_relaxed);
  }
  return acc;
}

void xorInto(Digest& a, const Digest& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] ^= b[i];
}

std::optional<JobSeed> parseSeed(const std::string& hex) {
  auto bytes = fromHex(hex);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  JobSeed seed{};
  std::memcpy(seed.data(), bytes->data(), 32);
  return seed;
}

JobSeed randomSeed() {
  JobSeed seed{};
  RAND_bytes(seed.data(), static_cast<int>(seed.size()));
  return seed;
}

}  // namespace vesta
