#include "read_layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "read_grants.h"
#include "spawn.h"
#include "spawner.h"

namespace vesta {
namespace {

// The entries of `dir` for lib/read_grants; nullopt when it cannot be listed.
std::optional<std::vector<DirEntry>> listDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::vector<DirEntry> out;
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
    }
    out.push_back({name, type == DT_DIR, type == DT_LNK});
  }
  ::closedir(d);
  return out;
}

std::optional<timespec> mtimeOf(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  return st.st_mtim;
}

bool stale(const ReadLayer& layer) {
  if (!layer.built || !layer.error.empty()) return true;  // a failed one is tried again
  for (const auto& [dir, then] : layer.stamps) {
    auto now = mtimeOf(dir);
    if (!now || now->tv_sec != then.tv_sec || now->tv_nsec != then.tv_nsec) return true;
    // A file system's clock may tick coarsely (a jiffy, a second): an entry made in the same
    // tick as the listing leaves the mtime as it was. A directory changed within a second of the
    // build is built again at the next job, until its change is older than that.
    if (then.tv_sec + 1 >= layer.builtAt.tv_sec) return true;
  }
  return false;
}

ReadLayer buildReadLayer() {
  ReadLayer out;
  out.built = true;
  ::clock_gettime(CLOCK_REALTIME, &out.builtAt);  // the clock of mtimes
  if (landlockAbi() <= 0 || spawner::hiddenFromJobs().empty()) return out;
  std::vector<std::string> hidden, reopened;
  for (const auto& h : spawner::hiddenFromJobs()) {
    char real[PATH_MAX];
    if (::realpath(h.c_str(), real)) hidden.push_back(real);  // one that is not there hides nothing
  }
  for (const auto& r : spawner::reopenedForJobs()) {
    char real[PATH_MAX];
    if (::realpath(r.c_str(), real)) reopened.push_back(real);
  }
  // Each directory's mtime is taken before it is listed: an entry made meanwhile shows as a
  // change at the next job.
  auto stampThenList = [&out](const std::string& dir) {
    if (auto m = mtimeOf(dir)) out.stamps.emplace_back(dir, *m);
    return listDir(dir);
  };
  std::string why;
  auto grants = readGrants(hidden, reopened, stampThenList, &why);
  if (!grants) {
    out.error = why;
    return out;
  }
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!ruleset) {
    out.error = std::string("landlock_create_ruleset: ") + std::strerror(errno);
    return out;
  }
  // Listing stays open everywhere (`ls /`, `find` work): names are not what is kept from jobs,
  // the contents of vestad's files are. So "/" gets READ_DIR, and READ_FILE goes by the grants.
  auto grant = [&](const std::string& path, uint64_t rights) {
    // O_NOFOLLOW: an entry swapped for a symlink since it was listed grants nothing.
    UniqueFd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return true;  // gone since it was listed: nothing there to read
    landlock_path_beneath_attr rule{};
    rule.allowed_access = rights;
    rule.parent_fd = fd.get();
    if (::syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0)
      return true;
    out.error = "landlock " + path + ": " + std::strerror(errno);
    return false;
  };
  if (!grant("/", LANDLOCK_ACCESS_FS_READ_DIR)) return out;
  for (const auto& g : *grants)
    if (!grant(g.path, g.dir ? attr.handled_access_fs : LANDLOCK_ACCESS_FS_READ_FILE)) return out;
  out.ruleset = std::move(ruleset);
  return out;
}

}  // namespace

const ReadLayer& readLayer() {
  static ReadLayer layer;
  if (stale(layer)) layer = buildReadLayer();
  return layer;
}

}  // namespace vesta
