// Whether a node runs a command a peer (or its owner) sent: exec consent, the allowlist, and how
// argv[0] becomes a program on this machine. Never a shell: argv[0] is resolved here, by these
// rules, and the result is exec'd directly. The checks read the file system (stat, realpath)
// but change nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "result.h"

namespace vesta {

// A node's consent to exec jobs, from its config; peers learn it over the link.
struct ExecPolicy {
  bool allow_exec = false;
  bool allow_shipped = false;          // programs shipped with --put (bypasses the allowlist)
  std::vector<std::string> allowlist;  // empty = any installed program
  uint32_t slots = 0;  // how many of a peer's commands it runs at once (cores x cpu_offer_pct)
  bool operator==(const ExecPolicy&) const = default;
};

// argv[0] made into a program on this node.
struct ResolvedProgram {
  std::string path;      // absolute, lexically normal (symlinks kept, so `cc` stays `cc`)
  bool shipped = false;  // it lies in the job's scratch directory: the submitter sent it
};

// Lexically normal form: no ".", no "..", no repeated or trailing slash. A relative path that
// climbs above its start keeps its leading "..".
std::string normalPath(const std::string& path);

// argv[0] -> program: a bare name is searched in `searchPath` (the node's PATH); an absolute
// path is taken as it is; a relative path with a slash ("./piwork") names a file in `scratch`
// and may not climb out of it. The program must be a regular, executable file.
Result<ResolvedProgram> resolveProgram(const std::string& argv0, const std::string& scratch,
                                       const std::string& searchPath);

// Does an allowlist entry permit this program? A bare name matches the program's basename
// ("make" permits /usr/bin/make and ./make); an entry with a slash matches that exact file,
// compared after resolving symlinks on both sides.
bool allowlistPermits(const std::vector<std::string>& allowlist, const ResolvedProgram& program);

// Whether argv[0] names a program shipped with the job: a relative path with a slash
// ("./piwork", "bin/tool"), which can only mean a file in the job's directory.
bool namesShippedProgram(const std::string& argv0);

// The rule of a node's policy that forbids a resolved program, or Allowed.
enum class ExecRule { Allowed, ExecOff, ShippedOff, NotAllowlisted };
ExecRule execRule(const ExecPolicy& policy, const ResolvedProgram& program);

// The lender's decision on a resolved program: empty when it may run, else the rule that
// forbids it (execRule), for the submitter ("pi4: exec is off (allow_exec)").
std::string execRefusal(const ExecPolicy& policy, const std::string& node, const std::string& argv0,
                        const ResolvedProgram& program);

// What a submitter can tell from a peer's policy alone (no file system): could it accept a
// job whose argv[0] is `argv0`, shipped or not? Empty when it could; else why not.
std::string execWouldRefuse(const ExecPolicy& policy, const std::string& node,
                            const std::string& argv0, bool shipped);

// A name for a shipped or fetched file: a plain file name (no slash, not "." or "..", no
// control characters, at most 255 bytes). The error names the value.
Result<void> checkFileName(const std::string& name);
// A --get pattern: a glob over file names in the scratch directory (no slash).
Result<void> checkGetPattern(const std::string& pattern);

// Whether the submitter takes a --get file named `name` that a runner sent. The runner is a
// member, not a trusted party: it may send any name it likes. Only a plain file name
// (checkFileName) that one of the patterns the submitter asked with matches, the way the runner
// matches them (fnmatch with FNM_PERIOD: a leading dot only when the pattern has one there, so
// '*' never brings back .bashrc); nothing at all when it asked for no --get. The error names the
// file.
Result<void> acceptFetchedFile(const std::string& name, const std::vector<std::string>& patterns);

}  // namespace vesta
