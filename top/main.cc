// vestatop: an htop-style live view of the federation, from one vestad's D-Bus properties.
// vestatop [-bus BUS] [-node NAME] [--once] [--ascii]
#include <langinfo.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "client.h"
#include "model.h"
#include "render.h"
#include "screen.h"
#include "vesta_version.h"

namespace {

using namespace vesta;
using namespace vesta::top;
using Clock = std::chrono::steady_clock;

const char* kUsage =
    "Usage: vestatop [-bus system|user|ADDRESS] [-node NAME] [--once] [--ascii]\n"
    "\n"
    "A live view of every node of the federation that NAME's vestad (default: the one owning\n"
    "org.vesta.Vestad1) sees: CPU and memory bars, power, jobs, ledger balance, and the flows of\n"
    "work between nodes. Keys: q quit, arrows select, Enter details, k cancel, s sort, h help.\n"
    "  --once    print one frame as text and exit (for scripts; width from $COLUMNS)\n"
    "  --ascii   no UTF-8 arrows or dots\n";

struct Options {
  std::string bus, node;
  bool once = false, ascii = false;
};

volatile sig_atomic_t stopRequested = 0;

// Reads the Manager's properties; a snapshot that says why when the daemon is unreachable.
Snapshot fetch(std::optional<Client>& client, const Options& o) {
  if (!client) {
    auto c = Client::connect(o.bus, o.node);
    if (!c) {
      Snapshot s;
      s.error = c.error().message;
      return s;
    }
    client.emplace(std::move(*c));
  }
  auto node = client->node();
  if (!node) {
    Snapshot s;
    s.error = node.error().message;
    if (node.error().code != kExitUnreachable) client.reset();  // the bus itself went away
    return s;
  }
  return snapshotFrom(*node);
}

int runOnce(const Options& o) {
  std::optional<Client> client;
  Snapshot s = fetch(client, o);
  // One frame cannot retry: say why, as vesta does, instead of drawing a live view's banner.
  if (!s.connected) {
    std::fprintf(stderr, "vestatop: %s\n", s.error.c_str());
    return kExitUnreachable;
  }
  View v;
  const char* cols = std::getenv("COLUMNS");
  v.width = cols && std::atoi(cols) >= 40 ? std::atoi(cols) : 100;
  v.height = 0;  // no padding to a screen
  v.ascii = o.ascii;
  std::fputs(plainText(render(s, v)).c_str(), stdout);
  return 0;
}

int runLive(const Options& o) {
  Screen screen(o.ascii);
  std::optional<Client> client;
  Watch changes;
  bool dirty = true;
  View view;
  view.ascii = screen.ascii();
  Snapshot snap;
  auto lastFetch = Clock::now() - std::chrono::hours(1);
  bool confirming = false;
  uint64_t confirmJob = 0;

  while (!stopRequested) {
    auto now = Clock::now();
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - lastFetch).count();
    // Fetch at once on a change, at most once a second; retry every 2 s while disconnected.
    if ((dirty && since >= 1000) || (!snap.connected && since >= 2000)) {
      dirty = false;
      lastFetch = now;
      bool hadClient = client.has_value();
      snap = fetch(client, o);
      if (!client) changes = Watch();  // before its bus goes
      if (client && (!hadClient || !changes))
        // Property changes of the Manager (CPU every second, flows, peers, ledger) wake us.
        changes = client->watchManager([&dirty] { dirty = true; });
      size_t rows = orderOf(snap, view.sort).size(snap);
      if (rows && view.selected >= rows) view.selected = rows - 1;
    }
    view.width = screen.width();
    view.height = screen.height();
    screen.draw(render(snap, view));

    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {-1, POLLIN, 0}};
    int nfds = 1;
    if (client) {
      fds[1].fd = sd_bus_get_fd(client->bus());
      fds[1].events = static_cast<short>(sd_bus_get_events(client->bus()));
      nfds = 2;
    }
    int wait =
        dirty ? std::max<int>(0, 1000 - static_cast<int>(since)) : (snap.connected ? 1000 : 500);
    ::poll(fds, static_cast<nfds_t>(nfds), wait);
    if (client)
      while (sd_bus_process(client->bus(), nullptr) > 0) {
      }

    for (int key; (key = screen.key()) != Screen::kNoKey;) {
      if (confirming) {
        confirming = false;
        view.message.clear();
        if (key == 'y' || key == 'Y') {
          std::string id = std::to_string(confirmJob);
          auto r = client
                       ? client->call(kObjectPath, kManagerInterface, "CancelJob", "s", id.c_str())
                       : tl::unexpected(ClientError{kExitUnreachable, "no vestad"});
          view.message = r ? "job " + id + " cancelled" : "cancel failed: " + r.error().message;
          dirty = true;
        }
        continue;
      }
      size_t rows = orderOf(snap, view.sort).size(snap);
      if (view.help && key != Screen::kResize) {
        view.help = false;
        continue;
      }
      switch (key) {
        case 'q':
        case 'Q':
          stopRequested = 1;
          break;
        case Screen::kUp:
          if (view.selected > 0) --view.selected;
          break;
        case Screen::kDown:
          if (view.selected + 1 < rows) ++view.selected;
          break;
        case Screen::kEnter:
          view.details = !view.details;
          break;
        case 's':
          view.sort = view.sort == SortBy::Name  ? SortBy::Cpu
                      : view.sort == SortBy::Cpu ? SortBy::Memory
                                                 : SortBy::Name;
          break;
        case 'h':
        case '?':
          view.help = true;
          break;
        case 'k': {
          Order order = orderOf(snap, view.sort);
          size_t flow = view.selected - std::min(view.selected, order.nodes.size());
          if (view.selected < order.nodes.size() || flow >= snap.flows.size()) {
            view.message = "select a flow (a job) to cancel it";
          } else if (snap.flows[flow].lending) {
            view.message = "job " + std::to_string(snap.flows[flow].job) + " is " +
                           snap.flows[flow].peer + "'s; only its owner can cancel it";
          } else {
            confirmJob = snap.flows[flow].job;
            confirming = true;
            view.message = "cancel job " + std::to_string(confirmJob) + " everywhere? y/n";
          }
          break;
        }
        default:
          break;  // kResize and others: the next draw uses the new size
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string name = a.size() > 1 && a[0] == '-' ? a.substr(a[1] == '-' ? 2 : 1) : a;
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "once") {
      o.once = true;
    } else if (name == "ascii") {
      o.ascii = true;
    } else if (name == "help" || name == "h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (name == "version") {
      std::printf("vestatop %s\n", VESTA_VERSION);
      return 0;
    } else if (name == "bus" || name == "node") {
      if (!value && i + 1 < argc) value = argv[++i];
      if (!value) {
        std::fprintf(stderr, "vestatop: %s: missing value (run vestatop -help)\n", a.c_str());
        return kExitUsage;
      }
      (name == "bus" ? o.bus : o.node) = *value;
    } else {
      std::fprintf(stderr, "vestatop: unknown option %s (run vestatop -help)\n", a.c_str());
      return kExitUsage;
    }
  }
  if (o.once) return runOnce(o);
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "vestatop: needs a terminal; use --once for a text frame\n");
    return kExitUsage;
  }
  std::setlocale(LC_ALL, "");
  if (std::strcmp(nl_langinfo(CODESET), "UTF-8") != 0) o.ascii = true;
  struct sigaction sa {};
  sa.sa_handler = [](int) { stopRequested = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  return runLive(o);
}
