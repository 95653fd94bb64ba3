#include "render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "format.h"
#include "plural.h"

namespace vesta::top {
namespace {

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Color levelColor(double pct) {
  return pct < 50 ? Color::BarLow : pct < 80 ? Color::BarMid : Color::BarHigh;
}

std::string powerText(const NodeRow& n) {
  if (n.power.empty()) return "?";
  if (n.batteryPct >= 0) return n.power + " " + std::to_string(n.batteryPct) + "%";
  if (!n.self && n.willingness < 1) return n.power + " " + fixed(n.willingness * 100, 0) + "%";
  return n.power;
}

Color stateColor(const NodeRow& n) {
  if (n.self || n.state == "alive") return n.self || n.link == "up" ? Color::Good : Color::Warn;
  return n.state == "suspect" || n.state == "unlinked" ? Color::Warn : Color::Bad;
}

std::string balanceText(const NodeRow& n) {
  if (n.self) return "";
  double b = n.lentCoreS - n.borrowedCoreS;
  std::string text = (b >= 0 ? "+" : "") + fixed(b, 1);
  if (n.capped) text += " capped";
  if (n.cappedThere) text += " cap!";
  return text;
}

// Cuts a line at `width` columns: a narrow terminal loses the right end, never wraps.
void clip(Line& line, size_t width) {
  size_t used = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    size_t cols = columns(line[i].text);
    if (used + cols > width) {
      line[i].text = fit(line[i].text, width - used);
      line.resize(i + 1);
      return;
    }
    used += cols;
  }
}

void pad(Line& line, int width) {
  size_t used = 0;
  for (auto& s : line) used += columns(s.text);
  if (static_cast<int>(used) < width)
    line.push_back({std::string(width - used, ' '), Color::Normal});
}

}  // namespace

const char* sortName(SortBy sort) {
  switch (sort) {
    case SortBy::Name:
      return "name";
    case SortBy::Cpu:
      return "cpu";
    case SortBy::Memory:
      return "memory";
  }
  return "?";
}

size_t columns(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string fit(const std::string& text, size_t width) {
  std::string out;
  size_t cols = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (cols == width) break;
      ++cols;
    }
    out += text[i];
  }
  if (cols < width) out.append(width - cols, ' ');
  return out;
}

std::string meter(double pct, int width) {
  if (width < 3) return std::string(std::max(width, 0), ' ');
  pct = std::clamp(pct, 0.0, 100.0);
  int inner = width - 2;
  std::string value = fixed(pct, 1) + "%";
  int bars = static_cast<int>(std::lround(pct / 100.0 * inner));
  std::string cells(inner, ' ');
  for (int i = 0; i < bars; ++i) cells[i] = '|';
  // The value sits at the right end, over the bar, as in htop.
  if (static_cast<int>(value.size()) <= inner)
    cells.replace(inner - value.size(), value.size(), value);
  return "[" + cells + "]";
}

Order orderOf(const Snapshot& s, SortBy sort) {
  Order o;
  for (size_t i = 0; i < s.nodes.size(); ++i)
    if (!s.nodes[i].self) o.nodes.push_back(i);
  std::stable_sort(o.nodes.begin(), o.nodes.end(), [&](size_t a, size_t b) {
    const NodeRow &x = s.nodes[a], &y = s.nodes[b];
    if (sort == SortBy::Cpu && x.cpuPct != y.cpuPct) return x.cpuPct > y.cpuPct;
    if (sort == SortBy::Memory && x.memAvailableMb != y.memAvailableMb)
      return x.memAvailableMb > y.memAvailableMb;
    return x.name < y.name;
  });
  for (size_t i = 0; i < s.nodes.size(); ++i)
    if (s.nodes[i].self) o.nodes.insert(o.nodes.begin(), i);
  return o;
}

std::vector<Line> render(const Snapshot& s, const View& v) {
  std::vector<Line> out;
  const int w = std::max(v.width, 40);
  const std::string dot = v.ascii ? " | " : " · ";
  const std::string arrow = v.ascii ? " -> " : " → ";

  if (!s.connected) {
    out.push_back({{fit("vestatop" + dot + "disconnected", w), Color::Title}});
    out.push_back({{fit("  " + s.error, w), Color::Bad}});
    out.push_back({{fit("  retrying every 2 s; q quits", w), Color::Dim}});
    return out;
  }

  // Header: the federation at a glance.
  out.push_back(
      {{fit("vestatop" + dot + s.self + dot + countOf(s.alive(), "node") + " alive" + dot +
                countOf(s.totalCores(), "core") + dot + formatMiB(s.totalAvailableMb()) + " free" +
                dot + countOf(s.jobsRunning(), "job") + " running" +
                (s.owner.empty() ? "" : dot + s.owner),
            w),
        Color::Title}});

  if (v.help) {
    const char* lines[] = {
        "q        quit",
        "up/down  select a node or a flow",
        "Enter    details: fingerprint, address, round trip, ledger",
        "k        cancel the selected flow's job (jobs submitted here only), asks first",
        "s        sort nodes by name, CPU or free memory",
        "h        this help; any key closes it",
        "",
        "Bars: CPU busy share and memory in use, green under 50%, yellow under 80%, red above.",
        "BALANCE: core-seconds we lent the peer minus what we borrowed from it; capped: it may not",
        "borrow from us now; cap!: it would refuse us.",
    };
    for (const char* l : lines) out.push_back({{fit(std::string("  ") + l, w), Color::Normal}});
    return out;
  }

  // Node table. Fixed columns; the CPU and memory bars share what is left.
  const int nameW = 12, stateW = 10, powerW = 11, jobsW = 5, balW = w >= 100 ? 14 : 9;
  int rest = w - (nameW + stateW + powerW + jobsW + balW) - 5;
  // Memory needs 13 columns for "23.2 GiB free"; the CPU meter takes the rest and more of it.
  int memW = std::max(13, rest * 2 / 5), cpuW = std::max(8, rest - memW);
  Line head = {{fit("NODE", nameW) + " " + fit("STATE", stateW) + " " + fit("POWER", powerW) + " " +
                    fit("CPU", cpuW) + " " + fit("MEMORY", memW) + " " + fit("JOBS", jobsW) +
                    fit("BALANCE", balW),
                Color::Heading}};
  pad(head, w);
  out.push_back(head);
  Order order = orderOf(s, v.sort);
  size_t row = 0;
  for (size_t idx : order.nodes) {
    const NodeRow& n = s.nodes[idx];
    bool sel = row++ == v.selected;
    Line line;
    auto cell = [&](const std::string& text, Color c) {
      line.push_back({text, sel ? Color::Selected : c});
    };
    cell(fit(n.name, nameW) + " ", Color::Normal);
    cell(fit(n.state, stateW), stateColor(n));
    cell(" " + fit(powerText(n), powerW) + " ", n.power == "battery" ? Color::Warn
                                                : n.power == "solar" ? Color::Warn
                                                                     : Color::Normal);
    bool known = n.self || n.state == "alive";
    cell(known ? meter(n.cpuPct, cpuW) : fit("", cpuW), levelColor(n.cpuPct));
    cell(" ", Color::Normal);
    if (n.memTotalMb > 0) {
      double used = 100.0 *
                    static_cast<double>(n.memTotalMb - std::min(n.memAvailableMb, n.memTotalMb)) /
                    static_cast<double>(n.memTotalMb);
      cell(meter(used, memW), levelColor(used));
    } else {
      cell(fit(known ? formatMiB(n.memAvailableMb) + " free" : "", memW), Color::Normal);
    }
    cell(" " + fit(n.self ? std::to_string(n.jobs) : "", jobsW - 1), Color::Normal);
    cell(fit(balanceText(n), balW), n.capped || n.cappedThere ? Color::Warn : Color::Normal);
    pad(line, w);
    out.push_back(line);
    // On a wide terminal, this node's cores one by one (beacons carry no per-core figures).
    if (n.self && w >= 120 && !n.perCorePct.empty()) {
      Line cores = {{std::string(nameW + 1, ' '), Color::Normal}};
      int each = std::max(
          10, (w - nameW - 2) / static_cast<int>(std::min<size_t>(n.perCorePct.size(), 8)) - 4);
      for (size_t c = 0; c < n.perCorePct.size(); ++c) {
        if (static_cast<int>(columns(cores.back().text)) > w) break;
        cores.push_back({fit(std::to_string(c), 3), Color::Dim});
        cores.push_back({meter(n.perCorePct[c], each) + " ", levelColor(n.perCorePct[c])});
      }
      out.push_back(cores);
    }
  }

  // Flows: origin -> runner.
  out.push_back({{fit("", w), Color::Normal}});
  out.push_back(
      {{fit("FLOWS " + std::string(s.flows.empty() ? "(none: nothing lent or borrowed now)" : ""),
            w),
        Color::Heading}});
  for (const FlowRow& f : s.flows) {
    bool sel = row++ == v.selected;
    std::string who = f.lending ? f.peer + arrow + s.self : s.self + arrow + f.peer;
    std::string what = "job " + std::to_string(f.job) + " " + jobKindName(f.kind) + ", " +
                       (f.paused.empty() ? countOf(f.cores, "core") : "paused");
    int barW = std::max(10, w - 26 - 24 - 12);
    Line line = {{fit(" " + who, 26), sel ? Color::Selected : Color::Normal},
                 {fit(what, 24), sel ? Color::Selected : Color::Normal},
                 {meter(f.progress() * 100, barW), levelColor(30)},
                 {" " + fit(formatDuration(f.elapsedMs), 11), Color::Dim}};
    pad(line, w);
    out.push_back(line);
  }

  if (v.details) {
    out.push_back({{fit("", w), Color::Normal}});
    if (v.selected < order.nodes.size()) {
      const NodeRow& n = s.nodes[order.nodes[v.selected]];
      out.push_back(
          {{fit(" " + n.name + dot + "fingerprint " + n.fingerprint, w), Color::Heading}});
      out.push_back({{fit("   " + n.platform, w)}});
      if (!n.self) {
        out.push_back({{fit("   address " + n.address + dot + "link " + n.link +
                                (n.rttMs >= 0 ? " (" + fixed(n.rttMs, 2) + " ms)" : ""),
                            w)}});
        out.push_back({{fit("   ledger: lent " + fixed(n.lentCoreS, 1) + " core-s, borrowed " +
                                fixed(n.borrowedCoreS, 1) + ", balance " + balanceText(n),
                            w)}});
        out.push_back({{fit("   spare " + fixed(n.spareCores, 1) + " cores" + dot + "lends " +
                                fixed(n.willingness * 100, 0) + "% of its offer" +
                                (n.heat.empty() ? "" : dot + n.heat),
                            w)}});
      } else {
        out.push_back({{fit("   " + countOf(n.cores, "core") + dot + formatMiB(n.memAvailableMb) +
                                " free of " + formatMiB(n.memTotalMb),
                            w)}});
        out.push_back({{fit("   " + s.ownerDetails, w)}});
      }
      for (const std::string& gpu : n.gpus) out.push_back({{fit("   gpu " + gpu, w)}});
    } else if (v.selected < order.size(s)) {
      const FlowRow& f = s.flows[v.selected - order.nodes.size()];
      out.push_back({{fit(" job " + std::to_string(f.job) + dot +
                              (f.total ? formatCount(static_cast<double>(f.done)) + " of " +
                                             formatCount(static_cast<double>(f.total)) + " units"
                                       : std::string(jobKindName(f.kind)) + " command") +
                              dot + (f.lending ? "lent to " : "borrowed from ") + f.peer,
                          w),
                      Color::Heading}});
    }
  }

  // Footer, pinned to the last line when there is room.
  Line footer = {
      {fit(std::string(" q quit  ") + (v.ascii ? "up/down" : "↑↓") +
               " select  Enter details  k cancel  s sort:" + sortName(v.sort) + "  h help",
           w),
       Color::Heading}};
  int room = v.height - static_cast<int>(out.size()) - 1 - (v.message.empty() ? 0 : 1);
  for (int i = 0; i < room; ++i) out.push_back({{std::string(w, ' '), Color::Normal}});
  if (!v.message.empty()) out.push_back({{fit(" " + v.message, w), Color::Warn}});
  out.push_back(footer);
  for (auto& line : out) clip(line, static_cast<size_t>(w));
  return out;
}

std::string plainText(const std::vector<Line>& lines) {
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (const auto& span : line) text += span.text;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

}  // namespace vesta::top
