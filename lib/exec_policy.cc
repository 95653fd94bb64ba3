#include "exec_policy.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace vesta {
namespace {

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Symlinks resolved, or empty when the file does not exist.
std::string realPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Explains why `path` cannot run: missing, not a regular file, or not executable.
std::string whyNotRunnable(const std::string& shown, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return shown + ": no such file";
  if (!S_ISREG(st.st_mode)) return shown + ": not a regular file";
  return shown + ": not executable";
}

}  // namespace

std::string normalPath(const std::string& path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!absolute)
        parts.push_back(part);  // climbs above the start; "/.." is "/"
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
  return out.empty() ? "." : out;
}

Result<ResolvedProgram> resolveProgram(const std::string& argv0, const std::string& scratch,
                                       const std::string& searchPath) {
  if (argv0.empty()) return fail("argv[0] is empty; give the command after --, e.g. -- make -j4");
  if (argv0.find('/') == std::string::npos) {
    size_t i = 0;
    while (i <= searchPath.size()) {
      size_t j = searchPath.find(':', i);
      if (j == std::string::npos) j = searchPath.size();
      std::string dir = searchPath.substr(i, j - i);
      // Only absolute PATH entries: "." or "" would make the scratch directory (or the daemon's
      // cwd) a place installed programs come from.
      if (!dir.empty() && dir[0] == '/') {
        std::string candidate = normalPath(dir + "/" + argv0);
        if (isExecutableFile(candidate)) return ResolvedProgram{candidate, false};
      }
      i = j + 1;
    }
    return fail(argv0 + ": no such program in PATH (" + searchPath + ")");
  }
  if (argv0[0] == '/') {
    std::string path = normalPath(argv0);
    if (!isExecutableFile(path)) return fail(whyNotRunnable(argv0, path));
    // An absolute path into the scratch directory is still a shipped file.
    std::string real = realPath(path), root = realPath(scratch);
    bool inScratch = !root.empty() && real.rfind(root + "/", 0) == 0;
    return ResolvedProgram{path, inScratch};
  }
  std::string relative = normalPath(argv0);
  if (relative == "." || relative.rfind("..", 0) == 0)
    return fail(argv0 + ": a relative program must stay inside the job's directory");
  std::string path = normalPath(scratch + "/" + relative);
  if (!isExecutableFile(path))
    return fail(whyNotRunnable(argv0, path) + " in the job's directory (ship it with --put)");
  // A symlink in the scratch directory could point anywhere; it is no shipped file then.
  std::string real = realPath(path), root = realPath(scratch);
  if (root.empty() || real.rfind(root + "/", 0) != 0)
    return fail(argv0 + ": leads out of the job's directory");
  return ResolvedProgram{path, true};
}

bool allowlistPermits(const std::vector<std::string>& allowlist, const ResolvedProgram& program) {
  std::string base = baseName(program.path);
  std::string real;
  for (const auto& entry : allowlist) {
    if (entry.find('/') == std::string::npos) {
      if (entry == base) return true;
      continue;
    }
    if (normalPath(entry) == program.path) return true;
    if (real.empty()) real = realPath(program.path);
    std::string entryReal = realPath(entry);
    if (!real.empty() && real == entryReal) return true;
  }
  return false;
}

std::string execWouldRefuse(const ExecPolicy& policy, const std::string& node,
                            const std::string& argv0, bool shipped) {
  if (!policy.allow_exec) return node + ": exec is off there (allow_exec)";
  if (shipped) {
    if (!policy.allow_shipped)
      return node + ": runs only installed programs, not shipped ones (allow_shipped_exec)";
    return "";
  }
  if (policy.allowlist.empty()) return "";
  std::string base = baseName(normalPath(argv0));
  for (const auto& entry : policy.allowlist) {
    if (entry.find('/') == std::string::npos) {
      if (entry == base) return "";
      continue;
    }
    // A full-path entry may match what only the node can resolve: a bare name found through its
    // PATH, or an absolute path that is a symlink there. The node decides those.
    if (argv0.find('/') == std::string::npos ? baseName(entry) == argv0 : argv0[0] == '/')
      return "";
  }
  return node + ": " + base + " is not in its exec_allowlist";
}

bool namesShippedProgram(const std::string& argv0) {
  return argv0.find('/') != std::string::npos && argv0[0] != '/';
}

ExecRule execRule(const ExecPolicy& policy, const ResolvedProgram& program) {
  if (!policy.allow_exec) return ExecRule::ExecOff;
  if (program.shipped) return policy.allow_shipped ? ExecRule::Allowed : ExecRule::ShippedOff;
  if (policy.allowlist.empty() || allowlistPermits(policy.allowlist, program))
    return ExecRule::Allowed;
  return ExecRule::NotAllowlisted;
}

std::string execRefusal(const ExecPolicy& policy, const std::string& node, const std::string& argv0,
                        const ResolvedProgram& program) {
  switch (execRule(policy, program)) {
    case ExecRule::Allowed:
      return "";
    case ExecRule::ExecOff:
      return node + ": exec is off there (allow_exec)";
    case ExecRule::ShippedOff:
      return node + ": " + argv0 +
             " was shipped, and this node runs only installed programs (allow_shipped_exec)";
    case ExecRule::NotAllowlisted:
      break;
  }
  return node + ": " + program.path + " is not in its exec_allowlist";
}

Result<void> checkFileName(const std::string& name) {
  if (name.empty()) return fail("file name is empty");
  if (name.size() > 255)
    return fail("file name \"" + name.substr(0, 40) + "...\" is over 255 bytes");
  if (name == "." || name == "..") return fail("file name \"" + name + "\" is not a file");
  for (unsigned char c : name) {
    if (c == '/') return fail("file name \"" + name + "\" has a slash; only plain names travel");
    if (c < 0x20 || c == 0x7f) return fail("file name has a control character");
  }
  return {};
}

Result<void> checkGetPattern(const std::string& pattern) {
  if (pattern.empty()) return fail("--get: the pattern is empty; expected e.g. '*.flac'");
  if (pattern.find('/') != std::string::npos)
    return fail("--get " + pattern + ": patterns match files in the job's directory; no slash");
  if (pattern.size() > 255) return fail("--get: the pattern is over 255 bytes");
  return {};
}

Result<void> acceptFetchedFile(const std::string& name, const std::vector<std::string>& patterns) {
  if (auto ok = checkFileName(name); !ok)
    return fail("refused a file the runner sent: " + ok.error());
  if (patterns.empty())
    return fail("refused \"" + name + "\": the runner sent a file, and no --get asked for one");
  for (auto& pattern : patterns)
    if (checkGetPattern(pattern) && ::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0)
      return {};
  std::string asked;
  for (auto& pattern : patterns) asked += (asked.empty() ? "'" : ", '") + pattern + "'";
  return fail("refused \"" + name +
              "\": the runner sent a file no --get asked for (asked: " + asked + ")");
}

}  // namespace vesta
