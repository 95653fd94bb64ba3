// Node configuration: defaults, the JSON config file, command-line flags and validation.
// Precedence: built-in defaults < config file < command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "result.h"

namespace vesta {

struct Config {
  // Identity and federation.
  std::string name;                    // node name; defaults to the host name
  std::string key;                     // federation secret, shared by all nodes
  std::string key_file;                // file holding the secret (keeps it out of `ps`)
  uint32_t port = 7777;                // TCP port for peer links
  uint32_t dport = 7778;               // UDP port for discovery beacons
  std::vector<std::string> seed;       // host:port of peers beyond the subnet
  std::vector<std::string> broadcast;  // where beacons are broadcast; empty = every up interface
  uint32_t advertise_spare_ms = 1000;  // beacon interval

  // What this node lends.
  uint32_t cpu_offer_pct = 75;
  uint32_t mem_offer_mb = 1024;
  uint32_t reserve_pct = 20;
  uint32_t spill_cpu_pct = 80;
  uint32_t workers = 0;              // worker threads for cpu jobs; 0 = as many as the offer allows
  uint32_t split_min_millions = 50;  // cpu jobs this large (M iterations) split over nodes
  bool allow_exec = false;
  std::vector<std::string> exec_allowlist;
  bool allow_shipped_exec = false;  // run programs a submitter shipped (bypasses the allowlist)
  // Lend the GPUs to `vesta exec --gpu` (off: a GPU job takes a whole card, and its owner
  // notices at once; BOINC's run_gpu_if_user_active is off by default for the same reason).
  bool gpu_offer = false;
  uint32_t exec_cache_mb = 1024;   // shipped files kept for reuse, by content
  uint32_t min_free_disk_pct = 5;  // shipped files never take the state dir's disk below this
  double max_borrow_ratio = 5;
  double goodwill_core_s = 3600;  // what any new peer may borrow before it has lent anything
  uint32_t battery_min_pct = 15;
  std::string power = "auto";  // auto|grid|solar|battery
  // The owner first while work runs: the budget is recomputed every sample (lib/lending_budget).
  uint32_t in_use_offer_pct = 100;  // the offer while a user is at the keyboard, % of itself
  uint32_t idle_after_s = 180;      // a user active this recently is "at the keyboard"
  double thermal_soft_c = 70;       // willingness falls linearly from 1 here ...
  double thermal_hard_c = 80;       // ... to 0 here
  uint32_t resume_after_s = 10;     // a paused command resumes after the budget is back this long
  uint32_t max_pause_s = 600;       // a command paused longer is stopped, its job failed

  // Where things live.
  std::string bus;        // system|user|ADDRESS; empty = system for root, else user
  std::string state_dir;  // empty = $STATE_DIRECTORY, $XDG_STATE_HOME/vesta, ~/.local/state/vesta
  std::string sysroot = "/";  // root for /proc and /sys (tests use fixture trees)
  std::string config;         // path of the JSON file that was loaded, if any
};

// What parseCommandLine decided: run with a config, or print help/version and exit.
struct Invocation {
  enum class Action { Run, Help, Version } action = Action::Run;
  Config config;
};

// Parses vestad's argv (flags as -flag or --flag, values as "-flag V" or "-flag=V"), loading
// -config FILE first so that flags override it. Call validateConfig next. Errors are one line.
Result<Invocation> parseCommandLine(int argc, char** argv);

// Applies a JSON config document to `config`. Unknown fields and wrong types are errors.
Result<void> applyConfigJson(Config& config, const std::string& json, const std::string& origin);

// Checks ranges and cross-field rules; fills the default name from `hostname` when unset.
Result<void> validateConfig(Config& config, const std::string& hostname);

// Refuses the federation key `key` (from -key, "key" or key_file's first line) when it is the
// example configuration's published placeholder: a node with it would join anyone's federation.
Result<void> checkKeyNotPlaceholder(const std::string& key);

// vestad -help text: every flag and config field with its default.
std::string configHelp();

// A name usable as a node name: 1-32 of [A-Za-z0-9_-]. Returns the reason when not.
Result<void> checkNodeName(const std::string& name);

}  // namespace vesta
