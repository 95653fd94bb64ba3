// The commands of vesta. Each returns vesta's exit code and prints its own output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "client.h"

namespace vesta {

struct CliOptions {
  std::string bus;
  std::string node;
  bool json = false;
  std::string seed;               // cpu --seed HEX
  std::string on;                 // --on NODE: run there
  bool local = false;             // --local: run on this node
  bool noSplit = false;           // --no-split: one node only
  std::vector<std::string> args;  // command and its positional arguments
  // exec
  std::vector<std::string> command;     // after --
  std::vector<std::string> puts, gets;  // --put FILE, --get PATTERN (repeatable)
  uint64_t timeoutMs = 0, memMb = 0, cpuS = 0;
  uint64_t gpus = 0;   // --gpu[=N]: run only where N GPUs are lent and free, handed to it
  std::string arch;    // --arch A[,B]: only nodes of these architectures
  bool force = false;  // --force: a --get file may replace one of the same name here
  bool each = false;   // --each ARGS... -- command {}
  std::vector<std::string> eachArgs;
  std::string eachFrom;     // --each-from FILE|-, or :::: FILE
  bool noStdin = false;     // -n, --no-stdin: the command's stdin is /dev/null (as ssh -n)
  bool pipe = false;        // --pipe (with --each): one job per block of stdin
  uint64_t blockBytes = 0;  // --block SIZE; 0: kDefaultBlockBytes
  bool keepOrder = false;   // -k, --keep-order: --pipe outputs in input order
  unsigned retries = 0;     // --retries N: a failed command runs again, up to N more times
  std::string joblog;       // --joblog FILE: parallel's job log, a line per ended attempt
  bool resume = false, resumeFailed = false;  // skip what the joblog says ended (well)
};

// Opens the options a{sv} of a call with the placement ones (--on, --local) in it; the caller
// adds its own and closes it.
int appendPlacement(sd_bus_message* m, const CliOptions& options);

// Prints a failure: one line on stderr, or {"error": ...} on stdout with --json.
int reportError(const CliOptions& options, const ClientError& error);

int commandStatus(Client& client, const CliOptions& options);
int commandCpu(Client& client, const CliOptions& options, uint64_t millions);
int commandMem(Client& client, const CliOptions& options, uint64_t mb, uint64_t holdMs);
int commandStress(Client& client, const CliOptions& options, uint32_t cores, uint32_t seconds);
int commandStopStress(Client& client, const CliOptions& options);
int commandPeers(Client& client, const CliOptions& options);
int commandJobs(Client& client, const CliOptions& options);
int commandLedger(Client& client, const CliOptions& options);
int commandExec(Client& client, const CliOptions& options);
int commandExecEach(Client& client, const CliOptions& options);
int commandCancel(Client& client, const CliOptions& options, const std::string& id);

}  // namespace vesta
