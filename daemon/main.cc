// vestad: parse the configuration, load the identity, run the node's loop until told to stop.
#include <unistd.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "address_space.h"
#include "atomic_file.h"
#include "config.h"
#include "identity.h"
#include "log.h"
#include "node.h"
#include "spawn.h"
#include "spawner.h"
#include "vesta_version.h"

namespace {

constexpr int kExitUsage = 2;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// The secret from -key-file: the first line, without its newline.
vesta::Result<std::string> readKeyFile(const std::string& path) {
  auto text = vesta::readPrivateFile(path, 4096);
  if (!text)
    return vesta::fail("key_file: " + (vesta::isMissingFileError(text.error())
                                           ? "\"" + path + "\" does not exist"
                                           : text.error()));
  std::string key = text->substr(0, text->find('\n'));
  if (key.empty())
    return vesta::fail("key_file: \"" + path + "\" is empty; put the secret on its first line");
  return key;
}

int run(int argc, char** argv) {
  auto invocation = vesta::parseCommandLine(argc, argv);
  if (!invocation) {
    std::fprintf(stderr, "vestad: %s\n", invocation.error().c_str());
    return kExitUsage;
  }
  if (invocation->action == vesta::Invocation::Action::Help) {
    std::fputs(vesta::configHelp().c_str(), stdout);
    return 0;
  }
  if (invocation->action == vesta::Invocation::Action::Version) {
    std::printf("vestad %s\n", VESTA_VERSION);
    return 0;
  }
  vesta::Config config = invocation->config;
  if (auto r = vesta::validateConfig(config, hostName()); !r) {
    std::fprintf(stderr, "vestad: %s\n", r.error().c_str());
    return kExitUsage;
  }
  vesta::log::init(config.name);
  auto stateDir = vesta::resolveStateDir(config.state_dir, env("STATE_DIRECTORY"),
                                         env("XDG_STATE_HOME"), env("HOME"));
  if (!stateDir) {
    vesta::log::error(stateDir.error());
    return 1;
  }
  // Absolute from here on: the exec runner changes into a job's scratch directory before it
  // runs a shipped program from under the state dir, so a relative one would name nothing.
  std::error_code absoluteError;
  if (auto absolute = std::filesystem::absolute(*stateDir, absoluteError); !absoluteError)
    *stateDir = absolute.lexically_normal().string();
  while (stateDir->size() > 1 && stateDir->back() == '/') stateDir->pop_back();
  // Exec jobs read nothing of vestad's own: its state (the identity's secret key, the ledger),
  // config and key files. Before the spawner starts, which takes this with it.
  std::vector<std::string> hidden = {*stateDir};
  for (const auto* file : {&config.config, &config.key_file})
    if (!file->empty()) hidden.push_back(std::filesystem::absolute(*file, absoluteError).string());
  vesta::spawner::hideFromJobs(hidden, {*stateDir + "/scratch"});
  // The exec jobs' spawner, forked while vestad is small, one thread and has read no key file,
  // identity or session key (daemon/spawner.h).
  if (auto r = vesta::spawner::start(); !r) {
    std::fprintf(stderr, "vestad: %s\n", r.error().c_str());
    return 1;
  }
  vesta::spawner::seal();  // the key file and the identity are read next
  struct StopSpawner {
    ~StopSpawner() { vesta::spawner::stop(); }
  } stopSpawner;  // on every way out of run(), after the node and its jobs are gone
  if (!config.key_file.empty()) {
    auto key = readKeyFile(config.key_file);
    if (!key) {
      std::fprintf(stderr, "vestad: %s\n", key.error().c_str());
      return kExitUsage;
    }
    config.key = *key;
    if (auto r = vesta::checkKeyNotPlaceholder(config.key); !r) {
      std::fprintf(stderr, "vestad: %s (in %s)\n", r.error().c_str(), config.key_file.c_str());
      return kExitUsage;
    }
  }
  if (config.key.size() < 16)
    vesta::log::warning(
        "the federation key is shorter than 16 characters; anyone who guesses it "
        "joins the federation: use a long random secret");

  // A 32-bit vestad maps a mem job in its own address space: it offers no more than fits.
  unsigned bits = sizeof(void*) * 8;
  if (uint32_t capped = vesta::cappedMemOffer(config.mem_offer_mb, bits);
      capped != config.mem_offer_mb) {
    vesta::log::notice("mem_offer_mb " + std::to_string(config.mem_offer_mb) + " capped to " +
                       std::to_string(capped) + ": one " + std::to_string(bits) +
                       "-bit process cannot map more");
    config.mem_offer_mb = capped;
  }

  if (auto r = vesta::makePrivateDirs(*stateDir); !r) {
    // The path comes from the configuration (or the environment): fixing it is the user's move.
    vesta::log::error("state dir: " + r.error());
    return kExitUsage;
  }
  auto identity = vesta::loadOrCreateIdentity(*stateDir, config.name);
  if (!identity) {
    vesta::log::error(identity.error());
    return 1;
  }

  std::signal(SIGPIPE, SIG_IGN);
  // What an exec job leaves behind when it kills its own reaper comes to us, not to init.
  vesta::becomeSubreaper();
  // Every exec job holds a few pipes; a fan-out of hundreds must not run out of descriptors.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int code = 0;
  {
    auto node = std::make_unique<vesta::Node>(&loop, config, std::move(*identity), *stateDir);
    if (auto r = node->start(); !r) {
      vesta::log::error(r.error());
      node->shutdown("start failed");
      code = 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    if (code == 0) code = node->exitCode();
  }
  // Destroying the node closed its handles; let libuv run their close callbacks.
  uv_run(&loop, UV_RUN_DEFAULT);
  if (int r = uv_loop_close(&loop); r != 0) {
    vesta::log::error(std::string("event loop still had open handles at exit: ") + uv_strerror(r));
    return 1;
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vestad: internal error: %s\n", e.what());
    return 1;
  }
}
