// Helpers for the unit tests: fixture paths and throwaway directories.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

// tests/data, passed by meson as VESTA_TEST_DATA.
inline std::string dataPath(const std::string& name) {
  const char* dir = std::getenv("VESTA_TEST_DATA");
  return std::string(dir ? dir : "tests/data") + "/" + name;
}

inline std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh directory removed when the test ends.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vesta-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};
