// A test's command on a real confined process: `sh -c SCRIPT` through spawnConfined, its stdout
// and stderr into one pipe the test reads, its reaper for the test to wait for.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "spawn.h"
#include "test_util.h"
#include "unique_fd.h"

struct ShellJob {
  TempDir dir;  // the scratch directory, its cwd
  vesta::UniqueFd out;
  vesta::UniqueFd pidfd;
  pid_t reaper = -1;

  // `adjust` may change the spec (devices, idle, nice) before the start.
  explicit ShellJob(const std::string& script,
                    const std::function<void(vesta::SpawnSpec&)>& adjust = {}) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    out.reset(fds[0]);
    vesta::UniqueFd in(fds[1]);
    vesta::SpawnSpec spec;
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", script};
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.cwd = dir.path;
    spec.stdoutFd = spec.stderrFd = in.get();
    if (adjust) adjust(spec);
    auto spawned = vesta::spawnConfined(spec);
    REQUIRE(spawned);
    reaper = spawned->pid;
    pidfd.reset(spawned->pidfd);
  }

  // Everything it prints, until the pipe's end (the command and all it left are gone).
  std::string readAll() {
    std::string said;
    char buf[4096];
    for (ssize_t n; (n = ::read(out.get(), buf, sizeof buf)) > 0;)
      said.append(buf, static_cast<size_t>(n));
    return said;
  }

  // What it prints up to and including `word`; blocks until then, however long that takes.
  std::string readUntil(const std::string& word) {
    std::string said;
    char c;
    while (said.find(word) == std::string::npos && ::read(out.get(), &c, 1) == 1) said += c;
    return said;
  }

  // Reaps the reaper; its wait status.
  int wait() {
    int status = 0;
    REQUIRE(::waitpid(reaper, &status, 0) == reaper);
    return status;
  }
};

// What `sh -c script` prints, confined, with the spec changed by `adjust`; once it has ended.
inline std::string runShellJob(const std::string& script,
                               const std::function<void(vesta::SpawnSpec&)>& adjust = {}) {
  ShellJob job(script, adjust);
  std::string said = job.readAll();
  job.wait();
  return said;
}
