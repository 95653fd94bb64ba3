// vesta: the command-line client of vestad, over D-Bus.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "commands.h"
#include "exec_policy.h"
#include "job.h"
#include "vesta_version.h"

namespace {

using vesta::ClientError;
using vesta::CliOptions;

const char* kUsage =
    "Usage: vesta [-bus system|user|ADDRESS] [-node NAME] [--json] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  status                    this node: CPU, memory, power, jobs\n"
    "  cpu N [--seed HEX]        run N million SHA-256 iterations wherever there is room (split\n"
    "                            over nodes when large); prints where, why, how fast, result\n"
    "  mem MB MS                 allocate MB MiB, touch every page, hold MS ms, where it fits\n"
    "  submit cpu|mem ARGS       the same as cpu and mem\n"
    "  stress CORES SECONDS      keep CORES cores busy (0 = all) on the node, as its owner would\n"
    "  stop-stress               end a stress early\n"
    "  peers                     the other nodes this one hears: state, load, power\n"
    "  jobs                      list recent jobs\n"
    "  ledger                    what this node lent to and borrowed from each peer, and caps\n"
    "  cancel ID                 cancel a job\n"
    "  exec [OPTIONS] -- CMD ARGS run CMD on the best node that permits it; its stdout, stderr\n"
    "                            and exit status are vesta's (255: it could not run)\n"
    "  exec --each A B... -- CMD {}  one CMD per argument across the federation ({} {.} {/}\n"
    "                            {//} {/.} {#} as in GNU parallel), outputs grouped, summary\n"
    "\n"
    "Options (also as --flag):\n"
    "  -bus BUS     system, user or a D-Bus address (default: $VESTA_BUS, else system as root,\n"
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
    "  --each-from F    read --each arguments from file F, one per line (- for stdin)\n"
    "\n"
    "Exit codes: 0 success, 1 job failed, 2 usage error, 3 vestad unreachable.\n";

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
    } else if (execMode && name == "each") {
      o.each = true;
    } else if (execMode && name == "force") {
      o.force = true;
    } else if (name == "no-split") {
      o.noSplit = true;
    } else {
      return tl::unexpected(
          ClientError{vesta::kExitUsage, "unknown option " + arg + "; run vesta -help for the list"});
    }
  }
  return o;
}

int usageError(const CliOptions& o, const std::string& message) {
  return vesta::reportError(o, {vesta::kExitUsage, message + " (run vesta -help)"});
}

int run(int argc, char** argv) {
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
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (version) {
    std::printf("vesta %s\n", VESTA_VERSION);
    return 0;
  }
  if (o.args.empty()) return usageError(o, "no command given");
  if (o.args[0] == "submit") o.args.erase(o.args.begin());  // "submit cpu 5" == "cpu 5"
  if (o.args.empty()) return usageError(o, "submit: expected cpu or mem");
  const std::string cmd = o.args[0];
  auto want = [&](size_t n, const char* usage) -> bool {
    return o.args.size() == n + 1 || (usageError(o, std::string("usage: vesta ") + usage), false);
  };
  static const char* kKnown[] = {"status", "cpu",    "mem",   "stress", "stop-stress",
                                 "jobs",   "cancel", "peers", "ledger", "exec"};
  bool known = false;
  for (const char* k : kKnown) known |= cmd == k;
  if (!known) return usageError(o, "unknown command \"" + cmd + "\"");
  if (!o.seed.empty() && cmd != "cpu") return usageError(o, "--seed belongs to the cpu command");
  if ((!o.on.empty() || o.local) && cmd != "cpu" && cmd != "mem" && cmd != "exec")
    return usageError(o,
                      std::string(o.local ? "--local" : "--on") + " belongs to cpu, mem and exec");
  if (o.noSplit && cmd != "cpu") return usageError(o, "--no-split belongs to the cpu command");
  if (o.local && !o.on.empty()) return usageError(o, "--on and --local contradict each other");

  // Check arguments before connecting, so usage errors never depend on a running daemon.
  std::vector<uint64_t> nums;
  if (cmd == "cpu") {
    if (!want(1, "cpu N [--seed HEX]")) return vesta::kExitUsage;
    auto n = number("cpu N", o.args[1], 1, vesta::kMaxCpuMillions);
    if (!n) return vesta::reportError(o, n.error());
    if (!o.seed.empty() &&
        (o.seed.size() != 64 ||
         o.seed.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos))
      return usageError(o, "--seed: \"" + o.seed + "\" is not 64 hex digits (32 bytes)");
    nums.push_back(*n);
  } else if (cmd == "mem" || cmd == "stress") {
    if (!want(2, cmd == "mem" ? "mem MB MS" : "stress CORES SECONDS")) return vesta::kExitUsage;
    for (int k = 1; k <= 2; ++k) {
      auto n = number(
          cmd + (k == 1 ? (cmd == "mem" ? " MB" : " CORES") : (cmd == "mem" ? " MS" : " SECONDS")),
          o.args[k], 0, cmd == "stress" ? UINT32_MAX : UINT64_MAX / 2);
      if (!n) return vesta::reportError(o, n.error());
      nums.push_back(*n);
    }
  } else if (cmd == "exec") {
    if (o.command.empty())
      return usageError(
          o, "usage: vesta exec [--on NODE] [--put FILE] [--get PATTERN] -- COMMAND [ARGS]");
    if (o.command[0].empty()) return usageError(o, "exec: the command is an empty string");
    for (auto& g : o.gets)
      if (auto ok = vesta::checkGetPattern(g); !ok) return usageError(o, ok.error());
    if (o.json)
      return usageError(o, "exec: --json does not apply; the command's output is the output");
  } else if (cmd == "cancel") {
    if (!want(1, "cancel ID")) return vesta::kExitUsage;
  } else if (!want(0, cmd.c_str())) {
    return vesta::kExitUsage;
  }

  auto client = vesta::Client::connect(o.bus, o.node);
  if (!client) return vesta::reportError(o, client.error());
  if (cmd == "status") return commandStatus(*client, o);
  if (cmd == "cpu") return commandCpu(*client, o, nums[0]);
  if (cmd == "mem") return commandMem(*client, o, nums[0], nums[1]);
  if (cmd == "stress")
    return commandStress(*client, o, static_cast<uint32_t>(nums[0]),
                         static_cast<uint32_t>(nums[1]));
  if (cmd == "stop-stress") return commandStopStress(*client, o);
  if (cmd == "jobs") return commandJobs(*client, o);
  if (cmd == "peers") return commandPeers(*client, o);
  if (cmd == "ledger") return commandLedger(*client, o);
  if (cmd == "exec") return o.each ? commandExecEach(*client, o) : commandExec(*client, o);
  return commandCancel(*client, o, o.args[1]);
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
