// The spawner (daemon/spawner): its wire format, and on real processes that the reaper it
// creates is the caller's child, that it keeps none of the caller's descriptors, that a failed
// start reports the real error, and that a killed spawner is replaced.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>

#include "proc_pid_stat.h"
#include "shell_job.h"
#include "spawn_wire.h"
#include "spawner.h"

using namespace vesta;

namespace {

SpawnSpec fullSpec() {
  SpawnSpec spec;
  spec.program = "/usr/bin/env";
  spec.argv = {"env", "", "two words", std::string("nul\0inside", 10)};
  spec.env = {"PATH=/usr/bin:/bin", "EMPTY="};
  spec.cwd = "/tmp/scratch dir";
  spec.devices = {"/dev/dri/renderD128"};
  spec.nice = -3;
  spec.idle = true;
  spec.memBytes = uint64_t{5} << 32;
  spec.cpuSeconds = 7;
  spec.maxProcesses = 64;
  spec.maxOpenFiles = 99;
  spec.stdoutFd = 5;
  spec.stderrFd = 6;
  spec.stdinFd = 7;
  spec.framed = true;
  spec.batch = {{"env", "second"}, {"env", "", "third"}};
  return spec;
}

pid_t parentOf(pid_t pid) {
  auto stat = parseProcPidStat(readText("/proc/" + std::to_string(pid) + "/stat"));
  return stat ? static_cast<pid_t>(stat->ppid) : -1;
}

// The state letter of /proc/PID/stat ('Z' for a zombie), '?' when there is none.
char stateOf(pid_t pid) {
  std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

// How many children of this process have ended and wait to be reaped.
size_t zombieChildren() {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (parentOf(pid) == ::getpid() && stateOf(pid) == 'Z') ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a spawn request and its reply survive the wire, every field") {
  SpawnSpec spec = fullSpec();
  bool withStdin = false;
  auto back = decodeSpawnRequest(encodeSpawnRequest(spec), withStdin);
  REQUIRE(back);
  CHECK(withStdin);
  CHECK(back->program == spec.program);
  CHECK(back->argv == spec.argv);
  CHECK(back->env == spec.env);
  CHECK(back->cwd == spec.cwd);
  CHECK(back->devices == spec.devices);
  CHECK(back->nice == -3);
  CHECK(back->idle);
  CHECK(back->memBytes == spec.memBytes);
  CHECK(back->cpuSeconds == 7);
  CHECK(back->maxProcesses == 64);
  CHECK(back->maxOpenFiles == 99);
  CHECK(back->framed);
  CHECK(back->batch == spec.batch);
  // Descriptors never travel as numbers: the receiver's are its own.
  CHECK(back->stdoutFd == -1);
  CHECK(back->stdinFd == -1);

  spec.stdinFd = -1;
  REQUIRE(decodeSpawnRequest(encodeSpawnRequest(spec), withStdin));
  CHECK_FALSE(withStdin);

  SpawnReply reply{4242, "execve /x: No such file or directory"};
  auto replyBack = decodeSpawnReply(encodeSpawnReply(reply));
  REQUIRE(replyBack);
  CHECK(*replyBack == reply);
}

TEST_CASE("a short, long or broken spawn request is refused, not half read") {
  auto bytes = encodeSpawnRequest(fullSpec());
  bool withStdin = false;
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    auto shorter = std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(cut));
    auto r = decodeSpawnRequest(shorter, withStdin);
    REQUIRE_FALSE(r);
    CHECK(r.error() == "spawner: a malformed request (" + std::to_string(cut) + " bytes)");
  }
  auto longer = bytes;
  longer.push_back(0);
  CHECK_FALSE(decodeSpawnRequest(longer, withStdin));
  auto badFlag = bytes;
  badFlag.back() = 2;  // the stdin flag is 0 or 1
  CHECK_FALSE(decodeSpawnRequest(badFlag, withStdin));
  CHECK_FALSE(decodeSpawnReply(encodeSpawnReply({-1, ""})));
  auto reply = encodeSpawnReply({7, "x"});
  reply.pop_back();
  CHECK_FALSE(decodeSpawnReply(reply));
}

TEST_CASE("the spawner's reaper is the caller's child, and the spawner keeps none of its files",
          "[spawn]") {
  REQUIRE(spawner::start());
  pid_t spawnerPid = spawner::pid();
  REQUIRE(spawnerPid > 0);
  CHECK(parentOf(spawnerPid) == ::getpid());
  CHECK(readText("/proc/" + std::to_string(spawnerPid) + "/comm") == "vestad-spawner\n");
  // A descriptor of the caller's opened after the spawner started never reaches it; of those
  // before, only the standard three and its socket (3) stay.
  UniqueFd later(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int highest = -1;
  for (const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(spawnerPid) + "/fd"))
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  CHECK(highest == 3);

  ShellJob job("echo $PPID; cat /proc/$PPID/stat");
  std::string said = job.readAll();
  pid_t reaper = job.reaper;
  int status = job.wait();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::istringstream lines(said);
  std::string commandsParent, reaperStat;
  REQUIRE(std::getline(lines, commandsParent));
  REQUIRE(std::getline(lines, reaperStat));
  CHECK(std::stoi(commandsParent) == reaper);
  auto stat = parseProcPidStat(reaperStat);
  REQUIRE(stat);
  CHECK(stat->ppid == ::getpid());  // CLONE_PARENT: ours to reap, not the spawner's
  CHECK(reaper != spawnerPid);
}

TEST_CASE("a command that cannot start is reported with the real error, and its reaper reaped",
          "[spawn]") {
  TempDir dir;
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  UniqueFd out(fds[0]), in(fds[1]);
  SpawnSpec spec;
  spec.program = dir.path + "/missing";
  spec.argv = {"missing"};
  spec.cwd = dir.path;
  spec.stdoutFd = spec.stderrFd = in.get();
  size_t zombiesBefore = zombieChildren();
  auto spawned = spawnConfined(spec);
  REQUIRE_FALSE(spawned);
  CHECK(spawned.error() == "execve " + spec.program + ": No such file or directory");
  // Nothing of it is left to reap: spawnConfined reaped the reaper itself.
  CHECK(zombieChildren() == zombiesBefore);
}

TEST_CASE("a killed spawner is replaced by the next job, which still runs", "[spawn]") {
  REQUIRE(spawner::start());
  pid_t first = spawner::pid();
  REQUIRE(first > 0);
  REQUIRE(::kill(first, SIGKILL) == 0);
  // Dead (a zombie until the next request reaps it), so the request finds its socket closed.
  for (int i = 0; i < 5000; ++i) {
    if (stateOf(first) == 'Z') break;
    ::usleep(1000);
  }
  ShellJob job("echo ran");
  CHECK(job.readAll() == "ran\n");
  CHECK(WIFEXITED(job.wait()));
  pid_t second = spawner::pid();
  CHECK(second > 0);
  CHECK(second != first);
  CHECK(::waitpid(first, nullptr, WNOHANG) < 0);  // reaped already, by the replacement
}

TEST_CASE("a stopped spawner is gone and reaped, and the next job starts another", "[spawn]") {
  REQUIRE(spawner::start());
  pid_t first = spawner::pid();
  REQUIRE(first > 0);
  spawner::stop();
  CHECK(spawner::pid() == -1);
  CHECK(::waitpid(first, nullptr, WNOHANG) < 0);  // no zombie of it is left to reap
  CHECK(stateOf(first) == '?');
  ShellJob job("echo ran");
  CHECK(job.readAll() == "ran\n");
  CHECK(WIFEXITED(job.wait()));
  CHECK(spawner::pid() > 0);
}

TEST_CASE("once sealed, a spawner that ended is not replaced: the job fails saying to restart",
          "[spawn]") {
  // In a child process of the test's own, since a seal is for good; with no spawner of this
  // process's for it to inherit.
  spawner::stop();
  int report[2];
  REQUIRE(::pipe(report) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    bool ok = static_cast<bool>(spawner::start());
    pid_t first = spawner::pid();
    spawner::seal();
    ok = ok && first > 0 && ::kill(first, SIGKILL) == 0;
    ::waitpid(first, nullptr, 0);
    SpawnSpec spec;
    spec.program = "/bin/true";
    spec.argv = {"true"};
    spec.cwd = "/";
    spec.stdoutFd = spec.stderrFd = 2;
    auto reply = spawner::request(spec);
    std::string said = reply ? "started" : reply.error();
    ok = ok && spawner::pid() == -1;
    std::string out = (ok ? "ok " : "bad ") + said;
    ssize_t ignored = ::write(report[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(report[1]);
  std::string said;
  char buf[512];
  for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;) said.append(buf, n);
  ::close(report[0]);
  ::waitpid(child, nullptr, 0);
  CHECK(said.rfind("ok ", 0) == 0);
  CHECK(said.find("exec jobs start again once vestad is restarted") != std::string::npos);
}
