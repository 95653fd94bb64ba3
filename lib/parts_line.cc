#include "parts_line.h"

#include "format.h"
#include "plural.h"

namespace vesta {

std::string partsLine(const std::vector<api::Part>& parts) {
  std::string out;
  for (const api::Part& p : parts) {
    std::string part = p.node + " ";
    bool stateShown = p.state != api::PartState::Done && p.state != api::PartState::Running;
    if (p.iterations)
      part +=
          formatCount(static_cast<double>(p.iterations)) + " (" + countOf(p.chunks, "chunk") + ")";
    else if (!stateShown)
      part += "no chunks";  // it was there, the others finished the work first
    if (stateShown) part += (p.iterations ? ", " : "") + std::string(api::partStateName(p.state));
    if (!p.note.empty()) part += ": " + p.note;
    out += (out.empty() ? "" : "; ") + part;
  }
  return out;
}

}  // namespace vesta
