#include "hello.h"

#include <string_view>

#include "exec_proto.h"

namespace vesta {
namespace {

constexpr std::string_view kHelloContext = "vesta link hello v1";
constexpr size_t kProofSize = 32 + 64;

}  // namespace

Bytes encodeHello(const Hello& h) {
  Bytes out(h.key.begin(), h.key.end());
  out.insert(out.end(), h.signature.begin(), h.signature.end());
  out.push_back(kHelloVersion);
  Bytes policy = encode(h.exec.value_or(ExecPolicy{}));
  out.insert(out.end(), policy.begin(), policy.end());
  return out;
}

Result<Hello> decodeHello(std::span<const uint8_t> p) {
  if (p.size() < kProofSize)
    return fail("hello: " + std::to_string(p.size()) + " bytes; expected at least 96");
  Hello h;
  std::copy(p.begin(), p.begin() + 32, h.key.begin());
  std::copy(p.begin() + 32, p.begin() + kProofSize, h.signature.begin());
  // Version 1 was the proof alone.
  unsigned version = p.size() == kProofSize ? 1 : p[kProofSize];
  if (version != kHelloVersion)
    return fail("hello: version " + std::to_string(version) + "; expected " +
                std::to_string(kHelloVersion) + " (a vestad of another release)");
  auto policy = decodeExecPolicy(p.subspan(kProofSize + 1));
  if (!policy) return fail("hello: " + policy.error());
  h.exec = std::move(*policy);
  return h;
}

Bytes helloMessage(bool signerDialled, const std::array<uint8_t, 32>& hash) {
  Bytes m(kHelloContext.begin(), kHelloContext.end());
  m.push_back(signerDialled ? 'I' : 'R');
  m.insert(m.end(), hash.begin(), hash.end());
  return m;
}

}  // namespace vesta
