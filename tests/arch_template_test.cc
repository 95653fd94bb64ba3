// {arch}: which variants of a command exist here, and which one each node gets.
#include <catch2/catch.hpp>

#include <set>

#include "arch_template.h"
#include "machine_arch.h"

using namespace vesta;

TEST_CASE("{arch} expands to the runner's machine wherever it appears", "[arch]") {
  CHECK(expandArch("./enc.{arch}", "aarch64") == "./enc.aarch64");
  CHECK(expandArch("{arch}/{arch}.out", "x86_64") == "x86_64/x86_64.out");
  CHECK(expandArch("plain {}", "x86_64") == "plain {}");
  CHECK(hasArchPlaceholder("enc.{arch}"));
  CHECK_FALSE(hasArchPlaceholder("enc.{ar}"));
  // Every machine tried is one lib/machine_arch knows (it has a Debian name there).
  for (auto& m : archMachines()) CHECK_FALSE(nodeArchFrom(m).debianName().empty());
}

TEST_CASE("the variants that exist here decide where a job may go", "[arch]") {
  std::set<std::string> here = {"./enc.x86_64", "./enc.aarch64", "lib.x86_64",
                                "lib.aarch64",  "lib.armv7l",    "song.wav"};
  auto exists = [&](const std::string& p) { return here.count(p) > 0; };
  auto v = archVariants({"./enc.{arch}", "{}"}, {"song.wav", "lib.{arch}"}, exists);
  // armv7l has lib but no enc: only the machines with every templated file.
  CHECK(v.machines == std::vector<std::string>{"x86_64", "aarch64"});
  CHECK(v.templates == std::vector<std::string>{"lib.{arch}", "enc.{arch}"});
  CHECK(v.puts == std::vector<std::string>{"song.wav", "lib.x86_64", "./enc.x86_64", "lib.aarch64",
                                           "./enc.aarch64"});
  // Nothing templated: nothing to choose.
  auto none = archVariants({"flac", "{}"}, {"song.wav"}, exists);
  CHECK(none.templates.empty());
  CHECK(none.puts == std::vector<std::string>{"song.wav"});
  // A templated program with no variant here leaves no machine.
  CHECK(archVariants({"./dec.{arch}"}, {}, exists).machines.empty());
}

TEST_CASE("each node gets only its own variants", "[arch]") {
  std::vector<std::string> templates = {"enc.{arch}"};
  CHECK(putBelongsTo("enc.aarch64", templates, "aarch64"));
  CHECK_FALSE(putBelongsTo("enc.x86_64", templates, "aarch64"));
  CHECK(putBelongsTo("song.wav", templates, "aarch64"));
  CHECK(putBelongsTo("enc.x86_64", {}, "aarch64"));
}
