// The terminal side of vestatop: ncurses set up and torn down (also on a crash signal), colour
// pairs as htop uses them, painting rendered lines, and keys. Everything else is in render.
#pragma once

#include <vector>

#include "render.h"

namespace vesta::top {

class Screen {
 public:
  static constexpr int kNoKey = -1, kUp = 0x101, kDown = 0x102, kEnter = 0x103, kResize = 0x104;
  explicit Screen(bool ascii);
  ~Screen();  // restores the terminal
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  int width() const;
  int height() const;
  bool ascii() const { return ascii_; }
  void draw(const std::vector<Line>& lines);
  // The next key pressed, or kNoKey when none is waiting (never blocks).
  int key();

 private:
  bool ascii_;
};

}  // namespace vesta::top
