#include "daemon_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

namespace daemon_test {
namespace {

using Clock = std::chrono::steady_clock;

// Starts argv with stdin from /dev/null and stdout and stderr into `outputPath`.
pid_t spawn(const std::vector<std::string>& argv, const std::string& outputPath) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(outputPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// waitpid with a deadline: the status as Ran has it, or -1 after killing a child that
// outlived `timeoutS`.
int waitFor(pid_t pid, int timeoutS) {
  auto deadline = Clock::now() + std::chrono::seconds(timeoutS);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Ran run(const std::vector<std::string>& argv, int timeoutS) {
  TempDir dir;
  std::string outputPath = dir.path + "/output";
  pid_t pid = spawn(argv, outputPath);
  Ran ran;
  ran.status = waitFor(pid, timeoutS);
  ran.output = readText(outputPath);
  return ran;
}

std::string vestadPath() {
  const char* path = std::getenv("VESTAD");
  REQUIRE(path != nullptr);  // set by tests/meson.build: run through meson test
  return path;
}

Ports::Ports() {
  // Shared by every user's runs, like /tmp; a lock another user made is still readable.
  if (::mkdir("/tmp/vesta-it-ports", 0777) == 0) ::chmod("/tmp/vesta-it-ports", 01777);
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 500; ++attempt) {
    int block = static_cast<int>(random() % 127);
    std::string path = "/tmp/vesta-it-ports/" + std::to_string(block) + ".lock";
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      lockFd_ = fd;
      base_ = 20000 + block * 100;
      return;
    }
    if (fd >= 0) ::close(fd);
  }
  FAIL("no free block of ports in /tmp/vesta-it-ports");
}

Ports::~Ports() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

PrivateBus::PrivateBus() {
  std::string addressFile = dir_.path + "/address";
  Ran forked =
      run({"/usr/bin/dbus-daemon", "--session", "--fork",
           "--address=unix:path=" + dir_.path + "/bus", "--print-address=1", "--print-pid=1"});
  REQUIRE(forked.status == 0);
  std::istringstream lines(forked.output);
  std::getline(lines, address_);
  lines >> pid_;
  REQUIRE(address_.rfind("unix:", 0) == 0);
  REQUIRE(pid_ > 0);
}

PrivateBus::~PrivateBus() {
  // Gone before its directory is removed: it deletes its socket as it exits. Not our child
  // (it forked away), so it is watched with kill 0, not waited for.
  if (pid_ > 0 && ::kill(pid_, SIGTERM) == 0) eventually(10, [&] { return ::kill(pid_, 0) != 0; });
}

Client::Client(const std::string& address) {
  int r = sd_bus_new(&bus_);
  if (r >= 0) r = sd_bus_set_address(bus_, address.c_str());
  if (r >= 0) r = sd_bus_set_bus_client(bus_, 1);
  if (r >= 0) r = sd_bus_start(bus_);
  REQUIRE(r >= 0);
}

Client::~Client() {
  sd_bus_flush_close_unref(bus_);
}

Node::Node(const std::string& name, const std::vector<std::string>& flags)
    : name_(name), client_(bus_.address()) {
  std::vector<std::string> argv = {vestadPath(), "-name", name_, "-port",
                                   std::to_string(ports_.base() + 1)};
  for (const auto& f : flagsBeside(stateDir())) argv.push_back(f);
  argv.insert(argv.end(), flags.begin(), flags.end());
  pid_ = spawn(argv, dir_.path + "/vestad.log");
  // A vestad under the sanitizers on a loaded machine may take a while; 30 s is generous.
  bool came = eventually(30, [&] {
    int status = 0;
    return up() || ::waitpid(pid_, &status, WNOHANG) == pid_;
  });
  if (!came || !up()) {
    INFO("vestad " << name_ << " did not come up:\n" << readText(dir_.path + "/vestad.log"));
    FAIL("vestad did not come up");
  }
}

Node::~Node() {
  if (pid_ > 0) stop();
}

int Node::stop() {
  ::kill(pid_, SIGTERM);
  int status = waitFor(pid_, 30);
  pid_ = -1;
  return status;
}

std::vector<std::string> Node::flagsBeside(const std::string& stateDir) const {
  return {"-key",       key(),
          "-state-dir", stateDir,
          "-broadcast", "127.255.255.255",
          "-dport",     std::to_string(ports_.base()),
          "-bus",       bus_.address()};
}

std::string Node::busName() const {
  return vesta::nodeBusName(name_);
}

bool Node::up() const {
  sd_bus_error error{};
  sd_bus_message* reply = nullptr;
  int has = 0;
  int r = sd_bus_call_method(client_.get(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "NameHasOwner", &error, &reply, "s",
                             busName().c_str());
  if (r >= 0) sd_bus_message_read(reply, "b", &has);
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  return has != 0;
}

std::string Node::managerString(const char* property) const {
  sd_bus_error error{};
  char* value = nullptr;
  int r = sd_bus_get_property_string(client_.get(), busName().c_str(), vesta::kObjectPath,
                                     vesta::kManagerInterface, property, &error, &value);
  std::string result = r < 0 ? describeCall(r, error) : value;
  std::free(value);
  sd_bus_error_free(&error);
  return result;
}

std::string Node::jobString(const std::string& path, const char* property) const {
  sd_bus_error error{};
  char* value = nullptr;
  int r = sd_bus_get_property_string(client_.get(), busName().c_str(), path.c_str(),
                                     vesta::kJobInterface, property, &error, &value);
  std::string result = r < 0 ? describeCall(r, error) : value;
  std::free(value);
  sd_bus_error_free(&error);
  return result;
}

std::string Node::submitCpu(uint64_t millions, const std::string& seed) const {
  sd_bus_error error{};
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(client_.get(), busName().c_str(), vesta::kObjectPath,
                             vesta::kManagerInterface, "SubmitCpu", &error, &reply, "tsa{sv}",
                             millions, seed.c_str(), 0);
  std::string refusal = describeCall(r, error);
  const char* path = nullptr;
  if (r >= 0) r = sd_bus_message_read(reply, "o", &path);
  std::string result = r >= 0 && path ? path : "";
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  INFO("SubmitCpu: " << refusal);
  REQUIRE(!result.empty());
  return result;
}

std::string Node::describeCall(int r, const sd_bus_error& error) {
  if (r >= 0) return "";
  if (error.name == nullptr) return std::string("failed: ") + std::to_string(r);
  return std::string(error.name) + ": " + (error.message ? error.message : "");
}

}  // namespace daemon_test
