// What a confined job may signal, on real processes: its own, never a process outside the job
// (vestad, the spawner, the owner's programs: all the same user). Landlock confines signals from
// ABI 6 (Linux 6.12); on an older kernel the test says so and checks nothing.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <string>

#include "shell_job.h"
#include "unique_fd.h"

using namespace vesta;

TEST_CASE("a confined job may signal its own processes, and none outside the job", "[spawn]") {
  if (landlockAbi() < 6) {
    WARN("Landlock below ABI 6 here, signals are not confined: " + confinementSummary());
    return;
  }
  // This test's process stands for vestad: same user, outside the job.
  std::string outside = std::to_string(::getpid());
  ShellJob job("if kill -0 " + outside +
               " 2>/dev/null; then echo outside-ok; else echo outside-refused; fi;"
               "sleep 30 & if kill $! 2>/dev/null; then echo own-ok; else echo own-refused; fi");
  std::string said = job.readAll();
  job.wait();
  CHECK(said.find("outside-refused") != std::string::npos);
  CHECK(said.find("own-ok") != std::string::npos);
  CHECK(confinementSummary().find("signals only to its own processes") != std::string::npos);
}

TEST_CASE("a confined job may not connect to an abstract socket outside the job", "[spawn]") {
  if (landlockAbi() < 6) {
    WARN("Landlock below ABI 6 here, abstract sockets are not confined: " + confinementSummary());
    return;
  }
  // This test's process listens, as another program of the same user would (an X server, say).
  std::string name = "vesta-scope-test-" + std::to_string(::getpid());
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(listener);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(listener.get(), 4) == 0);
  // The job tries that socket, and one of its own.
  std::string said = runShellJob("python3 - " + name +
                                 " 2>&1 <<'EOF'\n"
                                 "import socket, sys\n"
                                 "def attempt(name):\n"
                                 "    s = socket.socket(socket.AF_UNIX)\n"
                                 "    try:\n"
                                 "        s.connect(b'\\0' + name.encode())\n"
                                 "        return 'ok'\n"
                                 "    except OSError:\n"
                                 "        return 'refused'\n"
                                 "own = socket.socket(socket.AF_UNIX)\n"
                                 "own.bind(b'\\0' + sys.argv[1].encode() + b'-own')\n"
                                 "own.listen(1)\n"
                                 "print('outside', attempt(sys.argv[1]))\n"
                                 "print('own', attempt(sys.argv[1] + '-own'))\n"
                                 "EOF\n");
  CHECK(said.find("outside refused") != std::string::npos);
  CHECK(said.find("own ok") != std::string::npos);
}
