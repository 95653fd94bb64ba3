// vesta: the command-line client of vestad, over D-Bus.
#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "arch_placement.h"
#include "commands.h"
#include "exec_policy.h"
#include "fanout.h"
#include "job.h"
#include "pipe_blocks.h"
#include "vesta_version.h"

namespace {

using vesta::ClientError;
using vesta::CliOptions;

using Numbers = std::vector<uint64_t>;

constexpr uint64_t kMaxRetries = 100;  // more is a loop, not a retry

// Placement and job flags a command takes; any other command refuses them.
enum Flag : unsigned { kSeed = 1, kPlacement = 2, kNoSplit = 4 };

// One command of vesta. This table drives -help, the known-command check, the argument checks
// and dispatch. `args` are shown in -help and in usage errors; with `numeric`, each of the
// `positional` arguments is a whole number min..max named by its word in `args`.
struct Command {
  const char* name;
  const char* args;
  const char* help;  // continuation lines are indented under the first
  size_t positional;
  bool numeric;
  uint64_t min, max;
  unsigned flags;
  int (*run)(vesta::Client&, const CliOptions&, const Numbers&);  // null: a line of -help only
};

constexpr size_t kAnyArgs = SIZE_MAX;  // exec: the command after -- is checked on its own

const Command kCommands[] = {
    {"status", "", "this node: CPU, memory, power, jobs", 0, false, 0, 0, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) { return commandStatus(c, o); }},
    {"cpu", "N [--seed HEX]",
     "run N million SHA-256 iterations wherever there is room (split\nover nodes when large); "
     "prints where, why, how fast, result",
     1, true, 1, vesta::kMaxCpuMillions, kSeed | kPlacement | kNoSplit,
     [](vesta::Client& c, const CliOptions& o, const Numbers& n) {
       return commandCpu(c, o, n[0]);
     }},
    {"mem", "MB MS", "allocate MB MiB, touch every page, hold MS ms, where it fits", 2, true, 0,
     UINT64_MAX / 2, kPlacement,
     [](vesta::Client& c, const CliOptions& o, const Numbers& n) {
       return commandMem(c, o, n[0], n[1]);
     }},
    {"submit", "cpu|mem ARGS", "the same as cpu and mem", 0, false, 0, 0, 0, nullptr},
    {"stress", "CORES SECONDS", "keep CORES cores busy (0 = all) on the node, as its owner would",
     2, true, 0, UINT32_MAX, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers& n) {
       return commandStress(c, o, static_cast<uint32_t>(n[0]), static_cast<uint32_t>(n[1]));
     }},
    {"stop-stress", "", "end a stress early", 0, false, 0, 0, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) { return commandStopStress(c, o); }},
    {"peers", "", "the other nodes this one hears: state, load, power", 0, false, 0, 0, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) { return commandPeers(c, o); }},
    {"jobs", "", "list recent jobs", 0, false, 0, 0, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) { return commandJobs(c, o); }},
    {"ledger", "", "what this node lent to and borrowed from each peer, and caps", 0, false, 0, 0,
     0, [](vesta::Client& c, const CliOptions& o, const Numbers&) { return commandLedger(c, o); }},
    {"cancel", "ID", "cancel a job", 1, false, 0, 0, 0,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) {
       return commandCancel(c, o, o.args[1]);
     }},
    {"exec", "[OPTIONS] -- CMD ARGS",
     "run CMD on the best node that permits it; its stdin, stdout,\nstderr and exit status are "
     "vesta's (255: it could not run)",
     kAnyArgs, false, 0, 0, kPlacement,
     [](vesta::Client& c, const CliOptions& o, const Numbers&) {
       return o.each ? commandExecEach(c, o) : commandExec(c, o);
     }},
    {"exec", "--each A B... -- CMD {}",
     "one CMD per argument across the federation ({} {.} {/}\n{//} {/.} {#} as in GNU parallel), "
     "outputs grouped, summary",
     0, false, 0, 0, 0, nullptr},
    {"exec", "--each --pipe -- CMD",
     "one CMD per block of stdin (--block SIZE, default 1M, cut\nat line ends); -k: outputs in "
     "input order",
     0, false, 0, 0, 0, nullptr},
};

const Command* findCommand(const std::string& name) {
  for (const Command& c : kCommands)
    if (c.run && name == c.name) return &c;
  return nullptr;
}

// "the cpu command", or "cpu, mem and exec": the commands that take `flag`.
std::string takersOf(Flag flag) {
  std::vector<std::string> names;
  for (const Command& c : kCommands)
    if (c.run && (c.flags & flag)) names.push_back(c.name);
  if (names.size() == 1) return "the " + names[0] + " command";
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string usage() {
  std::string out =
      "Usage: vesta [-bus system|user|ADDRESS] [-node NAME] [--json] COMMAND [ARGS]\n\nCommands:\n";
  for (const Command& c : kCommands) {
    std::string line = std::string("  ") + c.name + (*c.args ? " " : "") + c.args;
    line += std::string(line.size() < 27 ? 27 - line.size() : 0, ' ') + " ";
    for (const char* h = c.help; *h; ++h)
      line += *h == '\n' ? "\n" + std::string(28, ' ') : std::string(1, *h);
    out += line + "\n";
  }
  return out +
         "\n"
         "Options (also as --flag):\n"
         "  -bus BUS     system, user or a D-Bus address (default: $VESTA_BUS, else system as "
         "root,\n"
         "               else user)\n"
         "  -node NAME   talk to the vestad named NAME (several may share a bus)\n"
         "  --json       print one JSON document (errors too) for scripts\n"
         "\n"
         "Placement (cpu, mem and exec; the autopilot decides otherwise):\n"
         "  --on NODE    run on NODE (it may still refuse)\n"
         "  --local      run on this node\n"
         "  --no-split   run a large cpu job whole on one node\n"
         "\n"
         "Exec options:\n"
         "  --put FILE       copy FILE into the job's directory first (cached by content);\n"
         "                   a ./program is shipped by itself (the node needs allow_shipped_exec)\n"
         "  --get PATTERN    bring matching files back here afterwards (e.g. '*.flac'); only\n"
         "                   names a pattern matches, never over an existing file\n"
         "  --force          let --get replace a file of the same name here\n"
         "  --timeout S      kill the command after S seconds (exit 124)\n"
         "  --mem MB         limit its address space; --cpu-time S limits its CPU seconds\n"
         "  --gpu[=N]        run where N GPUs (default 1) are lent and free; the job gets them\n"
         "                   in CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES and VESTA_GPU\n"
         "  --arch A[,B]     only on nodes of these architectures (x86_64, aarch64, armhf...)\n"
         "  --each-from F    read --each arguments from file F, one per line (- for stdin);\n"
         "                   also as -- CMD {} ::: A B (every word an argument) or :::: F\n"
         "  -n, --no-stdin   the command's stdin is /dev/null (by default vesta's stdin is\n"
         "                   forwarded; --each jobs get /dev/null unless --pipe)\n"
         "  --pipe           with --each: cut stdin at line ends into blocks, one job each\n"
         "  --block SIZE     --pipe's block size (default 1M; e.g. 64k, 16M)\n"
         "  -k, --keep-order --pipe: print the outputs in input order\n"
         "  --retries N      run a failed command again, up to N more times, on a node that\n"
         "                   has not failed it while there is one\n"
         "  --joblog F       log each ended job to F in GNU parallel's format (fsync'd)\n"
         "  --resume         with --joblog: skip the jobs F has; --resume-failed: skip only\n"
         "                   the ones that succeeded\n"
         "\n"
         "Exit codes: 0 success, 1 job failed, 2 usage error, 3 vestad unreachable.\n";
}

tl::expected<uint64_t, ClientError> number(const std::string& what, const std::string& text,
                                           uint64_t min, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end || text[0] == '-' || errno || v < min || v > max)
    return tl::unexpected(
        ClientError{vesta::kExitUsage, what + ": \"" + text + "\" is not a whole number " +
                                           std::to_string(min) + ".." + std::to_string(max)});
  return v;
}

// Splits the command line into options and positional arguments; options may appear anywhere.
tl::expected<CliOptions, ClientError> parseArgs(int argc, char** argv, bool& help, bool& version) {
  CliOptions o;
  bool execMode = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (execMode && arg == "--") {
      // Everything after -- is the command, verbatim: never options of vesta's.
      o.command.assign(argv + i + 1, argv + argc);
      break;
    }
    std::string name = arg;
    std::optional<std::string> inlineValue;
    if (arg.size() > 1 && arg[0] == '-') {
      name = arg.substr(arg[1] == '-' ? 2 : 1);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
    } else {
      if (o.args.empty() && arg == "exec") execMode = true;
      if (execMode && !o.args.empty() && !o.each) {
        // No --: the command starts at the first word that is not an option (as ssh reads it).
        o.command.assign(argv + i, argv + argc);
        break;
      }
      if (execMode && o.each && !o.args.empty())
        o.eachArgs.push_back(arg);
      else
        o.args.push_back(arg);
      continue;
    }
    auto value = [&]() -> tl::expected<std::string, ClientError> {
      if (inlineValue) return *inlineValue;
      if (i + 1 >= argc)
        return tl::unexpected(ClientError{vesta::kExitUsage, arg + ": missing value"});
      return std::string(argv[++i]);
    };
    if (name == "json") {
      o.json = true;
    } else if (name == "help" || name == "h") {
      help = true;
    } else if (name == "version") {
      version = true;
    } else if (name == "bus" || name == "node" || name == "seed" || name == "on") {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      (name == "bus" ? o.bus : name == "node" ? o.node : name == "on" ? o.on : o.seed) = *v;
    } else if (name == "local") {
      o.local = true;
    } else if (execMode && name == "arch") {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      if (auto list = vesta::parseArchList(*v); !list)
        return tl::unexpected(ClientError{vesta::kExitUsage, list.error()});
      o.arch = *v;
    } else if (execMode && (name == "put" || name == "get" || name == "each-from")) {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      if (name == "each-from") {
        o.eachFrom = *v;
        o.each = true;
      } else {
        (name == "put" ? o.puts : o.gets).push_back(*v);
      }
    } else if (execMode && (name == "timeout" || name == "mem" || name == "cpu-time")) {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      auto n = number("--" + name, *v, 1, name == "mem" ? 1u << 20 : 7 * 86400);
      if (!n) return tl::unexpected(n.error());
      (name == "timeout" ? o.timeoutMs
       : name == "mem"   ? o.memMb
                         : o.cpuS) = name == "timeout" ? *n * 1000 : *n;
    } else if (execMode && name == "gpu") {
      // --gpu alone is one GPU: its value, if any, is given inline (--gpu=2), never as the
      // next word, which is the command's.
      auto n = number("--gpu", inlineValue.value_or("1"), 1, 16);
      if (!n) return tl::unexpected(n.error());
      o.gpus = *n;
    } else if (execMode && name == "retries") {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      auto n = number("--retries", *v, 0, kMaxRetries);
      if (!n) return tl::unexpected(n.error());
      o.retries = static_cast<unsigned>(*n);
    } else if (execMode && name == "joblog") {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      if (v->empty())
        return tl::unexpected(ClientError{vesta::kExitUsage, "--joblog: give a file name"});
      o.joblog = *v;
    } else if (execMode && (name == "resume" || name == "resume-failed")) {
      (name == "resume" ? o.resume : o.resumeFailed) = true;
    } else if (execMode && name == "each") {
      o.each = true;
    } else if (execMode && name == "force") {
      o.force = true;
    } else if (execMode && (name == "n" || name == "no-stdin")) {
      o.noStdin = true;
    } else if (execMode && (name == "k" || name == "keep-order")) {
      o.keepOrder = true;
    } else if (execMode && name == "pipe") {
      o.pipe = true;
    } else if (execMode && name == "block") {
      auto v = value();
      if (!v) return tl::unexpected(v.error());
      auto n = vesta::parseBlockSize(*v);
      if (!n) return tl::unexpected(ClientError{vesta::kExitUsage, n.error()});
      o.blockBytes = *n;
    } else if (name == "no-split") {
      o.noSplit = true;
    } else {
      return tl::unexpected(ClientError{
          vesta::kExitUsage, "unknown option " + arg + "; run vesta -help for the list"});
    }
  }
  if (execMode) {
    // GNU parallel's ways of giving the arguments after the command: ::: A B, :::: FILE.
    auto split = vesta::splitCommandArgs(o.command);
    if (!split) return tl::unexpected(ClientError{vesta::kExitUsage, split.error()});
    if (split->inlineArgs || !split->argFile.empty()) {
      if (o.each)
        return tl::unexpected(ClientError{
            vesta::kExitUsage,
            "arguments given both with --each/--each-from and after ::: or ::::; use one"});
      if (split->inlineArgs && split->args.empty())
        return tl::unexpected(ClientError{vesta::kExitUsage,
                                          "\":::\" with nothing after it: give the arguments, e.g. "
                                          "vesta exec -- echo {} ::: a b c"});
      o.each = true;
      o.eachArgs = std::move(split->args);
      o.eachFrom = std::move(split->argFile);
      o.command = std::move(split->command);
    }
  }
  return o;
}

int usageError(const CliOptions& o, const std::string& message) {
  return vesta::reportError(o, {vesta::kExitUsage, message + " (run vesta -help)"});
}

// The stdin flags of exec, together: --pipe needs --each and stdin; --block and -k need --pipe.
vesta::Result<void> checkStdinFlags(const CliOptions& o) {
  if (o.pipe && !o.each)
    return vesta::fail(
        "--pipe cuts stdin into one job per block, so it goes with --each "
        "(e.g. vesta exec --each --pipe -- grep foo)");
  if (o.pipe && (!o.eachArgs.empty() || !o.eachFrom.empty()))
    return vesta::fail(
        "--pipe makes its jobs from the blocks of stdin: give --each no "
        "arguments and no --each-from");
  if (o.pipe && o.noStdin) return vesta::fail("--pipe reads stdin, -n (--no-stdin) closes it");
  if (o.blockBytes && !o.pipe)
    return vesta::fail("--block sets the size of --pipe's blocks; add --each --pipe");
  if (o.keepOrder && !o.pipe)
    return vesta::fail("-k (--keep-order) orders the outputs of --each --pipe; add --pipe");
  return {};
}

// Checks what a command was given, before connecting, so usage errors never depend on a
// running daemon. Returns its numeric arguments.
tl::expected<Numbers, ClientError> checkArgs(const Command& cmd, const CliOptions& o) {
  auto bad = [&](const std::string& m) {
    return tl::unexpected(ClientError{vesta::kExitUsage, m + " (run vesta -help)"});
  };
  if (!o.seed.empty() && !(cmd.flags & kSeed)) return bad("--seed belongs to " + takersOf(kSeed));
  if ((!o.on.empty() || o.local) && !(cmd.flags & kPlacement))
    return bad(std::string(o.local ? "--local" : "--on") + " belongs to " + takersOf(kPlacement));
  if (o.noSplit && !(cmd.flags & kNoSplit))
    return bad("--no-split belongs to " + takersOf(kNoSplit));
  if (auto ok = vesta::api::checkOnLocal(o.on, o.local, "--on and --local"); !ok)
    return bad(ok.error());
  if (cmd.positional != kAnyArgs && o.args.size() != cmd.positional + 1)
    return bad(std::string("usage: vesta ") + cmd.name + (*cmd.args ? " " : "") + cmd.args);
  Numbers nums;
  std::string words = cmd.args;  // each number is named by its word: "mem MB", "cpu N"
  for (size_t k = 1; cmd.numeric && k <= cmd.positional; ++k) {
    std::string word = words.substr(0, words.find(' '));
    words = words.substr(std::min(words.size(), word.size() + 1));
    auto n = number(std::string(cmd.name) + " " + word, o.args[k], cmd.min, cmd.max);
    if (!n) return tl::unexpected(n.error());
    nums.push_back(*n);
  }
  if (!o.seed.empty() && (o.seed.size() != 64 ||
                          o.seed.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
    return bad("--seed: \"" + o.seed + "\" is not 64 hex digits (32 bytes)");
  if (cmd.positional == kAnyArgs) {  // exec
    if (o.command.empty())
      return bad("usage: vesta exec [--on NODE] [--put FILE] [--get PATTERN] -- COMMAND [ARGS]");
    if (o.command[0].empty()) return bad("exec: the command is an empty string");
    for (auto& g : o.gets)
      if (auto ok = vesta::checkGetPattern(g); !ok) return bad(ok.error());
    if (o.json) return bad("exec: --json does not apply; the command's output is the output");
    if (auto ok = checkStdinFlags(o); !ok) return bad(ok.error());
    if ((o.resume || o.resumeFailed) && o.joblog.empty())
      return bad(std::string(o.resume ? "--resume" : "--resume-failed") +
                 " reads the job log: give it with --joblog FILE");
    if (o.resume && o.resumeFailed)
      return bad("--resume and --resume-failed: give one (--resume-failed also skips the ok ones)");
    if (!o.joblog.empty() && !o.each)
      return bad(
          "--joblog belongs to a fan-out: --each A B, --each-from FILE, ::: A B or :::: FILE");
    // A --pipe block is read once and not kept: it cannot be run again, nor skipped by Seq.
    if (o.pipe && (o.retries || !o.joblog.empty()))
      return bad(std::string(o.retries ? "--retries" : "--joblog") +
                 " does not work with --pipe: its blocks are not kept to run again");
  }
  return nums;
}

int run(int argc, char** argv) {
  // A vesta started with stdin closed would open its bus connection as fd 0 and then forward
  // it as the command's stdin: hold fd 0 with /dev/null first.
  if (::fcntl(0, F_GETFD) < 0) ::open("/dev/null", O_RDONLY);
  bool help = false, version = false;
  auto parsed = parseArgs(argc, argv, help, version);
  if (!parsed) {
    CliOptions plain;
    for (int i = 1; i < argc; ++i)
      if (!std::strcmp(argv[i], "--json") || !std::strcmp(argv[i], "-json")) plain.json = true;
    return vesta::reportError(plain, parsed.error());
  }
  CliOptions& o = *parsed;
  if (help) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("vesta %s\n", VESTA_VERSION);
    return 0;
  }
  if (o.args.empty()) return usageError(o, "no command given");
  if (o.args[0] == "submit") o.args.erase(o.args.begin());  // "submit cpu 5" == "cpu 5"
  if (o.args.empty()) return usageError(o, "submit: expected cpu or mem");
  const Command* cmd = findCommand(o.args[0]);
  if (!cmd) return usageError(o, "unknown command \"" + o.args[0] + "\"");
  auto nums = checkArgs(*cmd, o);
  if (!nums) return vesta::reportError(o, nums.error());
  auto client = vesta::Client::connect(o.bus, o.node);
  if (!client) return vesta::reportError(o, client.error());
  return cmd->run(*client, o, *nums);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vesta: internal error: %s\n", e.what());
    return 1;
  }
}
