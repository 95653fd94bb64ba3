#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "exec_policy.h"

using vesta::ExecPolicy;
using vesta::ResolvedProgram;

namespace {

// A throwaway tree: bin/ with an executable "make", a plain file, a symlink; scratch/ with a
// shipped "tool".
struct Tree {
  std::string root;
  Tree() {
    char tmpl[] = "/tmp/vesta-exec-policy-XXXXXX";
    root = ::mkdtemp(tmpl);
    std::filesystem::create_directories(root + "/bin");
    std::filesystem::create_directories(root + "/scratch");
    executable(root + "/bin/make");
    executable(root + "/bin/sh");
    std::ofstream(root + "/bin/notes.txt") << "not a program";
    std::filesystem::create_symlink(root + "/bin/make", root + "/bin/gmake");
    std::filesystem::create_symlink(root + "/bin/sh", root + "/bin/evil-make-dir");
    executable(root + "/scratch/tool");
    std::filesystem::create_symlink(root + "/bin/sh", root + "/scratch/escape");
  }
  ~Tree() { std::filesystem::remove_all(root); }
  static void executable(const std::string& path) {
    std::ofstream(path) << "#!/bin/sh\n";
    ::chmod(path.c_str(), 0755);
  }
  std::string path() const { return root + "/bin"; }
  std::string scratch() const { return root + "/scratch"; }
};

}  // namespace

TEST_CASE("normalPath removes dots, double slashes and climbs", "[exec_policy]") {
  CHECK(vesta::normalPath("/usr/bin/../bin/./ls") == "/usr/bin/ls");
  CHECK(vesta::normalPath("//usr///bin/") == "/usr/bin");
  CHECK(vesta::normalPath("/..") == "/");
  CHECK(vesta::normalPath("./piwork") == "piwork");
  CHECK(vesta::normalPath("a/../../b") == "../b");
  CHECK(vesta::normalPath(".") == ".");
}

TEST_CASE("a bare name is looked up in PATH, absolute entries only", "[exec_policy]") {
  Tree t;
  auto found = vesta::resolveProgram("make", t.scratch(), "relative/dir:" + t.path());
  REQUIRE(found);
  CHECK(found->path == t.path() + "/make");
  CHECK_FALSE(found->shipped);
  auto missing = vesta::resolveProgram("ffmpeg", t.scratch(), t.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("no such program in PATH") != std::string::npos);
  CHECK_FALSE(vesta::resolveProgram("notes.txt", t.scratch(), t.path()));
}

TEST_CASE("an empty argv[0] is refused with a hint", "[exec_policy]") {
  auto r = vesta::resolveProgram("", "/tmp", "/usr/bin");
  REQUIRE_FALSE(r);
  CHECK(r.error().find("empty") != std::string::npos);
}

TEST_CASE("a relative program lives in the job's directory and may not leave it", "[exec_policy]") {
  Tree t;
  auto shipped = vesta::resolveProgram("./tool", t.scratch(), t.path());
  REQUIRE(shipped);
  CHECK(shipped->shipped);
  CHECK(shipped->path == t.scratch() + "/tool");
  CHECK_FALSE(vesta::resolveProgram("../bin/make", t.scratch(), t.path()));
  CHECK_FALSE(vesta::resolveProgram("./a/../../bin/make", t.scratch(), t.path()));
  auto escape = vesta::resolveProgram("./escape", t.scratch(), t.path());
  REQUIRE_FALSE(escape);
  CHECK(escape.error().find("out of the job's directory") != std::string::npos);
  CHECK_FALSE(vesta::resolveProgram("./absent", t.scratch(), t.path()));
}

TEST_CASE("the allowlist matches basenames and exact files", "[exec_policy]") {
  Tree t;
  ResolvedProgram make{t.path() + "/make", false};
  ResolvedProgram gmake{t.path() + "/gmake", false};
  ResolvedProgram sh{t.path() + "/sh", false};
  ResolvedProgram dotdot{vesta::normalPath(t.path() + "/../bin/sh"), false};
  CHECK(vesta::allowlistPermits({"make"}, make));
  CHECK_FALSE(vesta::allowlistPermits({"make"}, sh));
  CHECK_FALSE(vesta::allowlistPermits({"make"}, dotdot));
  // A full-path entry: the same file, also through a symlink to it; never another file.
  CHECK(vesta::allowlistPermits({t.path() + "/make"}, make));
  CHECK(vesta::allowlistPermits({t.path() + "/make"}, gmake));
  CHECK_FALSE(vesta::allowlistPermits({t.path() + "/make"}, sh));
  CHECK_FALSE(vesta::allowlistPermits({t.path() + "/evil-make-dir"}, make));
  CHECK_FALSE(vesta::allowlistPermits({}, make));
}

TEST_CASE("the lender's decision names the node and the rule", "[exec_policy]") {
  Tree t;
  ResolvedProgram make{t.path() + "/make", false}, tool{t.scratch() + "/tool", true};
  CHECK(vesta::execRefusal({false, false, {}, 0}, "pi4", "make", make) ==
        "pi4: exec is off there (allow_exec)");
  CHECK(vesta::execRefusal({true, false, {}, 0}, "pi4", "make", make).empty());
  CHECK(vesta::execRefusal({true, false, {"cc"}, 0}, "pi4", "make", make)
            .find("not in its exec_allowlist") != std::string::npos);
  // Shipped programs need their own consent, and then bypass the allowlist.
  CHECK(vesta::execRefusal({true, false, {"tool"}, 0}, "pi4", "./tool", tool)
            .find("allow_shipped_exec") != std::string::npos);
  CHECK(vesta::execRefusal({true, true, {"cc"}, 0}, "pi4", "./tool", tool).empty());
}

TEST_CASE("each decision names the one rule that forbids the program", "[exec_policy]") {
  using vesta::ExecRule;
  Tree t;
  ResolvedProgram make{t.path() + "/make", false}, tool{t.scratch() + "/tool", true};
  CHECK(vesta::execRule({false, true, {}, 0}, make) == ExecRule::ExecOff);
  CHECK(vesta::execRule({false, true, {}, 0}, tool) == ExecRule::ExecOff);
  CHECK(vesta::execRule({true, false, {}, 0}, make) == ExecRule::Allowed);
  CHECK(vesta::execRule({true, false, {"make"}, 0}, make) == ExecRule::Allowed);
  CHECK(vesta::execRule({true, false, {"cc"}, 0}, make) == ExecRule::NotAllowlisted);
  CHECK(vesta::execRule({true, false, {"tool"}, 0}, tool) == ExecRule::ShippedOff);
  CHECK(vesta::execRule({true, true, {"cc"}, 0}, tool) == ExecRule::Allowed);
}

TEST_CASE("a program is shipped when argv[0] is a relative path with a slash", "[exec_policy]") {
  CHECK(vesta::namesShippedProgram("./piwork"));
  CHECK(vesta::namesShippedProgram("bin/tool"));
  CHECK_FALSE(vesta::namesShippedProgram("make"));
  CHECK_FALSE(vesta::namesShippedProgram("/usr/bin/make"));
}

TEST_CASE("a submitter predicts refusals from a peer's policy", "[exec_policy]") {
  ExecPolicy p{true, false, {"make", "/usr/bin/python3"}, 4};
  CHECK(vesta::execWouldRefuse(p, "pi4", "make", false).empty());
  CHECK(vesta::execWouldRefuse(p, "pi4", "/usr/local/bin/make", false).empty());
  CHECK(vesta::execWouldRefuse(p, "pi4", "python3", false).empty());
  CHECK_FALSE(vesta::execWouldRefuse(p, "pi4", "ls", false).empty());
  // An absolute path may be a symlink to /usr/bin/python3 there: only the node can tell.
  CHECK(vesta::execWouldRefuse(p, "pi4", "/opt/links/py", false).empty());
  CHECK_FALSE(
      vesta::execWouldRefuse({true, false, {"make"}, 4}, "pi4", "/opt/links/py", false).empty());
  CHECK_FALSE(vesta::execWouldRefuse(p, "pi4", "./make", true).empty());
  CHECK_FALSE(vesta::execWouldRefuse({false, true, {}, 4}, "pi4", "make", false).empty());
}

TEST_CASE("file names and --get patterns stay inside one directory", "[exec_policy]") {
  CHECK(vesta::checkFileName("song.wav"));
  CHECK_FALSE(vesta::checkFileName(""));
  CHECK_FALSE(vesta::checkFileName(".."));
  CHECK_FALSE(vesta::checkFileName("a/b"));
  CHECK_FALSE(vesta::checkFileName("bad\nname"));
  CHECK_FALSE(vesta::checkFileName(std::string(256, 'x')));
  CHECK(vesta::checkGetPattern("*.flac"));
  CHECK_FALSE(vesta::checkGetPattern("../*"));
  CHECK_FALSE(vesta::checkGetPattern(""));
}

TEST_CASE("a submitter takes only the --get files it asked for, by plain name", "[exec_policy]") {
  using vesta::acceptFetchedFile;
  const std::vector<std::string> txt{"out*.txt"}, all{"*"}, dots{".*"};
  CHECK(acceptFetchedFile("out.txt", txt));
  CHECK(acceptFetchedFile("out-2.txt", txt));
  CHECK(acceptFetchedFile("anything", all));
  CHECK(acceptFetchedFile(".bashrc", dots));
  CHECK(acceptFetchedFile(".bashrc", {".bashrc"}));
  // What a hostile runner tried: names nobody asked for, hidden files under '*', paths.
  CHECK_FALSE(acceptFetchedFile("unasked.txt", txt));
  CHECK_FALSE(acceptFetchedFile(".bashrc", txt));
  CHECK_FALSE(acceptFetchedFile(".bashrc", all));
  CHECK_FALSE(acceptFetchedFile(".out.txt", {"*.txt"}));
  for (const char* bad : {"../out.txt", "a/out.txt", "/etc/passwd", "..", ".", "", "out\n.txt"})
    CHECK_FALSE(acceptFetchedFile(bad, all));
  CHECK_FALSE(acceptFetchedFile(std::string("out.txt\0x", 9), all));
  // No --get at all: no file is welcome, whatever its name.
  auto none = acceptFetchedFile("out.txt", {});
  REQUIRE_FALSE(none);
  CHECK(none.error() == "refused \"out.txt\": the runner sent a file, and no --get asked for one");
  auto unasked = acceptFetchedFile(".bashrc", {"*", "x"});
  REQUIRE_FALSE(unasked);
  CHECK(unasked.error() ==
        "refused \".bashrc\": the runner sent a file no --get asked for (asked: '*', 'x')");
  // A pattern with a slash never matches (the submitter refuses it before sending it anyway).
  CHECK_FALSE(acceptFetchedFile("b", {"a/../b"}));
}
