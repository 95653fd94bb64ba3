// Files shipped with `vesta exec --put`, kept by content (SHA-256) in the state directory, so a
// repeated input is not sent again. A file enters the cache only after its bytes hashed to the
// name it was announced under; the oldest files go when the cache outgrows its budget.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cpujob.h"
#include "result.h"
#include "sha256.h"
#include "unique_fd.h"

namespace vesta {

class FileCache {
 public:
  FileCache(std::string dir, uint64_t maxBytes);

  bool has(const Digest& digest) const;
  // The size of a cached file; nullopt when it is not cached.
  std::optional<uint64_t> sizeOf(const Digest& digest) const;
  // Copies a cached file to `dest` (mode 0755 or 0644) and marks it recently used.
  Result<void> copyTo(const Digest& digest, const std::string& dest, bool executable);

  // One file arriving in pieces, in order. finish() checks size and hash and files it.
  class Receiver {
   public:
    ~Receiver();
    Result<void> append(uint64_t offset, std::span<const uint8_t> bytes);
    Result<void> finish();
    uint64_t received() const { return received_; }
    uint64_t size() const { return size_; }

   private:
    friend class FileCache;
    FileCache* cache_ = nullptr;
    Digest digest_{};
    uint64_t size_ = 0, received_ = 0;
    std::string tempPath_;
    UniqueFd fd_;
    Sha256 hash_;
  };
  Result<std::unique_ptr<Receiver>> receive(const Digest& digest, uint64_t size);

  // Removes the least recently used files until the cache fits its budget.
  void trim();

 private:
  std::string pathOf(const Digest& digest) const;
  std::string dir_;
  uint64_t maxBytes_;
  uint64_t nextTemp_ = 0;
};

}  // namespace vesta
