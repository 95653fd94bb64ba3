// What a program needs and what a node runs: the ELF header of a program (machine, word size,
// byte order) or its #! line, a node's architecture (uname -m) with its Debian name, and the
// rule that says whether this node can run that program. Placement uses it to put a shipped
// program only where it runs; the refusal text names both sides. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vesta {

// What a file asks of the machine that executes it.
struct ProgramArch {
  enum class Kind { Elf, Script };
  Kind kind = Kind::Elf;
  uint16_t machine = 0;     // ELF e_machine (EM_X86_64 = 62, EM_AARCH64 = 183, ...)
  unsigned bits = 0;        // 32 or 64 (ELF class)
  bool bigEndian = false;   // ELF data encoding
  std::string interpreter;  // a script's #! program, e.g. "/usr/bin/python3"
  // "an x86-64 program", "an AArch64 program", "a script for /bin/sh".
  std::string describe() const;
};

// Reads the start of a file (its first 64 bytes are enough). An error says what the file is
// not: "not an ELF program or a #! script (starts with 0x7b 0x22)".
Result<ProgramArch> programArch(std::string_view head);

// A node's architecture, from uname(2)'s machine field.
struct NodeArch {
  std::string machine;  // "x86_64", "aarch64", "armv7l", "i686", ...
  unsigned bits = 0;    // the word size of its user space (0: unknown)
  // May 32-bit x86 programs run here (an x86_64 node that says it has i386 libraries)?
  bool runsI386 = false;
  // Debian's name for it ("amd64", "arm64", "armhf", "i386"), or "" where there is none.
  std::string debianName() const;
  bool operator==(const NodeArch&) const = default;
};
NodeArch nodeArchFrom(std::string_view unameMachine, bool runsI386 = false);

// What a node tells its peers about itself: its architecture and kernel release (uname -r).
// Beacons carry it in a field of their own (docs/protocol.md); empty when a peer's beacons are
// older than that field.
struct NodePlatform {
  NodeArch arch;
  std::string kernel;
  bool known() const { return !arch.machine.empty(); }
  bool operator==(const NodePlatform&) const = default;
};

// Checks a string that names a machine or a kernel release as a peer sends it: 1-64 printable
// ASCII characters without spaces. Beacons with anything else are malformed.
bool validPlatformWord(std::string_view word);

// One line for people: "aarch64 (arm64, 64-bit), kernel 6.1.0-rpi7"; "unknown" when `machine`
// is empty (a peer whose beacons predate the platform field).
std::string platformSummary(const std::string& machine, const std::string& debian, unsigned bits,
                            const std::string& kernel);

// Whether `node` can execute `program`; when it cannot, `why` names both sides:
// "pi4 is aarch64; ./piwork is an x86-64 program". Scripts run anywhere (their interpreter is
// checked by the exec policy where they run).
bool canRun(const NodeArch& node, const ProgramArch& program, const std::string& nodeName,
            const std::string& programName, std::string* why = nullptr);

}  // namespace vesta
