// The lifecycles of an exec job on both ends, as types with their legal transitions: the runner's
// command (files arriving, copied, running, exited, ended), why a command is being stopped, and
// the client's run (queued, offered, running, ended). Pure: the daemon asks canMove before it
// moves, so a late event cannot undo an end.
#pragma once

namespace vesta {

// A command on its runner. Receiving: accepted, its --put files still arriving; Copying: a worker
// files them and copies them into the job's directory; Running: the process lives; Exited: it was
// reaped, its output drains and --get files go out; Ended: reported (or released), freed soon.
enum class ExecRunState { Receiving, Copying, Running, Exited, Ended };

// Receiving -> Copying|Running|Ended, Copying -> Running|Ended, Running -> Exited|Ended,
// Exited -> Ended; nothing leaves Ended.
bool canMove(ExecRunState from, ExecRunState to);

// Why a command is being stopped before its end. Released: its coordinator let go (nothing more is
// sent about it); TimedOut: past its --timeout (its output and exit still go back); ForOwner: the
// owner needs the machine (paused past max_pause_s, or the memory reserve; the exit carries why).
// None -> TimedOut|ForOwner|Released, TimedOut|ForOwner -> Released; a released command stays
// released.
enum class ExecStop { None, TimedOut, ForOwner, Released };
bool canMove(ExecStop from, ExecStop to);

// A command on the node that submitted it. Queued: waiting for a node with room; Offered: sent,
// no answer yet; Running: accepted; Ended: finished or cancelled, its output still draining.
// Queued -> Offered|Ended, Offered -> Queued (refused, lost, late)|Running|Ended,
// Running -> Ended; nothing leaves Ended.
enum class ExecClientState { Queued, Offered, Running, Ended };
bool canMove(ExecClientState from, ExecClientState to);

// Moves `state` to `to` where canMove allows it; false, and no change, for any other move.
template <typename State>
bool moveState(State& state, State to) {
  if (!canMove(state, to)) return false;
  state = to;
  return true;
}

}  // namespace vesta
