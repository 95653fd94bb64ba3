// Prints what `vesta exec --each` would run for each argument, so a test can hold lib/fanout
// against GNU parallel itself: reads NUL-separated arguments on stdin, expands the command
// given as this program's arguments for each (job numbers from 1) and prints every word of the
// result as "[word]" on its own line, as `parallel -0 printf '[%s]\n' ...` does.
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fanout.h"

int main(int argc, char** argv) {
  std::vector<std::string> command(argv + 1, argv + argc);
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  size_t seq = 0, start = 0;
  while (start < input.size()) {
    size_t end = input.find('\0', start);
    if (end == std::string::npos) end = input.size();
    auto words = vesta::expandCommand(command, input.substr(start, end - start), ++seq);
    for (auto& w : words) std::cout << '[' << w << "]\n";
    start = end + 1;
  }
  return 0;
}
