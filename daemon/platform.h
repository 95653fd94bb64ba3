// What this machine is, read once at start: uname(2)'s machine and release, the word size of
// this vestad's own user space, and whether 32-bit x86 programs have their loader here.
#pragma once

#include <string>

#include "machine_arch.h"

namespace vesta {

// `sysroot` is where the i386 loader is looked for (tests use fixture trees).
NodePlatform readPlatform(const std::string& sysroot);

}  // namespace vesta
