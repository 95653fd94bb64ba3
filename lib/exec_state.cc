#include "exec_state.h"

namespace vesta {

bool canMove(ExecRunState from, ExecRunState to) {
  using S = ExecRunState;
  switch (from) {
    case S::Receiving:
      return to == S::Copying || to == S::Running || to == S::Ended;
    case S::Copying:
      return to == S::Running || to == S::Ended;
    case S::Running:
      return to == S::Exited || to == S::Ended;
    case S::Exited:
      return to == S::Ended;
    case S::Ended:
      return false;
  }
  return false;
}

bool canMove(ExecStop from, ExecStop to) {
  return (from == ExecStop::None && to != ExecStop::None) ||
         ((from == ExecStop::TimedOut || from == ExecStop::ForOwner) && to == ExecStop::Released);
}

bool canMove(ExecClientState from, ExecClientState to) {
  using S = ExecClientState;
  switch (from) {
    case S::Queued:
      return to == S::Offered || to == S::Ended;
    case S::Offered:
      return to == S::Queued || to == S::Running || to == S::Ended;
    case S::Running:
      return to == S::Ended;
    case S::Ended:
      return false;
  }
  return false;
}

}  // namespace vesta
