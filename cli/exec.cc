// vesta exec: runs a command on the best node and streams its stdout and stderr here, unmixed
// and byte for byte, with the command's exit status as ours. With --each, one command per
// argument across the federation, outputs grouped per job, a progress bar and a summary.
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>

#include "commands.h"
#include "exec_policy.h"
#include "exec_proto.h"
#include "fanout.h"
#include "format.h"
#include "hex.h"
#include "job.h"
#include "sha256.h"

namespace vesta {
namespace {

volatile sig_atomic_t execInterrupts = 0;

// Exit codes of vesta exec when the command did not give one (as ssh uses 255).
constexpr int kExecFailed = 255, kExecInterrupted = 130;

struct PutSpec {
  std::string name;
  std::string sha;
  bool executable = false;
  int fd = -1;
};

// Opens and hashes the files to ship. The name in the job's directory is the file's basename.
tl::expected<std::vector<PutSpec>, CliError> openPuts(const std::vector<std::string>& paths) {
  std::vector<PutSpec> out;
  for (auto& path : paths) {
    PutSpec p;
    auto slash = path.rfind('/');
    p.name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (auto ok = checkFileName(p.name); !ok)
      return tl::unexpected(CliError{kExitUsage, "--put " + path + ": " + ok.error()});
    p.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (p.fd < 0 || ::fstat(p.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      std::string why = p.fd < 0 ? std::strerror(errno) : "not a regular file";
      if (p.fd >= 0) ::close(p.fd);
      for (auto& o : out) ::close(o.fd);
      return tl::unexpected(CliError{kExitUsage, "--put " + path + ": " + why});
    }
    auto digest = sha256OfFd(p.fd);
    if (!digest)
      return tl::unexpected(CliError{kExitUsage, "--put " + path + ": " + digest.error()});
    p.sha = toHex(*digest);
    p.executable = (st.st_mode & 0111) != 0;
    for (auto& o : out)
      if (o.name == p.name)
        return tl::unexpected(CliError{kExitUsage, "--put: two files are named " + p.name});
    out.push_back(p);
  }
  return out;
}

// A relative program ("./piwork") travels with the job: it is added to the files to ship.
void addProgram(const std::vector<std::string>& argv, std::vector<std::string>& puts) {
  const std::string& argv0 = argv[0];
  if (argv0.empty() || argv0[0] == '/' || argv0.find('/') == std::string::npos) return;
  std::string name = normalPath(argv0);
  if (name.find('/') != std::string::npos) return;
  for (auto& p : puts) {
    auto slash = p.rfind('/');
    if ((slash == std::string::npos ? p : p.substr(slash + 1)) == name) return;
  }
  if (::access(argv0.c_str(), F_OK) == 0) puts.push_back(argv0);
}

// One submitted command: its pipes' read ends and what came out of them.
struct Running {
  std::string path;   // the job object
  std::string label;  // --each: the argument
  int fds[3] = {-1, -1, -1};
  std::string out, err;  // --each: buffered, printed whole when the job ends
  bool finished = false;
  std::string state, result, error;
  FilesStreamParser files;
  std::vector<std::string> gets;  // the patterns asked with: nothing else is taken
  bool force = false;             // --force: may replace a file here
  int fileFd = -1;
  std::string fileTemp, fileName;
  std::string filesError;
  bool open() const { return fds[0] >= 0 || fds[1] >= 0 || fds[2] >= 0; }
  ~Running() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
    if (fileFd >= 0) ::close(fileFd);
    if (!fileTemp.empty()) ::unlink(fileTemp.c_str());
  }
};

tl::expected<std::string, CliError> callExec(Client& c, const CliOptions& o,
                                             const std::vector<std::string>& argv,
                                             std::vector<PutSpec>& puts,
                                             const std::vector<std::string>& gets, int wfds[3]) {
  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(c.bus(), &call, c.destination().c_str(), kObjectPath,
                                         kManagerInterface, "Exec");
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "s");
  for (auto& a : argv)
    if (r >= 0) r = sd_bus_message_append(call, "s", a.c_str());
  if (r >= 0) r = sd_bus_message_close_container(call);
  if (r >= 0) r = sd_bus_message_append(call, "hhh", wfds[0], wfds[1], wfds[2]);
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "(ssbh)");
  for (auto& p : puts)
    if (r >= 0)
      r = sd_bus_message_append(call, "(ssbh)", p.name.c_str(), p.sha.c_str(), p.executable ? 1 : 0,
                                p.fd);
  if (r >= 0) r = sd_bus_message_close_container(call);
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "s");
  for (auto& g : gets)
    if (r >= 0) r = sd_bus_message_append(call, "s", g.c_str());
  if (r >= 0) r = sd_bus_message_close_container(call);
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "{sv}");
  if (r >= 0 && !o.on.empty()) r = sd_bus_message_append(call, "{sv}", "on", "s", o.on.c_str());
  if (r >= 0 && o.local) r = sd_bus_message_append(call, "{sv}", "local", "b", 1);
  if (r >= 0 && o.timeoutMs)
    r = sd_bus_message_append(call, "{sv}", "timeout_ms", "t", o.timeoutMs);
  if (r >= 0 && o.memMb) r = sd_bus_message_append(call, "{sv}", "mem_mb", "t", o.memMb);
  if (r >= 0 && o.cpuS) r = sd_bus_message_append(call, "{sv}", "cpu_s", "t", o.cpuS);
  if (r >= 0) r = sd_bus_message_close_container(call);
  auto path = c.callForJob(call, r, kExecFailed);
  if (!path && path.error().code != kExitUnreachable) path.error().code = kExecFailed;
  return path;
}

// Submits one command with fresh pipes. On success `run` holds the read ends.
tl::expected<void, CliError> submit(Client& c, const CliOptions& o, std::vector<std::string> argv,
                                    std::vector<std::string> putPaths,
                                    const std::vector<std::string>& gets, Running& run) {
  addProgram(argv, putPaths);
  auto puts = openPuts(putPaths);
  if (!puts) return tl::unexpected(puts.error());
  int p[3][2];
  for (int i = 0; i < 3; ++i)
    if (::pipe2(p[i], O_CLOEXEC) != 0) {
      for (int k = 0; k < i; ++k) ::close(p[k][0]), ::close(p[k][1]);
      for (auto& put : *puts) ::close(put.fd);
      return tl::unexpected(CliError{kExecFailed, std::string("pipe: ") + std::strerror(errno)});
    }
  int w[3] = {p[0][1], p[1][1], p[2][1]};
  auto path = callExec(c, o, argv, *puts, gets, w);
  for (int i = 0; i < 3; ++i) ::close(p[i][1]);  // vestad holds its own copies now
  for (auto& put : *puts) ::close(put.fd);
  if (!path) {
    for (int i = 0; i < 3; ++i) ::close(p[i][0]);
    return tl::unexpected(path.error());
  }
  run.path = *path;
  run.gets = gets;
  run.force = o.force;
  for (int i = 0; i < 3; ++i) run.fds[i] = p[i][0];
  return {};
}

bool writeAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// --get files arrive as records; each is written to a temporary name here and moved into place
// when whole, so an interrupted transfer never leaves a half file under the real name. The
// runner chooses what it sends: a record is taken only under a name the --get patterns asked
// for (acceptFetchedFile), and it never replaces a file here without --force, as cp -n.
void takeFiles(Running& run, std::span<const uint8_t> bytes) {
  if (!run.filesError.empty()) return;
  auto ok = run.files.feed(bytes, [&](const FilesStreamParser::Event& e) {
    using Kind = FilesStreamParser::Event::Kind;
    if (!run.filesError.empty()) return;
    if (e.kind == Kind::Begin) {
      run.fileName = e.header.name;
      if (auto accepted = acceptFetchedFile(run.fileName, run.gets); !accepted) {
        run.filesError = accepted.error();
        return;
      }
      struct stat st {};
      if (!run.force && ::lstat(run.fileName.c_str(), &st) == 0) {
        run.filesError = run.fileName + " exists here; use --force to replace it";
        return;
      }
      run.fileTemp = ".vesta-get-" + std::to_string(::getpid()) + "-" + e.header.name;
      run.fileFd =
          ::open(run.fileTemp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (run.fileFd < 0) {
        run.filesError = run.fileName + ": " + std::strerror(errno);
        run.fileTemp.clear();
      }
    } else if (e.kind == Kind::Data) {
      if (!writeAll(run.fileFd, reinterpret_cast<const char*>(e.data.data()), e.data.size()))
        run.filesError = run.fileName + ": " + std::strerror(errno);
    } else {
      ::close(run.fileFd);
      run.fileFd = -1;
      // Without --force the move itself refuses an existing name, so a file that appeared
      // while this one arrived is not replaced either.
      int r = ::renameat2(AT_FDCWD, run.fileTemp.c_str(), AT_FDCWD, run.fileName.c_str(),
                          run.force ? 0 : RENAME_NOREPLACE);
      if (r != 0 && errno == EEXIST)
        run.filesError = run.fileName + " exists here; use --force to replace it";
      else if (r != 0)
        run.filesError = run.fileName + ": " + std::strerror(errno);
      if (r != 0) ::unlink(run.fileTemp.c_str());
      run.fileTemp.clear();
    }
  });
  if (!ok) run.filesError = ok.error();
}

int onFinishedSignal(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* byPath = static_cast<std::map<std::string, Running*>*>(userdata);
  const char* path = sd_bus_message_get_path(m);
  auto it = path ? byPath->find(path) : byPath->end();
  if (it == byPath->end()) return 0;
  const char *state = "", *result = "", *error = "";
  sd_bus_message_read(m, "sss", &state, &result, &error);
  it->second->finished = true;
  it->second->state = state;
  it->second->result = result;
  it->second->error = error;
  return 0;
}

void cancelJob(Client& c, const std::string& path) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_call_method(c.bus(), c.destination().c_str(), path.c_str(), kJobInterface, "Cancel",
                     &error, nullptr, "");
  sd_bus_error_free(&error);
}

// Reads what is ready on a job's pipes: straight to our stdout/stderr when `direct`, else into
// its buffers. Returns false when our own stdout is gone (a closed pipe downstream).
bool drain(Running& run, int which, bool direct) {
  uint8_t buf[65536];
  ssize_t n = ::read(run.fds[which], buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0) {
    ::close(run.fds[which]);
    run.fds[which] = -1;
    return true;
  }
  auto bytes = std::span<const uint8_t>(buf, static_cast<size_t>(n));
  if (which == 2) {
    takeFiles(run, bytes);
    return true;
  }
  if (!direct) {
    (which == 0 ? run.out : run.err).append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
    return true;
  }
  return writeAll(which == 0 ? 1 : 2, reinterpret_cast<char*>(buf), static_cast<size_t>(n));
}

// Waits for I/O on every open pipe and the bus, for up to `timeoutMs`.
void waitIo(Client& c, std::vector<Running*>& runs, int timeoutMs) {
  std::vector<pollfd> fds;
  fds.push_back({sd_bus_get_fd(c.bus()), static_cast<short>(sd_bus_get_events(c.bus())), 0});
  for (auto* run : runs)
    for (int fd : run->fds)
      if (fd >= 0) fds.push_back({fd, POLLIN, 0});
  ::poll(fds.data(), fds.size(), timeoutMs);
}

// Final properties, for the exit status and the node.
Properties finalProperties(Client& c, Running& run) {
  auto props = c.getAll(run.path, kJobInterface);
  if (props) return *props;
  Properties last;  // vestad went away after announcing the end
  last["State"] = run.state;
  last["Result"] = run.result;
  last["Error"] = run.error;
  return last;
}

int exitCodeOf(const Properties& p) {
  std::string state = asString(p, "State");
  double status = asDouble(p, "ExitStatus");
  if (state == "cancelled") return kExecInterrupted;
  if (status >= 0 && (state == "done" || state == "failed")) return static_cast<int>(status);
  return kExecFailed;
}

void installInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { execInterrupts = execInterrupts + 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int commandExec(Client& c, const CliOptions& o) {
  installInterruptHandler();
  Running run;
  std::map<std::string, Running*> byPath;
  sd_bus_slot* slot = nullptr;
  // Subscribe before submitting, so a command that ends at once cannot be missed.
  sd_bus_match_signal(c.bus(), &slot, nullptr, nullptr, kJobInterface, "Finished", onFinishedSignal,
                      &byPath);
  auto submitted = submit(c, o, o.command, o.puts, o.gets, run);
  if (!submitted) {
    sd_bus_slot_unref(slot);
    return reportError(o, submitted.error());
  }
  byPath[run.path] = &run;
  std::vector<Running*> all{&run};
  bool cancelled = false, stdoutGone = false;
  auto lastPoll = std::chrono::steady_clock::now();
  while (run.open() || !run.finished) {
    if (execInterrupts > 0 && !cancelled) {
      cancelled = true;
      cancelJob(c, run.path);
    }
    if (execInterrupts > 1) break;  // a second Ctrl-C: stop waiting
    while (sd_bus_process(c.bus(), nullptr) > 0) {
    }
    for (int i = 0; i < 3; ++i) {
      if (run.fds[i] < 0) continue;
      pollfd p{run.fds[i], POLLIN, 0};
      if (::poll(&p, 1, 0) > 0 && !drain(run, i, true)) {
        stdoutGone = true;  // e.g. `vesta exec ... | head`: the command goes too
        cancelJob(c, run.path);
        break;
      }
    }
    if (stdoutGone) break;
    if (!run.open() && !run.finished) {
      // The pipes are closed: vestad ended the job or went away. Ask, not only listen.
      auto now = std::chrono::steady_clock::now();
      if (now - lastPoll > std::chrono::milliseconds(500)) {
        lastPoll = now;
        auto props = c.getAll(run.path, kJobInterface);
        if (!props) break;
        auto state = parseJobState(asString(*props, "State"));
        if (state && isTerminal(*state)) run.finished = true;
      }
    }
    if (run.open() || !run.finished) waitIo(c, all, 200);
  }
  sd_bus_slot_unref(slot);
  if (stdoutGone) return 141;  // as a command killed by SIGPIPE
  if (execInterrupts > 0) {
    std::fprintf(stderr, "vesta: interrupted: job %s cancelled\n",
                 run.path.substr(run.path.rfind('/') + 1).c_str());
    return kExecInterrupted;
  }
  // A command that ended normally is told whole by the Finished signal (result "exit N"); any
  // other end (a timeout, a failure, a missed signal) asks for the job's ExitStatus and Error.
  Properties p;
  if (run.state == "done" && run.result.rfind("exit ", 0) == 0) {
    p["Id"] = run.path.substr(run.path.rfind('/') + 1);
    p["State"] = run.state;
    p["Error"] = run.error;
    p["ExitStatus"] = int64_t{std::atoi(run.result.c_str() + 5)};
  } else {
    p = finalProperties(c, run);
  }
  if (!run.filesError.empty()) std::fprintf(stderr, "vesta: --get: %s\n", run.filesError.c_str());
  int code = exitCodeOf(p);
  if (code == 0 && !run.filesError.empty()) code = 1;  // the command ran, its files did not come
  std::string error = asString(p, "Error");
  if (!error.empty()) std::fprintf(stderr, "vesta: %s\n", error.c_str());
  if (code == kExecFailed && error.empty())
    std::fprintf(stderr, "vesta: job %s %s\n", asString(p, "Id").c_str(),
                 asString(p, "State").c_str());
  return code;
}

int commandExecEach(Client& c, const CliOptions& o) {
  installInterruptHandler();
  std::vector<std::string> args = o.eachArgs;
  if (!o.eachFrom.empty()) {
    std::ifstream in(o.eachFrom == "-" ? "/dev/stdin" : o.eachFrom);
    if (!in) return reportError(o, {kExitUsage, "--each-from " + o.eachFrom + ": cannot read it"});
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) args.push_back(line);
  }
  if (args.empty())
    return reportError(o, {kExitUsage, "--each: no arguments to run the command for"});
  // Each running job holds three pipes here.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  size_t inFlight = std::min<size_t>({args.size(), 128, static_cast<size_t>(nofile.rlim_cur / 8)});
  std::map<std::string, Running*> byPath;
  sd_bus_slot* slot = nullptr;
  sd_bus_match_signal(c.bus(), &slot, nullptr, nullptr, kJobInterface, "Finished", onFinishedSignal,
                      &byPath);
  std::deque<std::unique_ptr<Running>> running;
  std::map<std::string, size_t> perNode;
  std::vector<std::string> failures;
  size_t next = 0, done = 0, failed = 0;
  bool tty = ::isatty(2);
  auto showProgress = [&] {
    if (!tty) return;
    std::string nodes;
    for (auto& [node, n] : perNode) nodes += "  " + node + " " + std::to_string(n);
    std::fprintf(
        stderr, "\r\033[K%s %zu/%zu%s%s",
        progressBar(static_cast<double>(done) / static_cast<double>(args.size()), 30).c_str(), done,
        args.size(), nodes.c_str(),
        failed ? ("  " + std::to_string(failed) + " failed").c_str() : "");
  };
  bool stopping = false;
  while (next < args.size() || !running.empty()) {
    if (execInterrupts > 0 && !stopping) {
      stopping = true;
      for (auto& r : running) cancelJob(c, r->path);
    }
    if (execInterrupts > 1) break;
    while (!stopping && next < args.size() && running.size() < inFlight) {
      auto run = std::make_unique<Running>();
      run->label = args[next];
      size_t seq = next + 1;
      std::vector<std::string> puts, gets;
      for (auto& p : o.puts) puts.push_back(expandPlaceholders(p, args[next], seq));
      for (auto& g : o.gets) gets.push_back(expandPlaceholders(g, args[next], seq));
      ++next;
      auto submitted = submit(c, o, expandCommand(o.command, run->label, seq), puts, gets, *run);
      if (!submitted) {
        ++done;
        ++failed;
        failures.push_back(run->label + ": " + submitted.error().message);
        if (submitted.error().code == kExitUnreachable) return reportError(o, submitted.error());
        continue;
      }
      byPath[run->path] = run.get();
      running.push_back(std::move(run));
    }
    while (sd_bus_process(c.bus(), nullptr) > 0) {
    }
    std::vector<Running*> open;
    for (auto& r : running) {
      for (int i = 0; i < 3; ++i) {
        if (r->fds[i] < 0) continue;
        pollfd p{r->fds[i], POLLIN, 0};
        while (r->fds[i] >= 0 && ::poll(&p, 1, 0) > 0) drain(*r, i, false);
      }
      open.push_back(r.get());
    }
    // Jobs whose pipes are closed and whose end was announced: print them whole.
    for (auto it = running.begin(); it != running.end();) {
      Running& r = **it;
      if (r.open() || !r.finished) {
        ++it;
        continue;
      }
      Properties p = finalProperties(c, r);
      std::string node = asString(p, "Node");
      int code = exitCodeOf(p);
      if (tty) std::fprintf(stderr, "\r\033[K");
      writeAll(1, r.out.data(), r.out.size());
      writeAll(2, r.err.data(), r.err.size());
      ++done;
      if (!node.empty()) ++perNode[node];
      if (code != 0 || !r.filesError.empty()) {
        ++failed;
        std::string why = asString(p, "Error");
        if (why.empty()) why = r.filesError;
        failures.push_back(r.label + " on " + (node.empty() ? "?" : node) + ": exit " +
                           std::to_string(code) + (why.empty() ? "" : " (" + why + ")"));
      }
      byPath.erase(r.path);
      it = running.erase(it);
      showProgress();
    }
    if (!running.empty()) {
      std::vector<Running*> waitOn;
      for (auto& r : running) waitOn.push_back(r.get());
      waitIo(c, waitOn, 200);
    }
    showProgress();
  }
  sd_bus_slot_unref(slot);
  if (tty) std::fprintf(stderr, "\r\033[K");
  std::string nodes;
  for (auto& [node, n] : perNode)
    nodes += (nodes.empty() ? "" : ", ") + node + " " + std::to_string(n);
  std::fprintf(stderr, "vesta: %zu jobs, %zu ok, %zu failed%s%s\n", done, done - failed, failed,
               nodes.empty() ? "" : "; ran on ", nodes.c_str());
  for (auto& f : failures) std::fprintf(stderr, "  failed: %s\n", f.c_str());
  if (execInterrupts > 0) return kExecInterrupted;
  return static_cast<int>(std::min<size_t>(failed, 101));  // as GNU parallel counts
}

}  // namespace vesta
