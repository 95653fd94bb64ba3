// The {arch} placeholder of `vesta exec`: in the command, --put and --get it stands for the
// runner's machine (uname -m), so `--put ./enc.{arch} -- ./enc.{arch} {}` ships enc.x86_64 to an
// x86_64 node and enc.aarch64 to an aarch64 one. The submitter finds which variants exist here;
// the job goes only to nodes of those machines, and each gets its own. Pure (the file check is
// the caller's).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace vesta {

inline constexpr const char* kArchPlaceholder = "{arch}";

bool hasArchPlaceholder(const std::string& word);
// Every {arch} in `word` replaced by `machine`.
std::string expandArch(const std::string& word, const std::string& machine);

// What a command with {arch} ships. `puts` are the --put paths; the program (argv[0]) counts as
// one when it is a relative path. `exists` says whether a file is here.
struct ArchVariants {
  std::vector<std::string> machines;   // those for which every templated file exists here
  std::vector<std::string> puts;       // the --put paths with every such variant expanded
  std::vector<std::string> templates;  // the templated files' names in the job's directory
};
ArchVariants archVariants(const std::vector<std::string>& argv,
                          const std::vector<std::string>& puts,
                          const std::function<bool(const std::string&)>& exists);

// Whether the shipped file `name` belongs with a job placed on `machine`: not when it is the
// variant of one of `templates` for another machine.
// The machines {arch} is tried with: uname -m names of lib/machine_arch's table (each has a
// Debian name there; the unit test checks it).
const std::vector<std::string>& archMachines();

bool putBelongsTo(const std::string& name, const std::vector<std::string>& templates,
                  const std::string& machine);

}  // namespace vesta
