#include "platform.h"

#include <sys/utsname.h>
#include <unistd.h>

namespace vesta {

NodePlatform readPlatform(const std::string& sysroot) {
  struct utsname u {};
  NodePlatform p;
  if (::uname(&u) != 0) return p;
  // An x86_64 machine runs i386 programs only with their loader and libraries installed
  // (Debian's multiarch i386): the loader's presence is the sign.
  std::string loader = (sysroot == "/" ? "" : sysroot) + "/lib/ld-linux.so.2";
  p.arch = nodeArchFrom(u.machine, ::access(loader.c_str(), X_OK) == 0);
  // A 32-bit user space on a 64-bit kernel (armhf on an arm64 Pi): what this process can
  // address is its own word size, not the kernel's.
  if (sizeof(void*) == 4) p.arch.bits = 32;
  p.kernel = u.release;
  return p;
}

}  // namespace vesta
