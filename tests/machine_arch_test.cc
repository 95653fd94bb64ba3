#include "machine_arch.h"

#include <sys/utsname.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

using namespace vesta;

namespace {

// The first 20 bytes of an ELF header: magic, class, data, version, padding, e_type, e_machine.
std::string elfHead(unsigned bits, bool bigEndian, uint16_t machine) {
  std::string h =
      "\x7f"
      "ELF";
  h += static_cast<char>(bits == 32 ? 1 : 2);
  h += static_cast<char>(bigEndian ? 2 : 1);
  h += '\x01';
  h.append(9, '\0');
  h += bigEndian ? std::string("\0\2", 2) : std::string("\2\0", 2);  // ET_EXEC
  if (bigEndian) {
    h += static_cast<char>(machine >> 8);
    h += static_cast<char>(machine & 0xff);
  } else {
    h += static_cast<char>(machine & 0xff);
    h += static_cast<char>(machine >> 8);
  }
  return h;
}

std::string fileHead(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::string s(64, '\0');
  in.read(s.data(), 64);
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

}  // namespace

TEST_CASE("this machine runs its own programs", "[arch]") {
  utsname u{};
  REQUIRE(uname(&u) == 0);
  auto self = programArch(fileHead("/proc/self/exe"));
  REQUIRE(self);
  CHECK(self->kind == ProgramArch::Kind::Elf);
  CHECK(self->bits == sizeof(void*) * 8);
  NodeArch here = nodeArchFrom(u.machine);
  CHECK(canRun(here, *self, "here", "unit_tests"));
}

TEST_CASE("a program goes only where its machine, word size and byte order run", "[arch]") {
  auto amd64 = *programArch(elfHead(64, false, 62));
  auto arm64 = *programArch(elfHead(64, false, 183));
  auto armhf = *programArch(elfHead(32, false, 40));
  auto i386 = *programArch(elfHead(32, false, 3));
  auto s390x = *programArch(elfHead(64, true, 22));
  NodeArch desk = nodeArchFrom("x86_64"), pi4 = nodeArchFrom("aarch64"),
           pi2 = nodeArchFrom("armv7l"), mainframe = nodeArchFrom("s390x");

  CHECK(canRun(desk, amd64, "desk", "./piwork"));
  CHECK(canRun(pi4, arm64, "pi4", "./piwork"));
  CHECK(canRun(pi2, armhf, "pi2", "./piwork"));
  CHECK(canRun(mainframe, s390x, "big", "./piwork"));
  std::string why;
  CHECK_FALSE(canRun(pi4, amd64, "pi4", "./piwork", &why));
  CHECK(why == "pi4 is aarch64; ./piwork is an x86-64 program");
  CHECK_FALSE(canRun(desk, arm64, "desk", "./enc", &why));
  CHECK(why == "desk is x86_64; ./enc is an AArch64 program");
  CHECK_FALSE(canRun(pi4, armhf, "pi4", "./enc", &why));  // no 32-bit Arm user space said
  CHECK(why == "pi4 is aarch64; ./enc is an ARM program");
  CHECK_FALSE(canRun(desk, s390x, "desk", "./x"));

  // i386 on an x86_64 node only where the node says it can.
  CHECK_FALSE(canRun(desk, i386, "desk", "./old", &why));
  CHECK(why == "desk is x86_64; ./old is an i386 program");
  CHECK(canRun(nodeArchFrom("x86_64", true), i386, "desk", "./old"));
  CHECK_FALSE(nodeArchFrom("aarch64", true).runsI386);  // the flag means nothing off x86
  CHECK_FALSE(canRun(nodeArchFrom("mystery9"), amd64, "odd", "./p", &why));
  CHECK(why == "odd is mystery9; ./p is an x86-64 program");
}

TEST_CASE("scripts go anywhere, naming their interpreter", "[arch]") {
  auto sh = programArch("#!/bin/sh\necho hi\n");
  REQUIRE(sh);
  CHECK(sh->kind == ProgramArch::Kind::Script);
  CHECK(sh->interpreter == "/bin/sh");
  auto env = programArch("#! /usr/bin/env python3\n");
  REQUIRE(env);
  CHECK(env->interpreter == "/usr/bin/env");
  CHECK(env->describe() == "a script for /usr/bin/env");
  CHECK(canRun(nodeArchFrom("aarch64"), *env, "pi4", "./tool.py"));
  CHECK_FALSE(programArch("#!\n"));
}

TEST_CASE("what is neither ELF nor a script says what it starts with", "[arch]") {
  auto json = programArch("{\"a\": 1}");
  REQUIRE_FALSE(json);
  CHECK(json.error() == "not an ELF program or a #! script (starts with 0x7b 0x22)");
  CHECK_FALSE(
      programArch("\x7f"
                  "EL"));
  CHECK_FALSE(programArch(std::string("\x7f"
                                      "ELF\x03\x01",
                                      6) +
                          std::string(14, '\0')));
}

TEST_CASE("nodes have Debian names where Debian has one", "[arch]") {
  CHECK(nodeArchFrom("x86_64").debianName() == "amd64");
  CHECK(nodeArchFrom("aarch64").debianName() == "arm64");
  CHECK(nodeArchFrom("armv7l").debianName() == "armhf");
  CHECK(nodeArchFrom("i686").debianName() == "i386");
  CHECK(nodeArchFrom("armv7l").bits == 32);
  CHECK(nodeArchFrom("aarch64").bits == 64);
  CHECK(nodeArchFrom("mystery9").debianName().empty());
  CHECK(nodeArchFrom("mystery9").bits == 0);
}

TEST_CASE("a node's platform reads as one line; peers' words are checked", "[arch]") {
  CHECK(platformSummary("aarch64", "arm64", 64, "6.1.0-rpi7") ==
        "aarch64 (arm64, 64-bit), kernel 6.1.0-rpi7");
  CHECK(platformSummary("riscv32", "", 32, "") == "riscv32 (32-bit)");
  CHECK(platformSummary("", "", 0, "") == "unknown");
  CHECK(validPlatformWord("6.1.0-13-amd64"));
  CHECK_FALSE(validPlatformWord(""));
  CHECK_FALSE(validPlatformWord("a b"));
  CHECK_FALSE(validPlatformWord(std::string(65, 'x')));
  CHECK_FALSE(validPlatformWord("x\n"));
}
