#include "commands.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>
#include <type_traits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "budget_text.h"
#include "format.h"
#include "gpu_text.h"
#include "job.h"
#include "machine_arch.h"
#include "parts_line.h"
#include "plural.h"

namespace vesta {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

volatile sig_atomic_t interrupted = 0;

void printJson(const rapidjson::StringBuffer& out) {
  std::printf("%s\n", out.GetString());
}

// "key": [{...}, ...], each row written by `writeRow` inside its own object.
template <typename Row, typename Fn>
void writeRows(JsonWriter& w, const char* key, const std::vector<Row>& rows, Fn&& writeRow) {
  w.Key(key);
  w.StartArray();
  for (const Row& row : rows) {
    w.StartObject();
    writeRow(w, row);
    w.EndObject();
  }
  w.EndArray();
}

// {"key": [{...}, ...]} on its own line.
template <typename Row, typename Fn>
void printRows(const char* key, const std::vector<Row>& rows, Fn&& writeRow) {
  rapidjson::StringBuffer out;
  JsonWriter w(out);
  w.StartObject();
  writeRows(w, key, rows, writeRow);
  w.EndObject();
  printJson(out);
}

// One "key": value pair; the value's type picks the JSON type.
void field(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}
void field(JsonWriter& w, const char* key, const char* value) {
  field(w, key, std::string(value));
}
template <typename T>
void field(JsonWriter& w, const char* key, T value) {
  w.Key(key);
  if constexpr (std::is_same_v<T, bool>)
    w.Bool(value);
  else if constexpr (std::is_floating_point_v<T>)
    w.Double(value);
  else if constexpr (std::is_unsigned_v<T>)
    w.Uint64(value);
  else
    w.Int64(value);
}

// "gpu_list": this node's GPUs (or a peer's), as the JSON of vesta status and vesta peers.
void writeGpus(JsonWriter& w, const std::vector<api::GpuRow>& rows) {
  writeRows(w, "gpu_list", rows, [](JsonWriter& json, const api::GpuRow& g) {
    field(json, "index", g.index);
    field(json, "vendor", g.vendor);
    field(json, "model", g.model);
    field(json, "driver", g.driver);
    json.Key("memory_mb");
    g.memoryMb ? json.Uint(g.memoryMb) : json.Null();
    json.Key("busy_pct");
    g.busyPct < 0 ? json.Null() : json.Int(g.busyPct);
    field(json, "state", g.state);
    if (!g.note.empty()) field(json, "note", g.note);
  });
}

// Calls SubmitCpu/SubmitMem with the two leading arguments in `types` and the placement options
// (--on, --local, --no-split) as the a{sv} that follows. Returns the job path.
template <typename A, typename B>
ClientResult<std::string> submitJob(Client& c, const CliOptions& o, const char* method,
                                    const char* types, A a, B b) {
  auto call = c.newCall(method);
  if (!call) return tl::unexpected(call.error());
  sd_bus_message* m = call->get();
  int r = sd_bus_message_append(m, types, a, b);
  if (r >= 0) r = appendPlacement(m, o);
  if (r >= 0 && o.noSplit) r = sd_bus_message_append(m, "{sv}", "no_split", "b", 1);
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r < 0) return tl::unexpected(ClientError{kExitJobFailed, "cannot build the D-Bus call"});
  return c.callForJob(std::move(*call), kExitJobFailed);
}

// Submits with `submit` (which returns the job path) and waits for the job to end, showing
// progress on a terminal. Ctrl-C cancels the job. Returns the job's final properties.
template <typename Submit>
ClientResult<api::JobInfo> runJob(Client& c, const CliOptions& options, Submit submit,
                                  const std::string& label) {
  // Catch Ctrl-C before the job exists, so no interrupt can slip between submit and wait.
  struct sigaction sa {};
  sa.sa_handler = [](int) { interrupted = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::optional<Finished> finished;
  std::string path;
  // Subscribe before submitting, so a job that ends at once cannot be missed.
  Watch watch = c.watchFinished([&](const Finished& f) {
    if (f.path == path) finished = f;
  });
  auto submitted = submit();
  if (!submitted) return tl::unexpected(submitted.error());
  path = *submitted;

  bool tty = !options.json && ::isatty(2);
  auto start = std::chrono::steady_clock::now();
  auto lastPoll = start;
  bool shownProgress = false;
  ClientResult<api::JobInfo> job = api::JobInfo{};
  for (;;) {
    int r = sd_bus_process(c.bus(), nullptr);
    if (r > 0) continue;
    if (finished || interrupted) break;
    if (r >= 0) sd_bus_wait(c.bus(), 200'000);
    auto now = std::chrono::steady_clock::now();
    // Poll too: it notices a vestad that went away, and covers a lost signal.
    if (now - lastPoll >= std::chrono::milliseconds(tty ? 200 : 1000)) {
      lastPoll = now;
      job = c.job(path);
      if (!job) {
        job.error().message = "lost job " + path + ": " + job.error().message;
        break;
      }
      if (isTerminal(job->state)) break;
      if (tty && now - start >= std::chrono::seconds(1)) {
        std::fprintf(stderr, "\r%s %s %3.0f%%  %s ", label.c_str(),
                     progressBar(job->progress, 30).c_str(), job->progress * 100,
                     formatDuration(job->elapsedMs).c_str());
        shownProgress = true;
      }
    }
  }
  if (shownProgress) std::fprintf(stderr, "\r\033[K");
  std::string id = path.substr(path.rfind('/') + 1);
  if (interrupted) {
    c.cancel(path);
    return tl::unexpected(ClientError{130, "interrupted: job " + id + " cancelled"});
  }
  if (!job) return job;
  job = c.job(path);
  if (!job && finished) {
    // vestad announced the end and then went away (it was stopped): report what it said.
    api::JobInfo last;
    last.id = id;
    last.state = parseJobState(finished->state).value_or(JobState::Failed);
    last.result = finished->result;
    last.error = finished->error;
    last.node = "its node";
    return last;
  }
  return job;
}

void writeRefusals(JsonWriter& w, const std::vector<api::Refusal>& refusals) {
  w.Key("refusals");
  w.StartArray();
  for (const api::Refusal& f : refusals) {
    w.StartObject();
    field(w, "code", api::refuseCodeName(f.code));
    field(w, "node", f.node);
    field(w, "text", f.text);
    w.EndObject();
  }
  w.EndArray();
}

// Prints a failure: one line on stderr, or {"error": ..., "refusals": ...} on stdout with --json
// (refusals only when nodes refused).
int reportFailure(const CliOptions& options, const ClientError& error,
                  const std::vector<api::Refusal>& refusals) {
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    field(w, "error", error.message);
    field(w, "exit_code", error.code);
    if (!refusals.empty()) writeRefusals(w, refusals);
    w.EndObject();
    printJson(out);
  } else {
    std::fprintf(stderr, "vesta: %s\n", error.message.c_str());
  }
  return error.code;
}

// Exit code and message for a job that did not end done, with the nodes that refused it.
int jobFailure(const CliOptions& options, const api::JobInfo& j) {
  std::string message =
      "job " + j.id + " " + jobStateName(j.state) + (j.node.empty() ? "" : " on " + j.node);
  if (!j.error.empty()) message += ": " + j.error;
  return reportFailure(options, {kExitJobFailed, message}, j.refusals);
}

}  // namespace

int reportError(const CliOptions& options, const ClientError& error) {
  return reportFailure(options, error, {});
}

int appendPlacement(sd_bus_message* m, const CliOptions& o) {
  int r = sd_bus_message_open_container(m, 'a', "{sv}");
  if (r >= 0 && !o.on.empty()) r = sd_bus_message_append(m, "{sv}", "on", "s", o.on.c_str());
  if (r >= 0 && o.local) r = sd_bus_message_append(m, "{sv}", "local", "b", 1);
  return r;
}

int commandStatus(Client& c, const CliOptions& options) {
  auto node = c.node();
  if (!node) return reportError(options, node.error());
  const api::NodeInfo& n = *node;
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("node");
    w.StartObject();
    field(w, "name", n.name);
    field(w, "fingerprint", n.fingerprint);
    field(w, "version", n.version);
    field(w, "bus", c.busDescription());
    field(w, "cores", n.cores);
    field(w, "workers", n.workers);
    field(w, "cpu_pct", std::round(n.cpuPct * 10) / 10);
    w.Key("cpu_pct_per_core");
    w.StartArray();
    for (double d : n.cpuPctPerCore) w.Double(std::round(d * 10) / 10);
    w.EndArray();
    field(w, "mem_total_mb", n.memTotalMb);
    field(w, "mem_available_mb", n.memAvailableMb);
    field(w, "mem_offer_mb", n.memOfferMb);
    field(w, "power", n.powerMode);
    field(w, "power_reason", n.powerReason);
    field(w, "willingness", n.willingness);
    w.Key("battery_pct");
    n.batteryPct < 0 ? w.Null() : w.Int(n.batteryPct);
    w.Key("temperature_c");
    n.temperatureC < 0 ? w.Null() : w.Double(n.temperatureC);
    field(w, "gpus", n.gpus);
    writeGpus(w, gpuRowsFor(n.gpuList, n.name));
    field(w, "machine", n.machine);
    field(w, "debian_arch", n.debianArch);
    field(w, "word_bits", n.wordBits);
    field(w, "kernel", n.kernel);
    field(w, "stress_cores", n.stressCores);
    field(w, "jobs_active", n.jobsActive);
    field(w, "allow_exec", n.allowExec);
    field(w, "exec_confinement", n.execConfinement);
    // The owner first: loads, offer and budget (docs/dbus-api.md).
    field(w, "owner_cpu_pct", std::round(n.ownerCpuPct * 10) / 10);
    field(w, "borrowed_cpu_pct", std::round(n.borrowedCpuPct * 10) / 10);
    field(w, "offer_cores", std::round(n.offerCores * 1000) / 1000);
    field(w, "budget_cores", std::round(n.lendingBudgetCores * 1000) / 1000);
    field(w, "thermal_factor", std::round(n.thermalFactor * 1000) / 1000);
    field(w, "user_presence", n.userPresence);
    field(w, "budget_summary", n.budgetSummary);
    field(w, "load", ownerLine(n));
    w.EndObject();
    writeRows(w, "flows", n.flows, [](JsonWriter& json, const api::Flow& f) {
      field(json, "direction", f.lending ? "lend" : "borrow");
      field(json, "job", f.job);
      field(json, "kind", jobKindName(f.kind));
      field(json, "peer", f.peer);
      field(json, "peer_fingerprint", f.peerFingerprint);
      field(json, "cores", f.cores);
      field(json, "done", f.done);
      field(json, "total", f.total);
      field(json, "elapsed_ms", f.elapsedMs);
      field(json, "paused", f.paused);
    });
    writeRows(w, "ledger", n.ledger, [](JsonWriter& json, const api::LedgerRow& l) {
      field(json, "name", l.name);
      field(json, "fingerprint", l.fingerprint);
      field(json, "lent_core_s", l.lentCoreS);
      field(json, "borrowed_core_s", l.borrowedCoreS);
      field(json, "capped", l.capped);
    });
    w.Key("dropped");
    w.StartObject();
    for (auto& [reason, count] : n.dropped) {
      w.Key(reason.c_str());
      w.Uint64(count);
    }
    w.EndObject();
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("%s  %s  vestad %s\n", n.name.c_str(), n.fingerprint.c_str(), n.version.c_str());
  std::printf("  bus     %s\n", c.busDescription().c_str());
  std::printf("  arch    %s\n",
              platformSummary(n.machine, n.debianArch, n.wordBits, n.kernel).c_str());
  std::printf("  cpu     %u cores, %.1f%% busy, %u workers for jobs\n", n.cores, n.cpuPct,
              n.workers);
  if (!n.cpuPctPerCore.empty()) {
    std::printf("          ");
    for (size_t i = 0; i < n.cpuPctPerCore.size(); ++i)
      std::printf(" %zu:%.0f%%", i, n.cpuPctPerCore[i]);
    std::printf("\n");
  }
  std::printf("  memory  %s available of %s, jobs may take %s\n",
              formatMiB(n.memAvailableMb).c_str(), formatMiB(n.memTotalMb).c_str(),
              formatMiB(n.memOfferMb).c_str());
  if (n.allowExec) std::printf("  exec    allowed; %s\n", n.execConfinement.c_str());
  std::printf("  power   %s (%s), lends %.0f%% of its offer\n", n.powerMode.c_str(),
              n.powerReason.c_str(), n.willingness * 100);
  if (n.temperatureC >= 0) std::printf("  heat    %.0f °C\n", n.temperatureC);
  std::printf("  load    %s\n", ownerLine(n).c_str());
  if (n.userPresence != "unknown")
    std::printf("  user    %s\n", n.userPresence == "active" ? "at the keyboard" : "away");
  for (const api::GpuRow& g : gpuRowsFor(n.gpuList, n.name))
    std::printf("  gpu     %s\n", gpuRowText(g).c_str());
  std::string drops;
  for (auto& [reason, count] : n.dropped)
    if (count) drops += (drops.empty() ? "" : ", ") + std::to_string(count) + " " + reason;
  std::printf("  network %s\n",
              drops.empty() ? "no packets dropped" : ("dropped " + drops).c_str());
  std::printf("  jobs    %s active%s\n", countOf(n.jobsActive, "job").c_str(),
              n.stressCores ? (", stress on " + countOf(n.stressCores, "core")).c_str() : "");
  for (const api::LedgerRow& l : n.ledger)
    std::printf("  ledger  %s: lent %.1f core-s, borrowed %.1f, balance %+.1f%s\n", l.name.c_str(),
                l.lentCoreS, l.borrowedCoreS, l.lentCoreS - l.borrowedCoreS,
                l.capped        ? " (capped: may not borrow from us)"
                : l.cappedThere ? " (we are capped there)"
                                : "");
  for (const api::Flow& f : n.flows) {
    const char* direction = f.lending ? "lending to" : "borrowing from";
    if (f.total == 0) {  // an exec job: no units to count, only time
      std::printf("  %s %s: job %llu %s, %s, %s%s\n", direction, f.peer.c_str(),
                  static_cast<unsigned long long>(f.job), jobKindName(f.kind),
                  countOf(f.cores, "core").c_str(), formatDuration(f.elapsedMs).c_str(),
                  f.paused.empty() ? "" : (", paused: " + f.paused).c_str());
      continue;
    }
    // "lending to pi4: job 3 cpu, 2 cores, 41.9 M of 200 M (21%), 4.2 s"
    std::printf("  %s %s: job %llu %s, %u cores, %s of %s (%.0f%%), %s\n", direction,
                f.peer.c_str(), static_cast<unsigned long long>(f.job), jobKindName(f.kind),
                f.cores, formatCount(static_cast<double>(f.done)).c_str(),
                formatCount(static_cast<double>(f.total)).c_str(), f.progress() * 100,
                formatDuration(f.elapsedMs).c_str());
  }
  return kExitOk;
}

int commandCpu(Client& c, const CliOptions& options, uint64_t millions) {
  auto job = runJob(
      c, options,
      [&] { return submitJob(c, options, "SubmitCpu", "ts", millions, options.seed.c_str()); },
      "cpu " + std::to_string(millions) + "M");
  if (!job) return reportError(options, job.error());
  const api::JobInfo& j = *job;
  if (j.state != JobState::Done) return jobFailure(options, j);
  double rate = static_cast<double>(j.iterations) /
                (static_cast<double>(std::max<uint64_t>(j.elapsedMs, 1)) / 1000.0);
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    field(w, "job", j.id);
    field(w, "state", jobStateName(j.state));
    field(w, "iterations", j.iterations);
    field(w, "seed", j.seed);
    field(w, "result", j.result);
    field(w, "elapsed_ms", j.elapsedMs);
    field(w, "node", j.node);
    field(w, "workers", j.workers);
    field(w, "iterations_per_s", std::round(rate));
    field(w, "reason", j.reason);
    w.Key("parts");
    w.StartArray();
    for (const api::Part& p : j.parts) {
      w.StartObject();
      field(w, "node", p.node);
      field(w, "state", api::partStateName(p.state));
      field(w, "iterations", p.iterations);
      field(w, "chunks", p.chunks);
      if (!p.note.empty()) field(w, "note", p.note);
      w.EndObject();
    }
    w.EndArray();
    writeRefusals(w, j.refusals);
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("job %s ran on %s (%u workers): %s iterations in %s\n", j.id.c_str(), j.node.c_str(),
              j.workers, formatCount(static_cast<double>(j.iterations)).c_str(),
              formatDuration(j.elapsedMs).c_str());
  std::printf("placed %s\n", j.reason.c_str());
  if (j.parts.size() > 1) std::printf("parts  %s\n", partsLine(j.parts).c_str());
  std::printf("rate   %s it/s, %s it/s per worker\n", formatCount(rate).c_str(),
              formatCount(rate / std::max(j.workers, 1u)).c_str());
  std::printf("result %s\n", j.result.c_str());
  std::printf("seed   %s\n", j.seed.c_str());
  return kExitOk;
}

int commandMem(Client& c, const CliOptions& options, uint64_t mb, uint64_t holdMs) {
  auto job = runJob(
      c, options, [&] { return submitJob(c, options, "SubmitMem", "tt", mb, holdMs); },
      "mem " + std::to_string(mb) + " MiB");
  if (!job) return reportError(options, job.error());
  const api::JobInfo& j = *job;
  if (j.state != JobState::Done) return jobFailure(options, j);
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    field(w, "job", j.id);
    field(w, "state", jobStateName(j.state));
    field(w, "node", j.node);
    field(w, "megabytes", mb);
    field(w, "elapsed_ms", j.elapsedMs);
    field(w, "reason", j.reason);
    writeRefusals(w, j.refusals);
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("job %s: mem %s held %s on %s, done in %s\n", j.id.c_str(), formatMiB(mb).c_str(),
              formatDuration(holdMs).c_str(), j.node.c_str(), formatDuration(j.elapsedMs).c_str());
  std::printf("placed %s\n", j.reason.c_str());
  return kExitOk;
}

int commandStress(Client& c, const CliOptions& options, uint32_t cores, uint32_t seconds) {
  auto reply = c.call(kObjectPath, kManagerInterface, "Stress", "uu", cores, seconds);
  if (!reply) return reportError(options, reply.error());
  if (options.json) {
    std::printf("{\"stress_cores\":%u,\"seconds\":%u}\n", cores, seconds);
  } else {
    std::printf("stressing %s for %u s (vesta stop-stress ends it)\n",
                cores ? countOf(cores, "core").c_str() : "all cores", seconds);
  }
  return kExitOk;
}

int commandStopStress(Client& c, const CliOptions& options) {
  auto reply = c.call(kObjectPath, kManagerInterface, "StopStress", "");
  if (!reply) return reportError(options, reply.error());
  if (options.json)
    std::printf("{\"stress_cores\":0}\n");
  else
    std::printf("stress stopped\n");
  return kExitOk;
}

int commandJobs(Client& c, const CliOptions& options) {
  auto rows = c.listJobs();
  if (!rows) return reportError(options, rows.error());
  if (options.json) {
    printRows("jobs", *rows, [](JsonWriter& w, const api::JobRow& row) {
      field(w, "job", row.id);
      field(w, "kind", jobKindName(row.kind));
      field(w, "state", jobStateName(row.state));
      field(w, "node", row.node);
      field(w, "progress", row.progress);
    });
    return kExitOk;
  }
  if (rows->empty()) {
    std::printf("no jobs\n");
    return kExitOk;
  }
  std::printf("%-6s %-5s %-10s %-16s %s\n", "JOB", "KIND", "STATE", "NODE", "PROGRESS");
  for (const api::JobRow& row : *rows) {
    std::printf("%-6s %-5s %-10s %-16s %3.0f%%\n", row.id.c_str(), jobKindName(row.kind),
                jobStateName(row.state), row.node.c_str(), row.progress * 100);
    // Why its runner paused it: "       paused: the owner needs the cores (...)".
    if (row.state == JobState::Paused)
      if (auto job = c.job(row.path); job && !job->pauseReason.empty())
        std::printf("       paused: %s\n", job->pauseReason.c_str());
  }
  return kExitOk;
}

int commandPeers(Client& c, const CliOptions& options) {
  auto rows = c.listPeers();
  if (!rows) return reportError(options, rows.error());
  // The peers' GPUs, as their beacons advertise them (none from a vestad that predates them).
  std::vector<api::GpuRow> gpus;
  if (auto node = c.node()) gpus = node->gpuList;
  if (options.json) {
    printRows("peers", *rows, [&](JsonWriter& w, const api::Peer& row) {
      writeGpus(w, gpuRowsFor(gpus, row.name));
      field(w, "name", row.name);
      field(w, "fingerprint", row.fingerprint);
      field(w, "address", row.address + ":" + std::to_string(row.port));
      field(w, "state", row.state);
      field(w, "cores", row.cores);
      field(w, "cpu_pct", row.cpuPct);
      field(w, "mem_available_mb", row.memAvailableMb);
      field(w, "power", row.power);
      field(w, "willingness", row.willingness);
      field(w, "spare_cores", row.spareCores);
      field(w, "last_seen_ms", row.lastSeenMs);
      field(w, "link", row.linkUp ? "up" : "down");
      w.Key("rtt_ms");
      row.rttMs < 0 ? w.Null() : w.Double(row.rttMs);
      w.Key("temperature_c");
      row.temperatureC < 0 ? w.Null() : w.Double(row.temperatureC);
      field(w, "thermal_factor", row.thermalFactor);
      field(w, "machine", row.machine);
      field(w, "debian_arch", row.debianArch);
      field(w, "word_bits", row.bits);
      field(w, "kernel", row.kernel);
    });
    return kExitOk;
  }
  if (rows->empty()) {
    std::printf(
        "no peers yet (nodes with the same key on this subnet appear within a second or two)\n");
    return kExitOk;
  }
  std::printf("%-16s %-8s %-21s %-19s %-8s %5s %5s %9s %-8s %5s %6s %s\n", "NAME", "STATE",
              "ADDRESS", "FINGERPRINT", "ARCH", "CORES", "CPU", "FREE MEM", "POWER", "SPARE",
              "SEEN", "LINK");
  for (const api::Peer& row : *rows) {
    char link[32];
    if (row.linkUp && row.rttMs >= 0)
      std::snprintf(link, sizeof link, "up %.2f ms", row.rttMs);  // with its round-trip time
    else
      std::snprintf(link, sizeof link, "%s", row.linkUp ? "up" : "down");
    std::string heat = heatNote(row.temperatureC, row.thermalFactor);  // "hot 76 °C: lends 40%"
    std::printf(
        "%-16s %-8s %-21s %-19s %-8s %5u %4.0f%% %9s %-8s %5.1f %6s %s%s\n", row.name.c_str(),
        row.state.c_str(), (row.address + ":" + std::to_string(row.port)).c_str(),
        row.fingerprint.c_str(), row.machine.empty() ? "?" : row.machine.c_str(), row.cores,
        row.cpuPct, formatMiB(row.memAvailableMb).c_str(), row.power.c_str(), row.spareCores,
        formatDuration(row.lastSeenMs).c_str(), link, heat.empty() ? "" : ("  " + heat).c_str());
  }
  for (const api::Peer& row : *rows)
    for (const api::GpuRow& g : gpuRowsFor(gpus, row.name))
      std::printf("%-16s gpu %s\n", row.name.c_str(), gpuRowText(g).c_str());
  return kExitOk;
}

int commandLedger(Client& c, const CliOptions& options) {
  auto node = c.node();
  if (!node) return reportError(options, node.error());
  const std::vector<api::LedgerRow>& rows = node->ledger;
  if (options.json) {
    auto rounded = [](double v) { return std::round(v * 1000) / 1000; };
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("peers");
    w.StartArray();
    for (const api::LedgerRow& l : rows) {
      w.StartObject();
      field(w, "name", l.name);
      field(w, "fingerprint", l.fingerprint);
      field(w, "lent_core_s", rounded(l.lentCoreS));
      field(w, "borrowed_core_s", rounded(l.borrowedCoreS));
      field(w, "lent_mib_s", rounded(l.lentMibS));
      field(w, "borrowed_mib_s", rounded(l.borrowedMibS));
      field(w, "balance_core_s", rounded(l.lentCoreS - l.borrowedCoreS));
      field(w, "capped", l.capped);
      field(w, "capped_there", l.cappedThere);
      w.EndObject();
    }
    w.EndArray();
    field(w, "max_borrow_ratio", node->maxBorrowRatio);
    field(w, "goodwill_core_s", node->goodwillCoreSeconds);
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf("no exchange with any peer yet\n");
    return kExitOk;
  }
  std::printf("%-16s %-19s %12s %12s %12s %12s  %s\n", "PEER", "FINGERPRINT", "LENT core-s",
              "BORROWED", "BALANCE", "LENT MiB-s", "STATE");
  for (const api::LedgerRow& l : rows) {
    const char* state = l.capped        ? "capped: may not borrow from us"
                        : l.cappedThere ? "we are capped there"
                                        : "ok";
    std::printf("%-16s %-19s %12.1f %12.1f %+12.1f %12.0f  %s\n", l.name.c_str(),
                l.fingerprint.c_str(), l.lentCoreS, l.borrowedCoreS, l.lentCoreS - l.borrowedCoreS,
                l.lentMibS, state);
  }
  std::printf(
      "a peer may borrow while what we lent it <= %.1f x max(%.0f core-s, what it lent us)\n",
      node->maxBorrowRatio, node->goodwillCoreSeconds);
  return kExitOk;
}

int commandCancel(Client& c, const CliOptions& options, const std::string& id) {
  auto reply = c.call(kObjectPath, kManagerInterface, "CancelJob", "s", id.c_str());
  if (!reply) return reportError(options, reply.error());
  if (options.json)
    std::printf("{\"job\":\"%s\",\"state\":\"cancelled\"}\n", id.c_str());
  else
    std::printf("job %s cancelled\n", id.c_str());
  return kExitOk;
}

}  // namespace vesta
