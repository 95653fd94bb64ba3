// org.vesta.Vestad1.Job at /org/vesta/Vestad1/job/ID: one object per job, found through a
// fallback vtable so the bus layer holds no per-job state of its own.
#include <cstring>

#include "api.h"
#include "bus_util.h"
#include "hex.h"
#include "node.h"

namespace vesta {
namespace {

Job& jobOf(void* found) {
  return *static_cast<Job*>(found);
}

std::optional<uint64_t> idFromPath(const char* path) {
  size_t prefix = std::strlen(kJobPathPrefix);
  if (std::strncmp(path, kJobPathPrefix, prefix) != 0 || path[prefix] != '/') return std::nullopt;
  const char* digits = path + prefix + 1;
  char* end = nullptr;
  uint64_t id = std::strtoull(digits, &end, 10);
  if (!*digits || *end) return std::nullopt;
  return id;
}

int findJob(sd_bus*, const char* path, const char*, void* userdata, void** found, sd_bus_error*) {
  auto id = idFromPath(path);
  if (!id) return 0;
  Job* job = static_cast<Node*>(userdata)->jobs().find(*id);
  if (!job) return 0;
  *found = job;
  return 1;
}

int enumerateJobs(sd_bus*, const char*, void* userdata, char*** nodes, sd_bus_error*) {
  auto& all = static_cast<Node*>(userdata)->jobs().all();
  char** list = static_cast<char**>(calloc(all.size() + 1, sizeof(char*)));
  if (!list) return -ENOMEM;
  size_t i = 0;
  for (auto& entry : all) list[i++] = strdup(jobPath(entry.first).c_str());
  *nodes = list;
  return 0;
}

int cancel(sd_bus_message* m, void* found, sd_bus_error* error) {
  return guarded(error, [&] {
    // The slot's userdata is the Node; `found` is the job findJob returned.
    auto* node = static_cast<Node*>(
        sd_bus_slot_get_userdata(sd_bus_get_current_slot(sd_bus_message_get_bus(m))));
    Job& job = jobOf(found);
    auto cancelled = node->jobs().cancel(job.id);
    if (!cancelled) return replyError(error, kErrorRefused, cancelled.error());
    return sd_bus_reply_method_return(m, "");
  });
}

// A job as its object's properties show it.
api::JobInfo infoOf(const Job& j) {
  api::JobInfo info;
  info.id = j.idText();
  info.kind = j.kind;
  info.origin = j.origin;
  info.node = j.node;
  info.reason = j.reason;
  info.state = j.state;
  info.progress = j.progress();
  info.result = j.result;
  info.error = j.error;
  info.elapsedMs = j.elapsedMs();
  info.iterations = j.iterations;
  info.seed = j.kind == JobKind::Cpu ? toHex(j.seed) : "";
  info.memoryMb = j.mem_mb;
  info.holdMs = j.hold_ms;
  info.workers = j.workers;
  for (auto& a : j.argv) info.command += (info.command.empty() ? "" : " ") + a;
  if (j.batchMore) info.command += " (and " + std::to_string(j.batchMore) + " more in its batch)";
  info.exitStatus = static_cast<int32_t>(j.exitStatus);
  info.pauseReason = j.state == JobState::Paused ? j.pauseReason : "";
  for (const JobPart& part : j.parts) {
    auto state = api::parsePartState(part.state).value_or(api::PartState::Lost);
    info.parts.push_back({part.node, state, part.iterations, part.chunks, part.note});
    if (state == api::PartState::Refused)
      info.refusals.push_back({part.refusal, part.node, part.note});
  }
  return info;
}

// One getter for every property: `property` names which.
int getProperty(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                void* found, sd_bus_error* error) {
  return guarded(error, [&] { return api::writeProperty(reply, infoOf(jobOf(found)), property); });
}

const sd_bus_vtable kJobVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Kind", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Origin", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Node", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("State", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Progress", "d", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Result", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Error", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ElapsedMs", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Iterations", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Seed", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("MemoryMB", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("HoldMs", "t", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Workers", "u", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Command", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ExitStatus", "i", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Reason", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("PauseReason", "s", getProperty, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Parts", api::Part::kArraySignature, getProperty, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Refusals", api::Refusal::kArraySignature, getProperty, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD("Cancel", "", "", cancel, SD_BUS_VTABLE_UNPRIVILEGED),
    // exit_status and node came later, after the first three: a reader of "sss" reads on.
    SD_BUS_SIGNAL_WITH_NAMES("Finished", "sssis",
                             SD_BUS_PARAM(state) SD_BUS_PARAM(result) SD_BUS_PARAM(error)
                                 SD_BUS_PARAM(exit_status) SD_BUS_PARAM(node),
                             0),
    SD_BUS_VTABLE_END,
};

}  // namespace

std::string jobPath(uint64_t id) {
  return std::string(kJobPathPrefix) + "/" + std::to_string(id);
}

int registerJobObjects(sd_bus* bus, Node& node, sd_bus_slot** vtableSlot,
                       sd_bus_slot** enumeratorSlot) {
  int r = sd_bus_add_fallback_vtable(bus, vtableSlot, kJobPathPrefix, kJobInterface, kJobVtable,
                                     findJob, &node);
  if (r < 0) return r;
  return sd_bus_add_node_enumerator(bus, enumeratorSlot, kJobPathPrefix, enumerateJobs, &node);
}

void emitJobChange(sd_bus* bus, const Job& job, JobChange change) {
  std::string path = jobPath(job.id);
  switch (change) {
    case JobChange::Created:
      sd_bus_emit_object_added(bus, path.c_str());
      sd_bus_emit_signal(bus, kObjectPath, kManagerInterface, "JobNew", "so", job.idText().c_str(),
                         path.c_str());
      break;
    case JobChange::Parts:
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "Node", "Parts", "Refusals",
                                     "Workers", "Reason", nullptr);
      break;
    case JobChange::Progress:
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "Progress", "ElapsedMs",
                                     nullptr);
      break;
    case JobChange::State:
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "State", "Progress",
                                     "Result", "Error", "ElapsedMs", "Reason", "ExitStatus",
                                     "PauseReason", nullptr);
      if (isTerminal(job.state))
        sd_bus_emit_signal(bus, path.c_str(), kJobInterface, "Finished", "sssis",
                           jobStateName(job.state), job.result.c_str(), job.error.c_str(),
                           static_cast<int32_t>(job.exitStatus), job.node.c_str());
      break;
    case JobChange::Removed:
      sd_bus_emit_signal(bus, kObjectPath, kManagerInterface, "JobRemoved", "so",
                         job.idText().c_str(), path.c_str());
      sd_bus_emit_object_removed(bus, path.c_str());
      break;
  }
}

}  // namespace vesta
