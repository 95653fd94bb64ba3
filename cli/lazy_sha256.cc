#include "lazy_sha256.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace vesta {
namespace {

// The few EVP functions used, resolved once; OpenSSL 3's soname (the build requires >= 3.0).
struct Evp {
  void* (*ctxNew)() = nullptr;
  void (*ctxFree)(void*) = nullptr;
  const void* (*sha256)() = nullptr;
  int (*init)(void*, const void*, void*) = nullptr;
  int (*update)(void*, const void*, size_t) = nullptr;
  int (*final)(void*, unsigned char*, unsigned int*) = nullptr;
  std::string error;
};

const Evp& evp() {
  static const Evp loaded = [] {
    Evp e;
    void* lib = ::dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* why = ::dlerror();
      e.error = std::string("cannot load OpenSSL's libcrypto.so.3 to hash it: ") +
                (why ? why : "unknown error");
      return e;
    }
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (!fn && e.error.empty()) e.error = std::string("libcrypto.so.3 has no ") + name;
    };
    get(e.ctxNew, "EVP_MD_CTX_new");
    get(e.ctxFree, "EVP_MD_CTX_free");
    get(e.sha256, "EVP_sha256");
    get(e.init, "EVP_DigestInit_ex");
    get(e.update, "EVP_DigestUpdate");
    get(e.final, "EVP_DigestFinal_ex");
    return e;  // the library stays loaded: the pointers live as long as the program
  }();
  return loaded;
}

}  // namespace

Result<std::array<uint8_t, 32>> sha256OfFdLazily(int fd) {
  const Evp& e = evp();
  if (!e.error.empty()) return fail(e.error);
  void* ctx = e.ctxNew();
  if (!ctx || e.init(ctx, e.sha256(), nullptr) != 1) {
    if (ctx) e.ctxFree(ctx);
    return fail("cannot start a SHA-256 digest");
  }
  std::vector<uint8_t> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      e.ctxFree(ctx);
      return fail(std::strerror(err));
    }
    if (n == 0) break;
    e.update(ctx, buf.data(), static_cast<size_t>(n));
  }
  std::array<uint8_t, 32> d{};
  unsigned int len = 0;
  int ok = e.final(ctx, d.data(), &len);
  e.ctxFree(ctx);
  if (ok != 1 || len != d.size()) return fail("cannot finish a SHA-256 digest");
  return d;
}

}  // namespace vesta
