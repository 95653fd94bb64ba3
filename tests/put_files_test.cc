#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "put_files.h"
#include "test_util.h"

using namespace vesta;

namespace {

size_t openDescriptors() {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) n += !e.path().empty();
  return n;
}

std::string writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("the files to ship are opened, hashed and named by their basename", "[exec]") {
  TempDir dir;
  std::string a = writeFile(dir.path + "/a.txt", "abc");
  std::string tool = writeFile(dir.path + "/tool", "#!/bin/sh\n");
  ::chmod(tool.c_str(), 0755);
  auto puts = openPuts({a, tool});
  REQUIRE(puts);
  REQUIRE(puts->size() == 2);
  CHECK((*puts)[0].name == "a.txt");
  CHECK((*puts)[0].sha == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_FALSE((*puts)[0].executable);
  CHECK((*puts)[1].executable);
  CHECK((*puts)[1].fd);
}

TEST_CASE("a put that fails leaves no descriptor open, however far it got", "[exec]") {
  TempDir dir;
  std::filesystem::create_directory(dir.path + "/sub");
  std::string a = writeFile(dir.path + "/a", "1");
  std::string b = writeFile(dir.path + "/b", "2");
  std::string twin = writeFile(dir.path + "/sub/a", "3");
  size_t before = openDescriptors();
  // As `vesta exec --each` submits one job after another: every failure must give back all.
  for (int i = 0; i < 20; ++i) {
    auto sameName = openPuts({a, b, twin});
    REQUIRE_FALSE(sameName);
    CHECK(sameName.error().message == "--put: two files are named a");
    CHECK(sameName.error().code == kExitUsage);
    auto missing = openPuts({a, b, dir.path + "/none"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("No such file") != std::string::npos);
    auto directory = openPuts({a, dir.path + "/sub"});
    REQUIRE_FALSE(directory);
    CHECK(directory.error().message.find("not a regular file") != std::string::npos);
  }
  CHECK(openDescriptors() == before);
}

TEST_CASE("a relative program is shipped with its job unless it is shipped already", "[exec]") {
  TempDir dir;
  std::string tool = writeFile(dir.path + "/tool", "x");
  std::vector<std::string> puts;
  addProgram({"/bin/true"}, puts);
  addProgram({"make", "-j4"}, puts);
  CHECK(puts.empty());
  addProgram({tool}, puts);  // an absolute path is the runner's own program
  CHECK(puts.empty());
}
