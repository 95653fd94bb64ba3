// The records of the jobs one engine runs (a loan, an exec command, a submitted command), by key,
// with the lifecycle every engine needs: a record ended in its own callback is retired at once
// (gone from lookups) and freed at the next reap() on the loop, never under its own feet; "every
// record of this peer" for a link that goes down; and the flows built from the live ones. Pure:
// a container, no I/O.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vesta {

template <typename Key, typename Record>
class RunTable {
 public:
  using Map = std::map<Key, std::unique_ptr<Record>>;

  Record& add(const Key& key, std::unique_ptr<Record> record) {
    return *(live_[key] = std::move(record));
  }
  Record* find(const Key& key) const {
    auto it = live_.find(key);
    return it == live_.end() ? nullptr : it->second.get();
  }
  bool has(const Key& key) const { return live_.count(key) > 0; }
  size_t size() const { return live_.size(); }
  const Map& live() const { return live_; }

  // Gone from lookups now; freed at the next reap(). The caller may still use the record until
  // it returns to the loop.
  void retire(const Key& key) {
    auto it = live_.find(key);
    if (it == live_.end()) return;
    retired_.push_back(std::move(it->second));
    live_.erase(it);
  }
  // Frees the records retired since the last call. Call it at the top of a tick.
  void reap() { retired_.clear(); }

  // The keys of the live records `pick` chooses, copied first, so that the caller may retire
  // records (or start new ones) while it walks them.
  std::vector<Key> keysWhere(const std::function<bool(const Key&, const Record&)>& pick) const {
    std::vector<Key> out;
    for (auto& [key, record] : live_)
      if (pick(key, *record)) out.push_back(key);
    return out;
  }
  // Where the key is (peer fingerprint, job): that peer's records.
  std::vector<Key> keysOfPeer(const std::string& fingerprint) const {
    return keysWhere([&](const Key& key, const Record&) { return key.first == fingerprint; });
  }
  std::vector<Key> keys() const {
    return keysWhere([](const Key&, const Record&) { return true; });
  }

  // One entry (a Flow) per live record that `view` describes, in key order.
  template <typename T>
  std::vector<T> collect(
      const std::function<std::optional<T>(const Key&, const Record&)>& view) const {
    std::vector<T> out;
    for (auto& [key, record] : live_)
      if (auto item = view(key, *record)) out.push_back(std::move(*item));
    return out;
  }

 private:
  Map live_;
  std::vector<std::unique_ptr<Record>> retired_;
};

}  // namespace vesta
