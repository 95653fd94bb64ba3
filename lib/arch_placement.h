// Placement's architecture gate for exec jobs: a shipped ELF program goes only to nodes whose
// architecture runs it, and `--arch A[,B]` keeps a job to the named machines. Pure; placeExec
// asks it about every node after the other gates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "machine_arch.h"
#include "result.h"

namespace vesta {

struct ArchRequest {
  std::optional<ProgramArch> program;  // the shipped program's header; none: not shipped
  std::string programName;             // as typed, e.g. "./piwork"
  std::vector<std::string> archs;      // --arch: uname -m names; empty: any
};

// Why the node named `node` (of `platform`) may not take the job, or "" when it may:
// "pi4 is aarch64; ./piwork is an x86-64 program", "pi4 is aarch64, not one of --arch x86_64".
std::string archWhyNot(const std::string& node, const NodePlatform& platform,
                       const ArchRequest& request);

// Parses --arch's value, "x86_64,aarch64": each a uname -m name (a Debian name such as arm64 is
// taken for its machine). An error names the value and the expected form.
Result<std::vector<std::string>> parseArchList(const std::string& value);

}  // namespace vesta
