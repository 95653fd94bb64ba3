// The files `vesta exec --put` ships: opened, hashed and named here, handed to vestad as
// descriptors. Each descriptor is owned, so a failed submit leaves none open.
#pragma once

#include <string>
#include <vector>

#include "client.h"
#include "unique_fd.h"

namespace vesta {

struct PutSpec {
  std::string name;  // in the job's directory: the file's basename
  std::string sha;   // SHA-256, 64 hex digits
  bool executable = false;
  UniqueFd fd;
};

// Opens and hashes the files to ship; an error names the file and why (exit 2).
tl::expected<std::vector<PutSpec>, ClientError> openPuts(const std::vector<std::string>& paths);

// A relative program ("./piwork") travels with the job: it is added to the files to ship.
void addProgram(const std::vector<std::string>& argv, std::vector<std::string>& puts);

}  // namespace vesta
