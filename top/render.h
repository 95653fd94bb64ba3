// vestatop's drawing, without a terminal: a snapshot and the view state in, lines of coloured
// spans out. The screen (screen.cc) paints them with ncurses; `vestatop --once` and the tests
// print them as text. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "model.h"

namespace vesta::top {

enum class Color {
  Normal,
  Title,
  Heading,
  Dim,
  Good,
  Warn,
  Bad,
  Selected,
  BarLow,
  BarMid,
  BarHigh
};

struct Span {
  std::string text;
  Color color = Color::Normal;
};
using Line = std::vector<Span>;

enum class SortBy { Name, Cpu, Memory };
const char* sortName(SortBy sort);

struct View {
  int width = 80, height = 24;
  bool ascii = false;   // no UTF-8 arrows and dots
  size_t selected = 0;  // index into rows(): nodes first, then flows
  SortBy sort = SortBy::Name;
  bool help = false;
  bool details = false;  // Enter: details of the selected node or flow
  std::string message;   // one line above the footer (a confirmation, an error)
};

// The order rows are shown and selected in: nodes (this node first, the rest sorted), flows.
struct Order {
  std::vector<size_t> nodes;  // indexes into Snapshot::nodes
  size_t size(const Snapshot& s) const { return nodes.size() + s.flows.size(); }
};
Order orderOf(const Snapshot& snapshot, SortBy sort);

std::vector<Line> render(const Snapshot& snapshot, const View& view);
// The lines as plain text, one per line, right-trimmed.
std::string plainText(const std::vector<Line>& lines);

// A bar of `width` cells (brackets included) for `pct` 0..100, with the value inside at the
// right, as htop draws its meters: "[|||||||       42.0%]".
std::string meter(double pct, int width);
// Number of terminal columns of a UTF-8 string (every character here is one column wide).
size_t columns(const std::string& text);
// Cuts or pads `text` to exactly `width` columns.
std::string fit(const std::string& text, size_t width);

}  // namespace vesta::top
