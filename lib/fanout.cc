#include "fanout.h"

#include <array>
#include <utility>

namespace vesta {
namespace {

std::string withoutExtension(const std::string& path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1))
    return path;  // no extension, or a dotfile's leading dot
  return path.substr(0, dot);
}

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string dirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string expandPlaceholders(const std::string& word, const std::string& arg, size_t seq,
                               bool* used) {
  // Longest first, so "{/.}" is not read as "{/" + ".}".
  const std::array<std::pair<const char*, std::string>, 6> kinds = {{
      {"{/.}", withoutExtension(baseName(arg))},
      {"{//}", dirName(arg)},
      {"{/}", baseName(arg)},
      {"{.}", withoutExtension(arg)},
      {"{#}", std::to_string(seq)},
      {"{}", arg},
  }};
  std::string out;
  size_t i = 0;
  while (i < word.size()) {
    bool matched = false;
    if (word[i] == '{')
      for (auto& [token, value] : kinds) {
        std::string t = token;
        if (word.compare(i, t.size(), t) == 0) {
          out += value;
          i += t.size();
          matched = true;
          if (used) *used = true;
          break;
        }
      }
    if (!matched) out += word[i++];
  }
  return out;
}

std::vector<std::string> expandCommand(const std::vector<std::string>& command,
                                       const std::string& arg, size_t seq) {
  std::vector<std::string> out;
  bool used = false;
  for (auto& w : command) out.push_back(expandPlaceholders(w, arg, seq, &used));
  if (!used) out.push_back(arg);
  return out;
}

}  // namespace vesta
