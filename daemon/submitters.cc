#include "submitters.h"

namespace vesta {

std::vector<uint64_t> submittedBy(const std::map<uint64_t, std::string>& submitters,
                                  const std::string& name) {
  std::vector<uint64_t> out;
  for (const auto& [job, sender] : submitters)
    if (sender == name) out.push_back(job);
  return out;
}

}  // namespace vesta
