#include "machine_arch.h"

#include <array>
#include <cstdio>

namespace vesta {
namespace {

// The ELF machines a household meets, with the name `file(1)` gives them.
constexpr uint16_t kEm386 = 3, kEmArm = 40, kEmX86_64 = 62, kEmAarch64 = 183, kEmRiscv = 243,
                   kEmPpc64 = 21, kEmS390 = 22, kEmMips = 8;

struct MachineName {
  uint16_t machine;
  const char* name;
  const char* article;  // as the name is said: "an x86-64", "a MIPS"
};
constexpr std::array<MachineName, 8> kMachineNames = {{
    {kEm386, "i386", "an"},
    {kEmArm, "ARM", "an"},
    {kEmX86_64, "x86-64", "an"},
    {kEmAarch64, "AArch64", "an"},
    {kEmRiscv, "RISC-V", "a"},
    {kEmPpc64, "PowerPC64", "a"},
    {kEmS390, "S/390", "an"},
    {kEmMips, "MIPS", "a"},
}};

// What each uname -m value executes natively: its ELF machine, word size and byte order.
struct Native {
  const char* uname;
  uint16_t machine;
  unsigned bits;
  bool bigEndian;
  const char* debian;
};
constexpr std::array<Native, 11> kNatives = {{
    {"x86_64", kEmX86_64, 64, false, "amd64"},
    {"aarch64", kEmAarch64, 64, false, "arm64"},
    {"armv7l", kEmArm, 32, false, "armhf"},
    {"armv8l", kEmArm, 32, false, "armhf"},  // a 32-bit user space on a 64-bit Arm core
    {"armv6l", kEmArm, 32, false, "armel"},
    {"i686", kEm386, 32, false, "i386"},
    {"i586", kEm386, 32, false, "i386"},
    {"i386", kEm386, 32, false, "i386"},
    {"riscv64", kEmRiscv, 64, false, "riscv64"},
    {"ppc64le", kEmPpc64, 64, false, "ppc64el"},
    {"s390x", kEmS390, 64, true, "s390x"},
}};

const Native* nativeOf(const std::string& uname) {
  for (auto& n : kNatives)
    if (uname == n.uname) return &n;
  return nullptr;
}

const MachineName* machineName(uint16_t machine) {
  for (auto& m : kMachineNames)
    if (m.machine == machine) return &m;
  return nullptr;
}

}  // namespace

std::string ProgramArch::describe() const {
  if (kind == Kind::Script) return "a script for " + interpreter;
  const MachineName* m = machineName(machine);
  std::string name =
      m ? std::string(m->article) + " " + m->name : "an ELF machine " + std::to_string(machine);
  // ARM and i386 imply their word size; a 32-bit build for a 64-bit machine says so.
  if ((machine == kEmX86_64 || machine == kEmAarch64 || machine == kEmRiscv ||
       machine == kEmPpc64) &&
      bits == 32)
    name += " (32-bit)";
  if (bigEndian && machine != kEmS390) name += " big-endian";
  return name + " program";
}

Result<ProgramArch> programArch(std::string_view head) {
  ProgramArch out;
  if (head.size() >= 2 && head[0] == '#' && head[1] == '!') {
    out.kind = ProgramArch::Kind::Script;
    size_t start = head.find_first_not_of(" \t", 2);
    size_t end = start == std::string_view::npos ? start : head.find_first_of(" \t\r\n", start);
    if (start == std::string_view::npos || end == start)
      return fail("a #! line without an interpreter");
    out.interpreter = std::string(head.substr(start, end - start));
    return out;
  }
  if (head.size() < 20 || head.substr(0, 4) !=
                              "\x7f"
                              "ELF") {
    char bytes[32] = "";
    if (head.size() >= 2)
      std::snprintf(bytes, sizeof bytes, " (starts with 0x%02x 0x%02x)",
                    static_cast<unsigned char>(head[0]), static_cast<unsigned char>(head[1]));
    return fail(std::string("not an ELF program or a #! script") + bytes);
  }
  unsigned char cls = head[4], data = head[5];
  if ((cls != 1 && cls != 2) || (data != 1 && data != 2))
    return fail("an ELF file with an unknown class or byte order");
  out.bits = cls == 1 ? 32 : 64;
  out.bigEndian = data == 2;
  auto lo = static_cast<unsigned char>(head[18]), hi = static_cast<unsigned char>(head[19]);
  out.machine =
      out.bigEndian ? static_cast<uint16_t>(lo << 8 | hi) : static_cast<uint16_t>(hi << 8 | lo);
  return out;
}

std::string NodeArch::debianName() const {
  const Native* n = nativeOf(machine);
  return n ? n->debian : "";
}

NodeArch nodeArchFrom(std::string_view unameMachine, bool runsI386) {
  NodeArch out;
  out.machine = std::string(unameMachine);
  const Native* n = nativeOf(out.machine);
  out.bits = n ? n->bits : 0;
  out.runsI386 = runsI386 && out.machine == "x86_64";
  return out;
}

bool validPlatformWord(std::string_view word) {
  if (word.empty() || word.size() > 64) return false;
  for (char ch : word)
    if (ch <= ' ' || ch > '~') return false;
  return true;
}

std::string platformSummary(const std::string& machine, const std::string& debian, unsigned bits,
                            const std::string& kernel) {
  if (machine.empty()) return "unknown";
  std::string inside = debian;
  if (bits) inside += (inside.empty() ? "" : ", ") + std::to_string(bits) + "-bit";
  std::string out = machine + (inside.empty() ? "" : " (" + inside + ")");
  return kernel.empty() ? out : out + ", kernel " + kernel;
}

bool canRun(const NodeArch& node, const ProgramArch& program, const std::string& nodeName,
            const std::string& programName, std::string* why) {
  if (program.kind == ProgramArch::Kind::Script) return true;
  const Native* n = nativeOf(node.machine);
  bool ok = n && program.machine == n->machine && program.bits == n->bits &&
            program.bigEndian == n->bigEndian;
  if (!ok && node.runsI386 && program.machine == kEm386 && program.bits == 32 && !program.bigEndian)
    ok = true;
  if (!ok && why)
    *why = nodeName + " is " +
           (node.machine.empty() ? "of an unknown architecture" : node.machine) + "; " +
           programName + " is " + program.describe();
  return ok;
}

}  // namespace vesta
