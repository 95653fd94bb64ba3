// Which of this node's GPUs each exec job holds: one job per GPU, taken when the command starts
// and given back when it ends, and the refusal that names who holds them. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace vesta {

class GpuSlots {
 public:
  // How many GPUs the machine has; a GPU that vanished stays held until its job ends.
  void setCount(unsigned count);
  unsigned count() const { return count_; }
  unsigned free() const;

  // Takes `n` free GPUs (lowest indexes first) for the job `key` ("label" names it for people:
  // "job 4"); nullopt, taking nothing, when fewer are free.
  std::optional<std::vector<unsigned>> take(const std::string& key, const std::string& label,
                                            unsigned n);
  // Gives back whatever `key` holds. Idempotent.
  void release(const std::string& key);
  std::vector<unsigned> heldBy(const std::string& key) const;
  bool held(unsigned index) const { return index < held_.size() && !held_[index].key.empty(); }

  // Why a job asking for `n` GPUs cannot start on `node` now, or "" when it can:
  // "desk has 1 GPU, not 2", "desk's 1 GPU is busy with job 4".
  std::string whyNot(const std::string& node, unsigned n) const;

 private:
  struct Holder {
    std::string key, label;  // empty key: free
  };
  unsigned count_ = 0;
  std::vector<Holder> held_;  // by GPU index; may be longer than count_ (a vanished GPU)
};

}  // namespace vesta
