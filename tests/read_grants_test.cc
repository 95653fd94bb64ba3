// lib/read_grants: "everything but these paths" as Landlock grants, on a made-up file system.
#include "read_grants.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

using namespace vesta;

namespace {

const std::map<std::string, std::vector<DirEntry>> kFs = {
    {"/", {{"usr", true}, {"var", true}, {"etc", true}, {"lib", false, true}, {"vmlinuz", false}}},
    {"/var", {{"lib", true}, {"tmp", true}}},
    {"/var/lib", {{"vesta", true}, {"dpkg", true}}},
    {"/var/lib/vesta", {{"identity", false}, {"scratch", true}}},
    {"/etc", {{"passwd", false}, {"vesta", true}}},
    {"/etc/vesta", {{"vestad.json", false}, {"idle-root", true}}},
};

std::optional<std::vector<DirEntry>> list(const std::string& dir) {
  auto it = kFs.find(dir);
  if (it == kFs.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> paths(const std::vector<ReadGrant>& grants) {
  std::vector<std::string> out;
  for (const auto& g : grants) out.push_back(g.path + (g.dir && g.path != "/" ? "/" : ""));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("read grants cover everything but the hidden paths, and reopen the scratch root") {
  std::string why;
  std::vector<std::string> listed;  // what the caller stamps to know when to ask again
  auto g = readGrants(
      {"/var/lib/vesta", "/etc/vesta/vestad.json"}, {"/var/lib/vesta/scratch"},
      [&](const std::string& dir) {
        listed.push_back(dir);
        return list(dir);
      },
      &why);
  REQUIRE(g);
  CHECK(listed == std::vector<std::string>{"/", "/etc", "/etc/vesta", "/var", "/var/lib"});
  CHECK(paths(*g) == std::vector<std::string>{"/etc/passwd", "/etc/vesta/idle-root/", "/usr/",
                                              "/var/lib/dpkg/", "/var/lib/vesta/scratch/",
                                              "/var/tmp/", "/vmlinuz"});
  // lib is a symlink (merged /usr): reading through it reaches /usr, granted on its own.
}

TEST_CASE("read grants skip what lies below another hidden path, and take paths loosely written") {
  std::string why;
  auto g = readGrants({"/var/lib/vesta/", "/var/lib/vesta/scratch", "//etc/vesta"}, {}, list, &why);
  REQUIRE(g);
  CHECK(paths(*g) == std::vector<std::string>{"/etc/passwd", "/usr/", "/var/lib/dpkg/", "/var/tmp/",
                                              "/vmlinuz"});
}

TEST_CASE("read grants with nothing hidden are the whole tree") {
  std::string why;
  auto g = readGrants({}, {}, list, &why);
  REQUIRE(g);
  CHECK(paths(*g) == std::vector<std::string>{"/"});
}

TEST_CASE("read grants refuse / or a relative path, and a directory they cannot list") {
  std::string why;
  CHECK_FALSE(readGrants({"/"}, {}, list, &why));
  CHECK(why.find("\"/\"") != std::string::npos);
  CHECK_FALSE(readGrants({"state"}, {}, list, &why));
  CHECK(why.find("absolute") != std::string::npos);
  CHECK_FALSE(readGrants({"/srv/vesta/state"}, {}, list, &why));
  CHECK(why == "cannot list /srv to hide what is below it from jobs");
}
