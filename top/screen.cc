#include "screen.h"

#include <ncurses.h>

#include <csignal>

namespace vesta::top {
namespace {

// A crash must not leave the terminal raw and invisible: restore it, then die as the signal
// says. endwin is not async-signal-safe, but the process is going down either way.
void onCrash(int signum) {
  endwin();
  std::signal(signum, SIG_DFL);
  std::raise(signum);
}

short pairOf(Color c) {
  return static_cast<short>(static_cast<int>(c) + 1);
}

}  // namespace

Screen::Screen(bool ascii) : ascii_(ascii) {
  for (int s : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(s, onCrash);
  initscr();
  cbreak();
  noecho();
  nodelay(stdscr, TRUE);
  keypad(stdscr, TRUE);
  curs_set(0);
  if (has_colors()) {
    start_color();
    use_default_colors();
    // htop's palette: cyan headings, green/yellow/red meters, a highlighted selection.
    init_pair(pairOf(Color::Normal), -1, -1);
    init_pair(pairOf(Color::Title), COLOR_CYAN, -1);
    init_pair(pairOf(Color::Heading), COLOR_BLACK, COLOR_GREEN);
    init_pair(pairOf(Color::Dim), COLOR_BLUE, -1);
    init_pair(pairOf(Color::Good), COLOR_GREEN, -1);
    init_pair(pairOf(Color::Warn), COLOR_YELLOW, -1);
    init_pair(pairOf(Color::Bad), COLOR_RED, -1);
    init_pair(pairOf(Color::Selected), COLOR_BLACK, COLOR_CYAN);
    init_pair(pairOf(Color::BarLow), COLOR_GREEN, -1);
    init_pair(pairOf(Color::BarMid), COLOR_YELLOW, -1);
    init_pair(pairOf(Color::BarHigh), COLOR_RED, -1);
  }
}

Screen::~Screen() {
  endwin();
}

int Screen::width() const {
  return COLS;
}

int Screen::height() const {
  return LINES;
}

void Screen::draw(const std::vector<Line>& lines) {
  erase();
  int y = 0;
  for (const auto& line : lines) {
    if (y >= LINES) break;
    move(y++, 0);
    for (const auto& span : line) {
      attron(COLOR_PAIR(pairOf(span.color)));
      addnstr(span.text.c_str(), static_cast<int>(span.text.size()));
      attroff(COLOR_PAIR(pairOf(span.color)));
    }
  }
  refresh();
}

int Screen::key() {
  int c = getch();
  switch (c) {
    case ERR:
      return kNoKey;
    case KEY_UP:
      return kUp;
    case KEY_DOWN:
      return kDown;
    case KEY_ENTER:
    case '\n':
    case '\r':
      return kEnter;
    case KEY_RESIZE:
      return kResize;
    default:
      return c;
  }
}

}  // namespace vesta::top
