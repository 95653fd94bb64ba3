// Incremental SHA-256 (OpenSSL EVP), for content-addressing shipped files: the submitter hashes a
// file before sending it, the receiver hashes what arrived before trusting it.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>

#include "cpujob.h"
#include "result.h"

namespace vesta {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> bytes);
  Digest final();  // the digest of everything given; the object is spent

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// The digest of a whole file read from `fd` (from its current offset to the end).
Result<Digest> sha256OfFd(int fd);

}  // namespace vesta
