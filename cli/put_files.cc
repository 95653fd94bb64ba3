#include "put_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec_policy.h"
#include "hex.h"
#include "lazy_sha256.h"

namespace vesta {

tl::expected<std::vector<PutSpec>, ClientError> openPuts(const std::vector<std::string>& paths) {
  std::vector<PutSpec> out;
  for (auto& path : paths) {
    PutSpec p;
    auto slash = path.rfind('/');
    p.name = slash == std::string::npos ? path : path.substr(slash + 1);
    auto bad = [&](const std::string& why) {
      return tl::unexpected(ClientError{kExitUsage, "--put " + path + ": " + why});
    };
    if (auto ok = checkFileName(p.name); !ok) return bad(ok.error());
    p.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (!p.fd) return bad(std::strerror(errno));
    if (::fstat(p.fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return bad("not a regular file");
    auto digest = sha256OfFdLazily(p.fd.get());
    if (!digest) return bad(digest.error());
    p.sha = toHex(*digest);
    p.executable = (st.st_mode & 0111) != 0;
    for (auto& o : out)
      if (o.name == p.name)
        return tl::unexpected(ClientError{kExitUsage, "--put: two files are named " + p.name});
    out.push_back(std::move(p));
  }
  return out;
}

void addProgram(const std::vector<std::string>& argv, std::vector<std::string>& puts) {
  const std::string& argv0 = argv[0];
  if (argv0.empty() || argv0[0] == '/' || argv0.find('/') == std::string::npos) return;
  std::string name = normalPath(argv0);
  if (name.find('/') != std::string::npos) return;
  for (auto& p : puts) {
    auto slash = p.rfind('/');
    if ((slash == std::string::npos ? p : p.substr(slash + 1)) == name) return;
  }
  if (::access(argv0.c_str(), F_OK) == 0) puts.push_back(argv0);
}

}  // namespace vesta
