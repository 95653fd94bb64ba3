#include "arch_template.h"

#include <string_view>

#include "machine_arch.h"

namespace vesta {
namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool isRelativeProgram(const std::string& argv0) {
  return !argv0.empty() && argv0[0] != '/' && argv0.find('/') != std::string::npos;
}

}  // namespace

const std::vector<std::string>& archMachines() {
  static const std::vector<std::string> machines = {"x86_64",  "aarch64", "armv7l", "armv8l",
                                                    "armv6l",  "i686",    "i586",   "i386",
                                                    "riscv64", "ppc64le", "s390x"};
  return machines;
}

bool hasArchPlaceholder(const std::string& word) {
  return word.find(kArchPlaceholder) != std::string::npos;
}

std::string expandArch(const std::string& word, const std::string& machine) {
  std::string out;
  std::string_view rest = word, placeholder = kArchPlaceholder;
  for (size_t at; (at = rest.find(placeholder)) != std::string_view::npos;) {
    out.append(rest.substr(0, at));
    out += machine;
    rest.remove_prefix(at + placeholder.size());
  }
  out.append(rest);
  return out;
}

ArchVariants archVariants(const std::vector<std::string>& argv,
                          const std::vector<std::string>& puts,
                          const std::function<bool(const std::string&)>& exists) {
  std::vector<std::string> templated, plain;
  for (auto& p : puts) (hasArchPlaceholder(p) ? templated : plain).push_back(p);
  if (!argv.empty() && isRelativeProgram(argv[0]) && hasArchPlaceholder(argv[0])) {
    bool listed = false;
    for (auto& t : templated) listed = listed || baseName(t) == baseName(argv[0]);
    if (!listed) templated.push_back(argv[0]);
  }
  ArchVariants out;
  out.puts = plain;
  for (auto& t : templated) out.templates.push_back(baseName(t));
  if (templated.empty()) return out;
  for (const std::string& machine : archMachines()) {
    bool all = true;
    for (auto& t : templated) all = all && exists(expandArch(t, machine));
    if (!all) continue;
    out.machines.push_back(machine);
    for (auto& t : templated) out.puts.push_back(expandArch(t, machine));
  }
  return out;
}

bool putBelongsTo(const std::string& name, const std::vector<std::string>& templates,
                  const std::string& machine) {
  for (const std::string& machineOf : archMachines()) {
    if (machineOf == machine) continue;
    for (auto& t : templates)
      if (name == expandArch(t, machineOf)) return false;
  }
  return true;
}

}  // namespace vesta
