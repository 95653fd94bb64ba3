#include "fanout.h"

#include <array>
#include <utility>

namespace vesta {
namespace {

// Each placeholder is what GNU parallel computes (its source: Perl regexes and
// File::Basename::dirname), including its corner cases: {.} of ".bashrc" is "" and {//} of
// "dir/" is ".". tests/integration/placeholders_test.sh holds it against parallel itself.

// {.}: s:\.[^/.]*$:: (the last dot, when no slash follows it).
std::string withoutExtension(const std::string& path) {
  auto dot = path.rfind('.');
  if (dot == std::string::npos || path.find('/', dot) != std::string::npos) return path;
  return path.substr(0, dot);
}

// {/}: s:.*/:: (everything after the last slash; "" for "dir/").
std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// File::Basename's fileparse on Unix: (everything through the last slash, or "./"; the rest).
std::pair<std::string, std::string> fileparse(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {"./", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// s{(.)/*\z}{$1}: trailing slashes go, but never the first character.
std::string stripTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// {//}: File::Basename::dirname, which ignores trailing slashes as dirname(1) does.
std::string dirName(const std::string& path) {
  auto [dir, base] = fileparse(path);
  dir = stripTrailingSlashes(dir);
  if (base.empty()) dir = stripTrailingSlashes(fileparse(dir).first);
  return dir;
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

Result<CommandWithArgs> splitCommandArgs(const std::vector<std::string>& words) {
  CommandWithArgs out;
  size_t i = 0;
  for (; i < words.size() && words[i] != ":::" && words[i] != "::::"; ++i)
    out.command.push_back(words[i]);
  if (i == words.size()) return out;
  if (out.command.empty())
    return fail("\"" + words[i] + "\" with no command before it (vesta exec -- CMD {} ::: A B)");
  if (words[i] == "::::") {
    if (i + 2 != words.size())
      return fail("\"::::\" takes one file of arguments, one argument per line");
    out.argFile = words[i + 1];
    return out;
  }
  out.inlineArgs = true;
  for (++i; i < words.size(); ++i) {
    if (words[i] == ":::" || words[i] == "::::")
      return fail("a second \"" + words[i] +
                  "\": only one group of arguments is supported (GNU parallel's "
                  "combinations of several groups are not)");
    out.args.push_back(words[i]);
  }
  return out;
}

}  // namespace vesta
