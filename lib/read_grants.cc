#include "read_grants.h"

#include <set>

namespace vesta {
namespace {

// "/a/b/" -> "/a/b"; "/a//b" -> "/a/b"; "." and ".." are not expected (the paths are real).
std::string normal(const std::string& path) {
  std::string out;
  for (char c : path)
    if (c != '/' || out.empty() || out.back() != '/') out += c;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

}  // namespace

std::optional<std::vector<ReadGrant>> readGrants(const std::vector<std::string>& hidden,
                                                 const std::vector<std::string>& reopened,
                                                 const ListDir& list, std::string* why) {
  std::set<std::string> hide, onTheWay;  // the hidden paths; the directories above them
  for (const auto& h : hidden) {
    std::string p = normal(h);
    if (p.empty() || p[0] != '/' || p == "/") {
      *why = "cannot hide \"" + h + "\" from jobs: expected an absolute path below /";
      return std::nullopt;
    }
    hide.insert(p);
    for (size_t cut = p.rfind('/'); cut != std::string::npos; cut = p.rfind('/', cut - 1)) {
      onTheWay.insert(cut == 0 ? "/" : p.substr(0, cut));
      if (cut == 0) break;
    }
  }
  std::vector<ReadGrant> grants;
  if (hide.empty()) return std::vector<ReadGrant>{{"/", true}};
  auto beneathHidden = [&](const std::string& p) {
    for (const auto& h : hide)
      if (p == h || (p.size() > h.size() && p.compare(0, h.size(), h) == 0 && p[h.size()] == '/'))
        return true;
    return false;
  };
  for (const auto& dir : onTheWay) {
    if (beneathHidden(dir)) continue;  // nothing below a hidden path is granted
    auto entries = list(dir);
    if (!entries) {
      *why = "cannot list " + dir + " to hide what is below it from jobs";
      return std::nullopt;
    }
    for (const auto& e : *entries) {
      std::string p = join(dir, e.name);
      if (hide.count(p) || onTheWay.count(p) || e.symlink) continue;
      grants.push_back({p, e.dir});
    }
  }
  for (const auto& r : reopened) grants.push_back({normal(r), true});
  return grants;
}

}  // namespace vesta
