#include "read_layer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
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
    // A file system's clock ticks coarsely (a jiffy; a whole second where its times have no
    // nanoseconds): an entry made in the same tick as the listing leaves the mtime as it was.
    // A directory changed within a tick of the build is built again at the next job, until its
    // change is older than that. Not a wider margin: in a busy /tmp every job would rebuild.
    int64_t tickNs = then.tv_nsec == 0 ? 1'000'000'000 : 20'000'000;
    int64_t sinceNs = (layer.builtAt.tv_sec - then.tv_sec) * 1'000'000'000LL +
                      (layer.builtAt.tv_nsec - then.tv_nsec);
    if (sinceNs <= tickNs) return true;
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
  const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  // REFER (ABI 2: a link or rename into another directory) is denied by every layer that does
  // not grant it, handled or not: this one grants it beneath the jobs' scratch root, where the
  // write layer allows it, or git, cargo and `ln a/x b/y` would fail there with EXDEV.
  uint64_t refer = 0;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (landlockAbi() >= 2) refer = LANDLOCK_ACCESS_FS_REFER;
#endif
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = read | refer;
  UniqueFd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!ruleset) {
    out.error = std::string("landlock_create_ruleset: ") + std::strerror(errno);
    return out;
  }
  // Listing stays open everywhere (`ls /`, `find` work): names are not what is kept from jobs,
  // the contents of vestad's files are. So "/" gets READ_DIR, and READ_FILE goes by the grants.
  auto grant = [&](const std::string& path, uint64_t rights) {
    // O_NOFOLLOW: an entry swapped for a symlink since it was listed grants nothing. Its rights
    // go by what it is now, not by what the listing said: a directory's rights on a file are
    // refused.
    UniqueFd fd(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || S_ISLNK(st.st_mode)) return true;  // nothing to read
    if (!S_ISDIR(st.st_mode)) rights &= LANDLOCK_ACCESS_FS_READ_FILE;
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
    if (!grant(g.path, read)) return out;
  for (const auto& r : reopened)
    if (refer && !grant(r, read | refer)) return out;
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
