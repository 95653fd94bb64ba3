// org.vesta.Vestad1.Job at /org/vesta/Vestad1/job/ID: one object per job, found through a
// fallback vtable so the bus layer holds no per-job state of its own.
#include <cstring>

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

int getString(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
              void* found, sd_bus_error* error) {
  return guarded(error, [&] {
    Job& j = jobOf(found);
    std::string p = property, v;
    if (p == "Id")
      v = j.idText();
    else if (p == "Kind")
      v = jobKindName(j.kind);
    else if (p == "State")
      v = jobStateName(j.state);
    else if (p == "Result")
      v = j.result;
    else if (p == "Error")
      v = j.error;
    else if (p == "Node")
      v = j.node;
    else if (p == "Origin")
      v = j.origin;
    else if (p == "Reason")
      v = j.reason;
    else if (p == "Seed")
      v = j.kind == JobKind::Cpu ? toHex(j.seed) : "";
    else if (p == "Command")
      for (auto& a : j.argv) v += (v.empty() ? "" : " ") + a;
    return sd_bus_message_append(reply, "s", v.c_str());
  });
}

int getU64(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
           void* found, sd_bus_error* error) {
  return guarded(error, [&] {
    Job& j = jobOf(found);
    std::string p = property;
    uint64_t v = 0;
    if (p == "Iterations")
      v = j.iterations;
    else if (p == "MemoryMB")
      v = j.mem_mb;
    else if (p == "HoldMs")
      v = j.hold_ms;
    else if (p == "ElapsedMs")
      v = j.elapsedMs();
    return sd_bus_message_append(reply, "t", v);
  });
}

int getWorkers(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* found,
               sd_bus_error* error) {
  return guarded(error, [&] { return sd_bus_message_append(reply, "u", jobOf(found).workers); });
}

int getExitStatus(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                  void* found, sd_bus_error* error) {
  return guarded(error, [&] {
    return sd_bus_message_append(reply, "i", static_cast<int32_t>(jobOf(found).exitStatus));
  });
}

int getProgress(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* found,
                sd_bus_error* error) {
  return guarded(error, [&] { return sd_bus_message_append(reply, "d", jobOf(found).progress()); });
}

int getParts(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* found,
             sd_bus_error* error) {
  return guarded(error, [&] {
    int r = sd_bus_message_open_container(reply, 'a', "(sstts)");
    for (auto& part : jobOf(found).parts) {
      if (r < 0) return r;
      r = sd_bus_message_append(reply, "(sstts)", part.node.c_str(), part.state.c_str(),
                                part.iterations, part.chunks, part.note.c_str());
    }
    return r < 0 ? r : sd_bus_message_close_container(reply);
  });
}

const sd_bus_vtable kJobVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Id", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Kind", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Origin", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Node", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("State", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Progress", "d", getProgress, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Result", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Error", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("ElapsedMs", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Iterations", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Seed", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("MemoryMB", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("HoldMs", "t", getU64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Workers", "u", getWorkers, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Command", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ExitStatus", "i", getExitStatus, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Reason", "s", getString, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Parts", "a(sstts)", getParts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD("Cancel", "", "", cancel, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("Finished", "sss",
                             SD_BUS_PARAM(state) SD_BUS_PARAM(result) SD_BUS_PARAM(error), 0),
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
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "Node", "Parts", "Workers",
                                     "Reason", nullptr);
      break;
    case JobChange::Progress:
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "Progress", "ElapsedMs",
                                     nullptr);
      break;
    case JobChange::State:
      sd_bus_emit_properties_changed(bus, path.c_str(), kJobInterface, "State", "Progress",
                                     "Result", "Error", "ElapsedMs", "Reason", "ExitStatus",
                                     nullptr);
      if (isTerminal(job.state))
        sd_bus_emit_signal(bus, path.c_str(), kJobInterface, "Finished", "sss",
                           jobStateName(job.state), job.result.c_str(), job.error.c_str());
      break;
    case JobChange::Removed:
      sd_bus_emit_signal(bus, kObjectPath, kManagerInterface, "JobRemoved", "so",
                         job.idText().c_str(), path.c_str());
      sd_bus_emit_object_removed(bus, path.c_str());
      break;
  }
}

}  // namespace vesta
