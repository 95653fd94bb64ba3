// What exec jobs may read (daemon/spawn's second Landlock layer): everything but what
// spawner::hideFromJobs names, said as lib/read_grants' list of places to allow.
#pragma once

#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "unique_fd.h"

namespace vesta {

// The layer that keeps jobs from reading what spawner::hideFromJobs names: a ruleset that handles
// reading, with a rule for each place that stays readable (lib/read_grants). Another layer, made
// per job (makeRuleset), handles writing. The spawner builds it at its first job and again when
// a directory whose entries it granted one by one has changed (its mtime), or changed too close
// to the build for its mtime to tell: an entry made there since would be unreadable. Spawner
// only.
struct ReadLayer {
  UniqueFd ruleset;  // none when nothing is hidden or there is no Landlock
  std::string error;
  bool built = false;
  std::vector<std::pair<std::string, timespec>> stamps;  // the listed directories' mtimes
  timespec builtAt{};                                    // when, on the clock of mtimes
};

// The spawner's layer, built or built again when stale.
const ReadLayer& readLayer();

}  // namespace vesta
