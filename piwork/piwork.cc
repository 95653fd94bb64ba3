// piwork: Vesta's example workload. Estimates pi by Monte Carlo on every core and says where it
// ran. Self-contained (libc and threads only) so it can be copied to any node and run there.
//
// Deterministic: the samples are split evenly over the threads, and thread t draws from its own
// generator seeded by (seed, t); the same seed and thread count give the same estimate anywhere.
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kExitUsage = 2;
constexpr double kPi = 3.14159265358979323846;

// SplitMix64: tiny, fast, and good enough for Monte Carlo; seeds each thread's stream.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) from the top 53 bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

uint64_t countInside(uint64_t samples, uint64_t seed, unsigned thread) {
  SplitMix64 rng{seed ^ (0xd1b54a32d192ed03ull * (thread + 1))};
  uint64_t inside = 0;
  for (uint64_t i = 0; i < samples; ++i) {
    double x = rng.unit(), y = rng.unit();
    inside += x * x + y * y < 1.0;
  }
  return inside;
}

bool parseUnsigned(const char* text, uint64_t max, uint64_t& out) {
  if (!text || !*text || *text == '-') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (*end || errno || v > max) return false;
  out = v;
  return true;
}

void usage(FILE* to) {
  std::fprintf(to,
               "Usage: piwork MILLIONS [-threads N] [-seed S] [--json]\n"
               "Estimates pi from MILLIONS million random points on N threads (default: all "
               "cores).\nThe same seed and thread count give the same estimate.\n");
}

std::string jsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t millions = 0, seed = 1, threads = std::max(1u, std::thread::hardware_concurrency());
  bool json = false, haveMillions = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg.rfind("--", 0) == 0  ? arg.substr(2)
                       : arg.rfind('-', 0) == 0 ? arg.substr(1)
                                                : "";
    if (name == "json") {
      json = true;
    } else if (name == "h" || name == "help") {
      usage(stdout);
      return 0;
    } else if (name == "threads" || name == "seed") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "piwork: -%s: missing value\n", name.c_str());
        return kExitUsage;
      }
      uint64_t& target = name == "threads" ? threads : seed;
      uint64_t max = name == "threads" ? 1024 : UINT64_MAX;
      if (!parseUnsigned(argv[++i], max, target) || (name == "threads" && target == 0)) {
        std::fprintf(stderr, "piwork: -%s: \"%s\" is not a whole number %s\n", name.c_str(),
                     argv[i], name == "threads" ? "1..1024" : "0..18446744073709551615");
        return kExitUsage;
      }
    } else if (name.empty() && !haveMillions) {
      if (!parseUnsigned(argv[i], 10'000'000, millions) || millions == 0) {
        std::fprintf(stderr, "piwork: MILLIONS: \"%s\" is not a whole number 1..10000000\n",
                     argv[i]);
        return kExitUsage;
      }
      haveMillions = true;
    } else {
      std::fprintf(stderr, "piwork: unexpected argument \"%s\"\n", argv[i]);
      usage(stderr);
      return kExitUsage;
    }
  }
  if (!haveMillions) {
    usage(stderr);
    return kExitUsage;
  }

  uint64_t samples = millions * 1'000'000;
  unsigned n = static_cast<unsigned>(threads);
  std::vector<uint64_t> inside(n, 0);
  std::vector<std::thread> pool;
  auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < n; ++t) {
    uint64_t share = samples / n + (t < samples % n ? 1 : 0);
    pool.emplace_back([&inside, share, seed, t] { inside[t] = countInside(share, seed, t); });
  }
  for (auto& th : pool) th.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t total = 0;
  for (uint64_t c : inside) total += c;
  double estimate = 4.0 * static_cast<double>(total) / static_cast<double>(samples);

  char host[256] = "unknown";
  ::gethostname(host, sizeof host - 1);
  const char* node = std::getenv("VESTA_NODE");
  if (json) {
    std::printf(
        "{\"pi\":%.10f,\"error\":%.3e,\"samples\":%" PRIu64 ",\"threads\":%u,\"seed\":%" PRIu64
        ",\"seconds\":%.3f,\"host\":\"%s\",\"vesta_node\":%s%s%s}\n",
        estimate, std::fabs(estimate - kPi), samples, n, seed, seconds, jsonEscape(host).c_str(),
        node ? "\"" : "", node ? jsonEscape(node).c_str() : "null", node ? "\"" : "");
  } else {
    std::printf("pi ~ %.10f (error %.2e) from %" PRIu64 " samples on %u threads in %.2f s\n",
                estimate, std::fabs(estimate - kPi), samples, n, seconds);
    std::printf("ran on host %s%s%s\n", host, node ? ", vesta node " : "", node ? node : "");
  }
  return 0;
}
