// Manager.Exec: `vesta exec` hands over the command, the write ends of its stdout, stderr and
// --get pipes, the read end of its stdin pipe (option "stdin"; without it the command's stdin
// is /dev/null), and the files to ship (open file descriptors, so vestad never needs to read the
// submitter's files by path). The job ends when its command does; the submitter is watched on
// the bus, and a submitter that disconnects cancels its job.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "api.h"
#include "arch_placement.h"
#include "batch_stream.h"
#include "bus_util.h"
#include "hex.h"
#include "node.h"

namespace vesta {
namespace {

// A duplicate of a received descriptor (the message owns the original), or -1 with `why` set.
int takeFd(int fd, const char* what, bool pipeLike, std::string& why) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = std::string(what) + ": not an open file descriptor";
    return -1;
  }
  // Output goes to pipes or sockets only: vestad makes its end non-blocking, and doing that
  // to a terminal or file the caller shares would change it under the caller.
  if (pipeLike && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
    why = std::string(what) + ": expected a pipe or socket";
    return -1;
  }
  // The job writes into it: a read end would take the job and then fail it at its first output
  // ("the vesta exec that submitted it went away"), far from the mistake.
  int mode = ::fcntl(fd, F_GETFL) & O_ACCMODE;
  if (pipeLike && mode != O_WRONLY && mode != O_RDWR) {
    why =
        std::string(what) + ": not open for writing (the read end of a pipe?); pass the write end";
    return -1;
  }
  if (!pipeLike && !S_ISREG(st.st_mode)) {
    why = std::string(what) + ": expected a regular file";
    return -1;
  }
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) why = std::string(what) + ": cannot duplicate the descriptor";
  return dup;
}

// The command's stdin: the read end of a pipe (or socket) of the caller's own, which vestad reads
// under the runner's credit. Not a terminal or a file the caller shares: vestad makes its end
// non-blocking, which would change it under the caller.
int takeStdin(int fd, std::string& why) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    why = "stdin: not an open file descriptor";
    return -1;
  }
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) {
    why = "stdin: expected a pipe or socket (vesta exec copies a terminal or file into one)";
    return -1;
  }
  int mode = ::fcntl(fd, F_GETFL) & O_ACCMODE;
  if (mode != O_RDONLY && mode != O_RDWR) {
    why = "stdin: not open for reading (the write end of a pipe?); pass the read end";
    return -1;
  }
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) why = "stdin: cannot duplicate the descriptor";
  return dup;
}

int readExecOptions(sd_bus_message* m, sd_bus_error* error, ExecClient::Request& req) {
  return readOptionDict(
      m, error, "on, local, avoid, arch, arch_files, timeout_ms, mem_mb, cpu_s, stdin, gpus, batch",
      [&](const std::string& k) {
        if (k == "batch") {
          // Commands to run after argv, one after another, as one job (lib/batch_stream.h).
          int r = sd_bus_message_enter_container(m, 'v', "aas");
          if (r >= 0) r = sd_bus_message_enter_container(m, 'a', "as");
          while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0) {
            char** words = nullptr;
            r = sd_bus_message_read_strv(m, &words);
            if (r < 0) break;
            std::vector<std::string> argv;
            for (char** w = words; w && *w; ++w) {
              argv.emplace_back(*w);
              free(*w);
            }
            free(words);
            req.batch.push_back(std::move(argv));
          }
          if (r >= 0) r = sd_bus_message_exit_container(m);
          if (r >= 0) r = sd_bus_message_exit_container(m);
          if (r < 0)
            return replyError(error, kErrorInvalidArgument,
                              "option \"batch\" takes an array of commands (aas)");
          req.framed = true;
        } else if (k == "stdin") {
          int fd = -1;
          if (sd_bus_message_read(m, "v", "h", &fd) < 0)
            return replyError(error, kErrorInvalidArgument,
                              "option \"stdin\" takes a file descriptor (h)");
          std::string why;
          req.in.reset(takeStdin(fd, why));
          if (!req.in) return replyError(error, kErrorInvalidArgument, why);
        } else if (k == "on") {
          const char* node = nullptr;
          if (sd_bus_message_read(m, "v", "s", &node) < 0)
            return replyError(error, kErrorInvalidArgument, "option \"on\" takes a string");
          if (!*node) return replyError(error, kErrorInvalidArgument, emptyOn());
          req.on = node;
        } else if (k == "local") {
          int flag = 0;
          if (sd_bus_message_read(m, "v", "b", &flag) < 0)
            return replyError(error, kErrorInvalidArgument, "option \"local\" takes a boolean");
          req.local = flag != 0;
        } else if (k == "arch") {
          const char* archs = nullptr;
          if (sd_bus_message_read(m, "v", "s", &archs) < 0)
            return replyError(error, kErrorInvalidArgument, "option \"arch\" takes a string");
          auto list = parseArchList(archs);
          if (!list) return replyError(error, kErrorInvalidArgument, list.error());
          req.archs = std::move(*list);
        } else if (k == "arch_files") {
          char** names = nullptr;
          int r = sd_bus_message_enter_container(m, 'v', "as");
          if (r >= 0) r = sd_bus_message_read_strv(m, &names);
          if (r >= 0) r = sd_bus_message_exit_container(m);
          for (char** n = names; n && *n; ++n) {
            req.archFiles.emplace_back(*n);
            free(*n);
          }
          free(names);
          if (r < 0)
            return replyError(error, kErrorInvalidArgument,
                              "option \"arch_files\" takes an array of strings");
        } else if (k == "avoid") {
          // Node names where a retried command failed: placed elsewhere while it can be.
          int r = sd_bus_message_enter_container(m, 'v', "as");
          char** names = nullptr;
          if (r >= 0) r = sd_bus_message_read_strv(m, &names);
          for (char** n = names; n && *n; ++n) {
            req.avoid.emplace_back(*n);
            free(*n);
          }
          free(names);
          if (r >= 0) r = sd_bus_message_exit_container(m);
          if (r < 0)
            return replyError(error, kErrorInvalidArgument,
                              "option \"avoid\" takes an array of node names (as)");
        } else if (k == "timeout_ms" || k == "mem_mb" || k == "cpu_s") {
          uint64_t v = 0;
          if (sd_bus_message_read(m, "v", "t", &v) < 0)
            return replyError(error, kErrorInvalidArgument, "option \"" + k + "\" takes a uint64");
          (k == "timeout_ms" ? req.timeoutMs : k == "mem_mb" ? req.memMb : req.cpuS) = v;
        } else if (k == "gpus") {
          uint32_t n = 0;
          if (sd_bus_message_read(m, "v", "u", &n) < 0)
            return replyError(error, kErrorInvalidArgument, "option \"gpus\" takes a uint32");
          if (n > kMaxGpusPerJob)
            return replyError(error, kErrorInvalidArgument,
                              "option \"gpus\": " + std::to_string(n) + " GPUs; at most " +
                                  std::to_string(kMaxGpusPerJob));
          req.gpus = n;
        } else {
          return 0;
        }
        return 1;
      });
}

// A batch runs one program, short commands one after another into one stream: nothing that
// belongs to a single command (its files, stdin, GPUs, a timeout) goes with it.
std::string batchRefusal(const ExecClient::Request& req) {
  if (req.batch.size() + 1 > kMaxBatchCommands)
    return "option \"batch\": " + std::to_string(req.batch.size() + 1) +
           " commands; a batch holds at most " + std::to_string(kMaxBatchCommands);
  size_t bytes = 0, words = req.argv.size();
  for (auto& a : req.argv) bytes += a.size();
  for (auto& command : req.batch) {
    words += command.size();
    if (command.empty() || command[0] != req.argv[0])
      return "option \"batch\": every command runs argv's program " + req.argv[0] +
             " (a command of " + (command.empty() ? "no words" : command[0]) + ")";
    if (command.size() > kMaxArgs) return "option \"batch\": a command of too many arguments";
    for (auto& a : command) bytes += a.size();
  }
  if (bytes > kMaxArgvBytes || words > kMaxArgs)
    return "option \"batch\": the commands' arguments are over 256 KiB or " +
           std::to_string(kMaxArgs) + " words in all; send fewer at once";
  if (!req.puts.empty() || !req.gets.empty() || req.in || req.gpus || req.timeoutMs ||
      !req.archFiles.empty())
    return "option \"batch\": not with puts, gets, stdin, gpus, timeout_ms or arch_files; "
           "submit such commands one by one";
  return "";
}

int execMethod(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  Node& node = *static_cast<Node*>(userdata);
  ExecClient::Request req;  // descriptors taken so far close with it on any early return
  return guarded(error, [&]() -> int {
    char** argv = nullptr;
    int r = sd_bus_message_read_strv(m, &argv);
    if (r < 0) return r;
    for (char** a = argv; a && *a; ++a) {
      req.argv.emplace_back(*a);
      free(*a);
    }
    free(argv);
    int fds[3] = {-1, -1, -1};
    if ((r = sd_bus_message_read(m, "hhh", &fds[0], &fds[1], &fds[2])) < 0) return r;
    std::string why;
    const char* names[3] = {"stdout", "stderr", "files"};
    UniqueFd* targets[3] = {&req.out, &req.err, &req.files};
    for (int i = 0; i < 3; ++i) {
      targets[i]->reset(takeFd(fds[i], names[i], true, why));
      if (!*targets[i]) return replyError(error, kErrorInvalidArgument, why);
    }
    if ((r = sd_bus_message_enter_container(m, 'a', "(ssbh)")) < 0) return r;
    const char *name = nullptr, *sha = nullptr;
    int executable = 0, fd = -1;
    while ((r = sd_bus_message_read(m, "(ssbh)", &name, &sha, &executable, &fd)) > 0) {
      ExecClient::PutFile p;
      p.name = name;
      p.executable = executable != 0;
      if (auto ok = checkFileName(p.name); !ok)
        return replyError(error, kErrorInvalidArgument, "put: " + ok.error());
      auto digest = fromHex(sha);
      if (!digest || digest->size() != 32)
        return replyError(
            error, kErrorInvalidArgument,
            std::string("put ") + name + ": sha256 \"" + sha + "\" is not 64 hex digits");
      std::copy(digest->begin(), digest->end(), p.sha256.begin());
      p.fd.reset(takeFd(fd, name, false, why));
      if (!p.fd) return replyError(error, kErrorInvalidArgument, "put " + why);
      struct stat st {};
      ::fstat(p.fd.get(), &st);
      p.size = static_cast<uint64_t>(st.st_size);
      for (auto& other : req.puts)
        if (other.name == p.name)
          return replyError(error, kErrorInvalidArgument, "put: " + p.name + " is given twice");
      req.puts.push_back(std::move(p));
    }
    if (r < 0) return r;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    char** gets = nullptr;
    if ((r = sd_bus_message_read_strv(m, &gets)) < 0) return r;
    for (char** g = gets; g && *g; ++g) {
      req.gets.emplace_back(*g);
      free(*g);
    }
    free(gets);
    for (auto& g : req.gets)
      if (auto ok = checkGetPattern(g); !ok)
        return replyError(error, kErrorInvalidArgument, ok.error());
    if (req.argv.empty())
      return replyError(error, kErrorInvalidArgument,
                        "argv: empty; give the command after --, e.g. vesta exec -- make -j4");
    if (req.argv.size() > kMaxArgs || req.puts.size() > kMaxShippedFiles ||
        req.gets.size() > kMaxGetPatterns)
      return replyError(error, kErrorInvalidArgument, "too many arguments, files or patterns");
    if ((r = readExecOptions(m, error, req)) < 0) return r;
    if (req.framed)
      if (auto refusal = batchRefusal(req); !refusal.empty())
        return replyError(error, kErrorInvalidArgument, refusal);
    if (auto ok = api::checkOnLocal(req.on, req.local, kOnAndLocal); !ok)
      return replyError(error, kErrorInvalidArgument, ok.error());
    auto job = node.submitExec(std::move(req));
    if (!job) return replyError(error, kErrorRefused, job.error());
    node.watchSubmitter((*job)->id, m);
    return sd_bus_reply_method_return(m, "o", jobPath((*job)->id).c_str());
  });
}

}  // namespace

int execMethodHandler(sd_bus_message* m, void* userdata, sd_bus_error* error) {
  return execMethod(m, userdata, error);
}

}  // namespace vesta
