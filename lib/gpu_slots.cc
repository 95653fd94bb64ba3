#include "gpu_slots.h"

#include <algorithm>

namespace vesta {
namespace {

std::string gpus(unsigned n) {
  return std::to_string(n) + (n == 1 ? " GPU" : " GPUs");
}

}  // namespace

void GpuSlots::setCount(unsigned count) {
  count_ = count;
  if (held_.size() < count) held_.resize(count);
}

unsigned GpuSlots::free() const {
  unsigned n = 0;
  for (unsigned i = 0; i < count_; ++i) n += held_[i].key.empty();
  return n;
}

std::optional<std::vector<unsigned>> GpuSlots::take(const std::string& key,
                                                    const std::string& label, unsigned n) {
  if (n == 0 || key.empty() || free() < n) return std::nullopt;
  std::vector<unsigned> out;
  for (unsigned i = 0; i < count_ && out.size() < n; ++i)
    if (held_[i].key.empty()) {
      held_[i] = {key, label};
      out.push_back(i);
    }
  return out;
}

void GpuSlots::release(const std::string& key) {
  if (key.empty()) return;
  for (auto& h : held_)
    if (h.key == key) h = {};
}

std::vector<unsigned> GpuSlots::heldBy(const std::string& key) const {
  std::vector<unsigned> out;
  for (unsigned i = 0; i < held_.size(); ++i)
    if (!key.empty() && held_[i].key == key) out.push_back(i);
  return out;
}

std::string GpuSlots::whyNot(const std::string& node, unsigned n) const {
  if (n == 0 || free() >= n) return "";
  if (count_ == 0) return node + " has no GPU";
  if (count_ < n) return node + " has " + gpus(count_) + ", not " + std::to_string(n);
  // Who holds them, each job once, in GPU order.
  std::vector<std::string> labels;
  for (unsigned i = 0; i < count_; ++i)
    if (!held_[i].key.empty() &&
        std::find(labels.begin(), labels.end(), held_[i].label) == labels.end())
      labels.push_back(held_[i].label);
  std::string who;
  for (size_t i = 0; i < labels.size(); ++i)
    who += (i == 0 ? "" : i + 1 == labels.size() ? " and " : ", ") + labels[i];
  std::string busy = count_ - free() == count_
                         ? node + "'s " + gpus(count_) + (count_ == 1 ? " is" : " are")
                         : std::to_string(count_ - free()) + " of " + node + "'s " + gpus(count_) +
                               (count_ - free() == 1 ? " is" : " are");
  return busy + " busy with " + who;
}

}  // namespace vesta
