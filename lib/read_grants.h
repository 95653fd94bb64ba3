// What a confined job may read: everything but a few hidden paths (vestad's state directory, its
// config and key files), said the only way Landlock can say it, as a list of places to allow.
// Landlock grants access beneath the paths of its rules and cannot deny a subtree of one, so
// reading "all but /var/lib/vesta" becomes: each entry of / but var, each of /var but lib, each
// of /var/lib but vesta. Pure: the caller lists directories (daemon/spawn opens the grants).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vesta {

struct DirEntry {
  std::string name;
  bool dir = false;
  bool symlink = false;  // not granted: reading through it reaches a place granted, or not
};
// The entries of a directory; nullopt when it cannot be listed.
using ListDir = std::function<std::optional<std::vector<DirEntry>>(const std::string& dir)>;

struct ReadGrant {
  std::string path;
  bool dir = false;
};

// The grants that let a job read everything except what is beneath `hidden` (absolute paths
// without symlinks), with `reopened` (paths beneath a hidden one: the jobs' scratch directories'
// root) readable again. The directories `list` is asked for are those whose entries are granted
// one by one: what is created in them later is not among the grants, so the caller makes them
// again when one of those changes. Nullopt, with `why`, when a hidden path is "/" or not absolute,
// or a directory on the way to one cannot be listed.
std::optional<std::vector<ReadGrant>> readGrants(const std::vector<std::string>& hidden,
                                                 const std::vector<std::string>& reopened,
                                                 const ListDir& list, std::string* why);

}  // namespace vesta
