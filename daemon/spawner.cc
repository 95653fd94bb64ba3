#include "spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <vector>

#include "log.h"
#include "unique_fd.h"

namespace vesta::spawner {
namespace {

constexpr size_t kMaxFds = 3;  // stdout, stderr and, when piped, stdin
constexpr size_t kMaxReplyBytes = 1 << 20;

std::mutex gMutex;
int gSocket = -1;  // vestad's end of the pair
pid_t gPid = -1;
bool gEverStarted = false;
bool gSealed = false;  // vestad holds its secrets now: never fork a spawner of it again
std::vector<std::string> gHidden, gReopened;

bool sendAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool receiveAll(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// One message on the stream: a four-byte length with the descriptors attached (SCM_RIGHTS
// arrive with the first byte they were sent with), then the body.
bool sendMessage(int fd, const std::vector<uint8_t>& body, const int* fds, size_t nFds) {
  uint8_t head[4];
  for (int i = 0; i < 4; ++i) head[i] = static_cast<uint8_t>(body.size() >> (8 * i));
  iovec iov{head, sizeof head};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))] = {};
  if (nFds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(nFds * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nFds * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds, nFds * sizeof(int));
  }
  ssize_t w;
  do w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  if (w <= 0) return false;
  size_t sent = static_cast<size_t>(w);
  return sendAll(fd, head + sent, sizeof head - sent) && sendAll(fd, body.data(), body.size());
}

// The next message: its body, and the descriptors that came with it (close-on-exec, owned).
bool receiveMessage(int fd, std::vector<uint8_t>& body, std::vector<UniqueFd>& fds,
                    size_t maxBytes) {
  uint8_t head[4];
  iovec iov{head, sizeof head};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxFds * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do r = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r <= 0) return false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
      fds.emplace_back(received);
    }
  }
  if (msg.msg_flags & MSG_CTRUNC) return false;
  size_t got = static_cast<size_t>(r);
  if (!receiveAll(fd, head + got, sizeof head - got)) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= uint32_t{head[i]} << (8 * i);
  if (n > maxBytes) return false;
  body.resize(n);
  return receiveAll(fd, body.data(), n);
}

SpawnReply serveOne(const std::vector<uint8_t>& body, std::vector<UniqueFd>& fds, pid_t vestad) {
  bool withStdin = false;
  auto spec = decodeSpawnRequest(body, withStdin);
  if (!spec) return {-1, spec.error()};
  size_t want = withStdin ? 3 : 2;
  if (fds.size() != want)
    return {-1, "spawner: " + std::to_string(fds.size()) + " descriptors came with a request for " +
                    std::to_string(want)};
  spec->stdoutFd = fds[0].get();
  spec->stderrFd = fds[1].get();
  if (withStdin) spec->stdinFd = fds[2].get();
  return startReaper(*spec, vestad);
}

[[noreturn]] void serve(int sock, pid_t vestad) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() != vestad) ::_exit(0);  // vestad died before the line above
  ::prctl(PR_SET_NAME, "vestad-spawner", 0, 0, 0);
  // A Ctrl-C in a terminal, or systemd's SIGTERM to the whole unit, is for vestad to act on; the
  // spawner goes when vestad does. Each reaper sets these back to their defaults.
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_IGN);
  // Of vestad's descriptors only the standard three (the journal) and its socket stay.
  if (sock != 3) {
    ::dup2(sock, 3);
    sock = 3;
  }
  ::fcntl(sock, F_SETFD, FD_CLOEXEC);
  if (::syscall(SYS_close_range, 4, ~0U, 0) != 0)
    for (int fd = 4; fd < 1024; ++fd) ::close(fd);
  for (;;) {
    std::vector<uint8_t> body;
    std::vector<UniqueFd> fds;
    if (!receiveMessage(sock, body, fds, kMaxSpawnRequestBytes)) ::_exit(0);  // vestad is gone
    SpawnReply reply = serveOne(body, fds, vestad);
    fds.clear();  // the reaper has its copies: a pipe must end when the command is done with it
    if (!sendMessage(sock, encodeSpawnReply(reply), nullptr, 0)) ::_exit(0);
  }
}

Result<void> startLocked() {
  if (gPid > 0) return {};
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return fail(std::string("spawner: socketpair: ") + std::strerror(errno));
  pid_t vestad = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    return fail(std::string("spawner: fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    ::close(pair[0]);
    serve(pair[1], vestad);
  }
  ::close(pair[1]);
  gSocket = pair[0];
  gPid = pid;
  gEverStarted = true;
  return {};
}

void stopLocked() {
  if (gSocket >= 0) ::close(gSocket);
  gSocket = -1;
  if (gPid > 0) {
    ::kill(gPid, SIGKILL);
    ::waitpid(gPid, nullptr, 0);
  }
  gPid = -1;
}

}  // namespace

Result<void> start() {
  std::lock_guard lock(gMutex);
  return startLocked();
}

void stop() {
  std::lock_guard lock(gMutex);
  stopLocked();
}

pid_t pid() {
  std::lock_guard lock(gMutex);
  return gPid;
}

void seal() {
  std::lock_guard lock(gMutex);
  gSealed = true;
}

void hideFromJobs(std::vector<std::string> hidden, std::vector<std::string> reopened) {
  std::lock_guard lock(gMutex);
  gHidden = std::move(hidden);
  gReopened = std::move(reopened);
}

const std::vector<std::string>& hiddenFromJobs() {
  return gHidden;
}

const std::vector<std::string>& reopenedForJobs() {
  return gReopened;
}

Result<SpawnReply> request(const SpawnSpec& spec) {
  std::lock_guard lock(gMutex);
  auto body = encodeSpawnRequest(spec);
  if (body.size() > kMaxSpawnRequestBytes)
    return fail("exec: " + spec.program + ": its arguments and environment are " +
                std::to_string(body.size()) + " bytes, more than the " +
                std::to_string(kMaxSpawnRequestBytes) + " one command may have");
  int fds[3] = {spec.stdoutFd, spec.stderrFd, spec.stdinFd};
  for (int attempt = 0;; ++attempt) {
    if (gPid < 0) {
      if (gSealed)
        return fail(
            "exec: vestad's spawner has ended (killed, maybe by a job), and a new one would be "
            "a copy of vestad with its secrets; exec jobs start again once vestad is restarted "
            "(systemctl restart vestad)");
      bool again = gEverStarted;
      if (auto r = startLocked(); !r) return fail(r.error());
      if (again) log::notice("exec: the spawner had ended; a new one was started");
    }
    // A send fails when the spawner is gone (killed, say) before this request: it started
    // nothing of it, so a new spawner gets it once.
    if (!sendMessage(gSocket, body, fds, spec.stdinFd >= 0 ? 3 : 2)) {
      stopLocked();
      if (attempt == 0) continue;
      return fail("exec: the spawner ends as soon as it starts; exec jobs cannot start");
    }
    std::vector<uint8_t> reply;
    std::vector<UniqueFd> none;
    if (receiveMessage(gSocket, reply, none, kMaxReplyBytes)) return decodeSpawnReply(reply);
    // Gone with the request: it may have started the command (then that reaper is vestad's
    // child, for the stray sweep), so the request is not sent again.
    stopLocked();
    return fail("exec: the spawner ended while it started " + spec.program +
                "; the next job starts a new one");
  }
}

}  // namespace vesta::spawner
