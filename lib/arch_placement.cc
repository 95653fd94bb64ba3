#include "arch_placement.h"

namespace vesta {
namespace {

// "aarch64" and "arm64" name one machine; so do "armv7l" and "armhf" (Debian's name covers
// armv7l and armv8l alike).
bool archMatches(const std::string& wanted, const NodeArch& node) {
  if (wanted == node.machine) return true;
  std::string debian = node.debianName();
  if (debian.empty()) return false;
  return wanted == debian || nodeArchFrom(wanted).debianName() == debian;
}

bool knownArchName(const std::string& name) {
  if (!nodeArchFrom(name).debianName().empty()) return true;
  for (const char* machine :
       {"x86_64", "aarch64", "armv7l", "armv6l", "i686", "riscv64", "ppc64le", "s390x"})
    if (nodeArchFrom(machine).debianName() == name) return true;
  return false;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (auto& w : words) out += (out.empty() ? "" : ",") + w;
  return out;
}

}  // namespace

std::string archWhyNot(const std::string& node, const NodePlatform& platform,
                       const ArchRequest& request) {
  if (!request.archs.empty()) {
    bool any = false;
    for (auto& a : request.archs) any = any || archMatches(a, platform.arch);
    if (!any)
      return node + " is " +
             (platform.known() ? platform.arch.machine : "of an unknown architecture") +
             ", not one of --arch " + joined(request.archs);
  }
  std::string why;
  if (request.program && !canRun(platform.arch, *request.program, node, request.programName, &why))
    return why;
  return "";
}

Result<std::vector<std::string>> parseArchList(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string word = value.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!knownArchName(word))
      return fail("--arch: \"" + word + "\" in \"" + value +
                  "\" is not an architecture; expected uname -m or Debian names separated by "
                  "commas, e.g. --arch x86_64,aarch64 or --arch amd64,arm64");
    out.push_back(word);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace vesta
