#include "commands.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "format.h"
#include "job.h"
#include "plural.h"

namespace vesta {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

volatile sig_atomic_t interrupted = 0;

void printJson(const rapidjson::StringBuffer& out) {
  std::printf("%s\n", out.GetString());
}

void writeString(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

// Calls a Manager method and returns the reply, or the CliError to exit with.
template <typename... Args>
tl::expected<sd_bus_message*, CliError> callManager(Client& c, const char* method,
                                                    const char* types, Args... args) {
  sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(c.bus(), c.destination().c_str(), kObjectPath, kManagerInterface,
                             method, &error, &reply, types, args...);
  if (r < 0) {
    CliError e = c.failure(error, kExitJobFailed);
    sd_bus_error_free(&error);
    return tl::unexpected(e);
  }
  return reply;
}

// Calls SubmitCpu/SubmitMem with the two leading arguments in `types` and the placement options
// (--on, --local, --no-split) as the a{sv} that follows. Returns the job path.
template <typename A, typename B>
tl::expected<std::string, CliError> submitJob(Client& c, const CliOptions& o, const char* method,
                                              const char* types, A a, B b) {
  sd_bus_message* call = nullptr;
  int r = sd_bus_message_new_method_call(c.bus(), &call, c.destination().c_str(), kObjectPath,
                                         kManagerInterface, method);
  if (r >= 0) r = sd_bus_message_append(call, types, a, b);
  if (r >= 0) r = sd_bus_message_open_container(call, 'a', "{sv}");
  if (r >= 0 && !o.on.empty()) r = sd_bus_message_append(call, "{sv}", "on", "s", o.on.c_str());
  if (r >= 0 && o.local) r = sd_bus_message_append(call, "{sv}", "local", "b", 1);
  if (r >= 0 && o.noSplit) r = sd_bus_message_append(call, "{sv}", "no_split", "b", 1);
  if (r >= 0) r = sd_bus_message_close_container(call);
  return c.callForJob(call, r, kExitJobFailed);
}

struct FinishWatch {
  std::string path;
  bool finished = false;
  std::string state, result, error;  // from the Finished signal
};

int onFinished(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* watch = static_cast<FinishWatch*>(userdata);
  const char* path = sd_bus_message_get_path(m);
  if (!path || watch->path != path) return 0;
  const char *state = "", *result = "", *error = "";
  sd_bus_message_read(m, "sss", &state, &result, &error);
  watch->finished = true;
  watch->state = state;
  watch->result = result;
  watch->error = error;
  return 0;
}

// Submits with `submit` (which returns the job path) and waits for the job to end, showing
// progress on a terminal. Ctrl-C cancels the job. Returns the job's final properties.
template <typename Submit>
tl::expected<Properties, CliError> runJob(Client& c, const CliOptions& options, Submit submit,
                                          const std::string& label) {
  // Catch Ctrl-C before the job exists, so no interrupt can slip between submit and wait.
  struct sigaction sa {};
  sa.sa_handler = [](int) { interrupted = 1; };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  FinishWatch watch;
  sd_bus_slot* slot = nullptr;
  // Subscribe before submitting, so a job that ends at once cannot be missed.
  sd_bus_match_signal(c.bus(), &slot, nullptr, nullptr, kJobInterface, "Finished", onFinished,
                      &watch);
  auto path = submit();
  if (!path) {
    sd_bus_slot_unref(slot);
    return tl::unexpected(path.error());
  }
  watch.path = *path;

  bool tty = !options.json && ::isatty(2);
  auto start = std::chrono::steady_clock::now();
  auto lastPoll = start;
  bool shownProgress = false;
  tl::expected<Properties, CliError> props = Properties{};
  for (;;) {
    int r = sd_bus_process(c.bus(), nullptr);
    if (r > 0) continue;
    if (watch.finished || interrupted) break;
    if (r >= 0) sd_bus_wait(c.bus(), 200'000);
    auto now = std::chrono::steady_clock::now();
    // Poll too: it notices a vestad that went away, and covers a lost signal.
    if (now - lastPoll >= std::chrono::milliseconds(tty ? 200 : 1000)) {
      lastPoll = now;
      props = c.getAll(watch.path, kJobInterface);
      if (!props) {
        props.error().message = "lost job " + watch.path + ": " + props.error().message;
        break;
      }
      auto state = parseJobState(asString(*props, "State"));
      if (state && isTerminal(*state)) break;
      if (tty && now - start >= std::chrono::seconds(1)) {
        double p = asDouble(*props, "Progress");
        std::fprintf(stderr, "\r%s %s %3.0f%%  %s ", label.c_str(), progressBar(p, 30).c_str(),
                     p * 100,
                     formatDuration(static_cast<uint64_t>(asDouble(*props, "ElapsedMs"))).c_str());
        shownProgress = true;
      }
    }
  }
  if (shownProgress) std::fprintf(stderr, "\r\033[K");
  sd_bus_slot_unref(slot);
  if (interrupted) {
    sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C99 compound literal
    sd_bus_call_method(c.bus(), c.destination().c_str(), watch.path.c_str(), kJobInterface,
                       "Cancel", &error, nullptr, "");
    sd_bus_error_free(&error);
    return tl::unexpected(CliError{
        130, "interrupted: job " + watch.path.substr(watch.path.rfind('/') + 1) + " cancelled"});
  }
  if (!props) return props;
  props = c.getAll(watch.path, kJobInterface);
  if (!props && watch.finished) {
    // vestad announced the end and then went away (it was stopped): report what it said.
    Properties last;
    last["Id"] = watch.path.substr(watch.path.rfind('/') + 1);
    last["State"] = watch.state;
    last["Result"] = watch.result;
    last["Error"] = watch.error;
    last["Node"] = std::string("its node");
    return last;
  }
  return props;
}

// Exit code and message for a job that did not end done.
int jobFailure(const CliOptions& options, const Properties& p) {
  std::string state = asString(p, "State");
  std::string node = asString(p, "Node");
  std::string message =
      "job " + asString(p, "Id") + " " + state + (node.empty() ? "" : " on " + node);
  if (!asString(p, "Error").empty()) message += ": " + asString(p, "Error");
  return reportError(options, {kExitJobFailed, message});
}

// The Parts rows (node, state, iterations, chunks, note) as one line:
// "desk 120.6 M (29 chunks), pi4 79.4 M (20 chunks), laptop lost: link down".
std::string partsLine(const Rows& parts) {
  std::string out;
  for (const auto& row : parts) {
    if (row.size() < 5) continue;
    std::string part = row[0] + " ";
    uint64_t iterations = std::strtoull(row[2].c_str(), nullptr, 10);
    if (iterations)
      part += formatCount(static_cast<double>(iterations)) + " (" +
              countOf(std::strtoull(row[3].c_str(), nullptr, 10), "chunk") + ")";
    if (row[1] != "done" && row[1] != "running") part += (iterations ? ", " : "") + row[1];
    if (!row[4].empty()) part += ": " + row[4];
    out += (out.empty() ? "" : "; ") + part;
  }
  return out;
}

void writeReason(JsonWriter& w, const Properties& p) {
  writeString(w, "reason", asString(p, "Reason"));
}

}  // namespace

int reportError(const CliOptions& options, const CliError& error) {
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    writeString(w, "error", error.message);
    w.Key("exit_code");
    w.Int(error.code);
    w.EndObject();
    printJson(out);
  } else {
    std::fprintf(stderr, "vesta: %s\n", error.message.c_str());
  }
  return error.code;
}

int commandStatus(Client& c, const CliOptions& options) {
  auto props = c.getAll(kObjectPath, kManagerInterface);
  if (!props) return reportError(options, props.error());
  const Properties& p = *props;
  double cpu = asDouble(p, "CpuPercent");
  auto perCore = asDoubles(p, "CpuPercentPerCore");
  int battery = static_cast<int>(asDouble(p, "BatteryPercent"));
  double temperature = asDouble(p, "TemperatureC");
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("node");
    w.StartObject();
    writeString(w, "name", asString(p, "Name"));
    writeString(w, "fingerprint", asString(p, "Fingerprint"));
    writeString(w, "version", asString(p, "Version"));
    writeString(w, "bus", c.busDescription());
    w.Key("cores");
    w.Uint(static_cast<unsigned>(asDouble(p, "Cores")));
    w.Key("workers");
    w.Uint(static_cast<unsigned>(asDouble(p, "Workers")));
    w.Key("cpu_pct");
    w.Double(std::round(cpu * 10) / 10);
    w.Key("cpu_pct_per_core");
    w.StartArray();
    for (double d : perCore) w.Double(std::round(d * 10) / 10);
    w.EndArray();
    w.Key("mem_total_mb");
    w.Uint64(static_cast<uint64_t>(asDouble(p, "MemTotalMB")));
    w.Key("mem_available_mb");
    w.Uint64(static_cast<uint64_t>(asDouble(p, "MemAvailableMB")));
    writeString(w, "power", asString(p, "PowerMode"));
    writeString(w, "power_reason", asString(p, "PowerReason"));
    w.Key("willingness");
    w.Double(asDouble(p, "Willingness"));
    w.Key("battery_pct");
    battery < 0 ? w.Null() : w.Int(battery);
    w.Key("temperature_c");
    temperature < 0 ? w.Null() : w.Double(temperature);
    w.Key("gpus");
    w.Uint(static_cast<unsigned>(asDouble(p, "Gpus")));
    w.Key("stress_cores");
    w.Uint(static_cast<unsigned>(asDouble(p, "StressCores")));
    w.Key("jobs_active");
    w.Uint(static_cast<unsigned>(asDouble(p, "JobsActive")));
    w.Key("allow_exec");
    w.Bool(asDouble(p, "AllowExec") != 0);
    writeString(w, "exec_confinement", asString(p, "ExecConfinement"));
    w.EndObject();
    w.Key("flows");
    w.StartArray();
    for (const auto& f : asRows(p, "Flows")) {
      if (f.size() < 9) continue;
      w.StartObject();
      writeString(w, "direction", f[0]);
      w.Key("job");
      w.Uint64(std::strtoull(f[1].c_str(), nullptr, 10));
      writeString(w, "kind", f[2]);
      writeString(w, "peer", f[3]);
      writeString(w, "peer_fingerprint", f[4]);
      w.Key("cores");
      w.Uint(static_cast<unsigned>(std::strtoul(f[5].c_str(), nullptr, 10)));
      w.Key("done");
      w.Uint64(std::strtoull(f[6].c_str(), nullptr, 10));
      w.Key("total");
      w.Uint64(std::strtoull(f[7].c_str(), nullptr, 10));
      w.Key("elapsed_ms");
      w.Uint64(std::strtoull(f[8].c_str(), nullptr, 10));
      w.EndObject();
    }
    w.EndArray();
    w.Key("ledger");
    w.StartArray();
    for (const auto& r : asRows(p, "Ledger")) {
      if (r.size() < 8) continue;
      w.StartObject();
      writeString(w, "name", r[0]);
      writeString(w, "fingerprint", r[1]);
      w.Key("lent_core_s");
      w.Double(std::strtod(r[2].c_str(), nullptr));
      w.Key("borrowed_core_s");
      w.Double(std::strtod(r[3].c_str(), nullptr));
      w.Key("capped");
      w.Bool(r[6] == "true");
      w.EndObject();
    }
    w.EndArray();
    w.Key("dropped");
    w.StartObject();
    for (auto& [reason, n] : asCounters(p, "Dropped")) {
      w.Key(reason.c_str());
      w.Uint64(n);
    }
    w.EndObject();
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("%s  %s  vestad %s\n", asString(p, "Name").c_str(),
              asString(p, "Fingerprint").c_str(), asString(p, "Version").c_str());
  std::printf("  bus     %s\n", c.busDescription().c_str());
  std::printf("  cpu     %u cores, %.1f%% busy, %u workers for jobs\n",
              static_cast<unsigned>(asDouble(p, "Cores")), cpu,
              static_cast<unsigned>(asDouble(p, "Workers")));
  if (!perCore.empty()) {
    std::printf("          ");
    for (size_t i = 0; i < perCore.size(); ++i) std::printf(" %zu:%.0f%%", i, perCore[i]);
    std::printf("\n");
  }
  std::printf("  memory  %s available of %s, jobs may take %s\n",
              formatMiB(static_cast<uint64_t>(asDouble(p, "MemAvailableMB"))).c_str(),
              formatMiB(static_cast<uint64_t>(asDouble(p, "MemTotalMB"))).c_str(),
              formatMiB(static_cast<uint64_t>(asDouble(p, "MemOfferMB"))).c_str());
  if (asDouble(p, "AllowExec") != 0)
    std::printf("  exec    allowed; %s\n", asString(p, "ExecConfinement").c_str());
  std::printf("  power   %s (%s), lends %.0f%% of its offer\n", asString(p, "PowerMode").c_str(),
              asString(p, "PowerReason").c_str(), asDouble(p, "Willingness") * 100);
  if (temperature >= 0) std::printf("  heat    %.0f °C\n", temperature);
  std::string drops;
  for (auto& [reason, n] : asCounters(p, "Dropped"))
    if (n) drops += (drops.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
  std::printf("  network %s\n",
              drops.empty() ? "no packets dropped" : ("dropped " + drops).c_str());
  unsigned stress = static_cast<unsigned>(asDouble(p, "StressCores"));
  std::printf("  jobs    %s active%s\n",
              countOf(static_cast<uint64_t>(asDouble(p, "JobsActive")), "job").c_str(),
              stress ? (", stress on " + countOf(stress, "core")).c_str() : "");
  for (const auto& r : asRows(p, "Ledger")) {
    if (r.size() < 8) continue;
    double lent = std::strtod(r[2].c_str(), nullptr), borrowed = std::strtod(r[3].c_str(), nullptr);
    std::printf("  ledger  %s: lent %.1f core-s, borrowed %.1f, balance %+.1f%s\n", r[0].c_str(),
                lent, borrowed, lent - borrowed,
                r[6] == "true"   ? " (capped: may not borrow from us)"
                : r[7] == "true" ? " (we are capped there)"
                                 : "");
  }
  for (const auto& f : asRows(p, "Flows")) {
    if (f.size() < 9) continue;
    double done = std::strtod(f[6].c_str(), nullptr), total = std::strtod(f[7].c_str(), nullptr);
    if (total <= 0) {  // an exec job: no units to count, only time
      std::printf("  %s %s: job %s %s, %s %s, %s\n",
                  f[0] == "lend" ? "lending to" : "borrowing from", f[3].c_str(), f[1].c_str(),
                  f[2].c_str(), f[5].c_str(), f[5] == "1" ? "core" : "cores",
                  formatDuration(std::strtoull(f[8].c_str(), nullptr, 10)).c_str());
      continue;
    }
    // "lending to pi4: job 3 cpu, 2 cores, 41.9 M of 200 M (21%), 4.2 s"
    std::printf("  %s %s: job %s %s, %s cores, %s of %s (%.0f%%), %s\n",
                f[0] == "lend" ? "lending to" : "borrowing from", f[3].c_str(), f[1].c_str(),
                f[2].c_str(), f[5].c_str(), formatCount(done).c_str(), formatCount(total).c_str(),
                total > 0 ? done * 100 / total : 0.0,
                formatDuration(std::strtoull(f[8].c_str(), nullptr, 10)).c_str());
  }
  return kExitOk;
}

int commandCpu(Client& c, const CliOptions& options, uint64_t millions) {
  auto props = runJob(
      c, options,
      [&] { return submitJob(c, options, "SubmitCpu", "ts", millions, options.seed.c_str()); },
      "cpu " + std::to_string(millions) + "M");
  if (!props) return reportError(options, props.error());
  const Properties& p = *props;
  if (asString(p, "State") != "done") return jobFailure(options, p);
  uint64_t iterations = static_cast<uint64_t>(asDouble(p, "Iterations"));
  uint64_t elapsed = static_cast<uint64_t>(asDouble(p, "ElapsedMs"));
  unsigned workers = static_cast<unsigned>(asDouble(p, "Workers"));
  double rate = static_cast<double>(iterations) /
                (static_cast<double>(std::max<uint64_t>(elapsed, 1)) / 1000.0);
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    writeString(w, "job", asString(p, "Id"));
    writeString(w, "state", asString(p, "State"));
    w.Key("iterations");
    w.Uint64(iterations);
    writeString(w, "seed", asString(p, "Seed"));
    writeString(w, "result", asString(p, "Result"));
    w.Key("elapsed_ms");
    w.Uint64(elapsed);
    writeString(w, "node", asString(p, "Node"));
    w.Key("workers");
    w.Uint(workers);
    w.Key("iterations_per_s");
    w.Double(std::round(rate));
    writeReason(w, p);
    w.Key("parts");
    w.StartArray();
    for (const auto& row : asRows(p, "Parts")) {
      if (row.size() < 5) continue;
      w.StartObject();
      writeString(w, "node", row[0]);
      writeString(w, "state", row[1]);
      w.Key("iterations");
      w.Uint64(std::strtoull(row[2].c_str(), nullptr, 10));
      w.Key("chunks");
      w.Uint64(std::strtoull(row[3].c_str(), nullptr, 10));
      if (!row[4].empty()) writeString(w, "note", row[4]);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("job %s ran on %s (%u workers): %s iterations in %s\n", asString(p, "Id").c_str(),
              asString(p, "Node").c_str(), workers,
              formatCount(static_cast<double>(iterations)).c_str(),
              formatDuration(elapsed).c_str());
  std::printf("placed %s\n", asString(p, "Reason").c_str());
  auto parts = asRows(p, "Parts");
  if (parts.size() > 1) std::printf("parts  %s\n", partsLine(parts).c_str());
  std::printf("rate   %s it/s, %s it/s per worker\n", formatCount(rate).c_str(),
              formatCount(rate / std::max(workers, 1u)).c_str());
  std::printf("result %s\n", asString(p, "Result").c_str());
  std::printf("seed   %s\n", asString(p, "Seed").c_str());
  return kExitOk;
}

int commandMem(Client& c, const CliOptions& options, uint64_t mb, uint64_t holdMs) {
  auto props = runJob(
      c, options, [&] { return submitJob(c, options, "SubmitMem", "tt", mb, holdMs); },
      "mem " + std::to_string(mb) + " MiB");
  if (!props) return reportError(options, props.error());
  const Properties& p = *props;
  if (asString(p, "State") != "done") return jobFailure(options, p);
  uint64_t elapsed = static_cast<uint64_t>(asDouble(p, "ElapsedMs"));
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    writeString(w, "job", asString(p, "Id"));
    writeString(w, "state", asString(p, "State"));
    writeString(w, "node", asString(p, "Node"));
    w.Key("megabytes");
    w.Uint64(mb);
    w.Key("elapsed_ms");
    w.Uint64(elapsed);
    writeReason(w, p);
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  std::printf("job %s: mem %s held %s on %s, done in %s\n", asString(p, "Id").c_str(),
              formatMiB(mb).c_str(), formatDuration(holdMs).c_str(), asString(p, "Node").c_str(),
              formatDuration(elapsed).c_str());
  std::printf("placed %s\n", asString(p, "Reason").c_str());
  return kExitOk;
}

int commandStress(Client& c, const CliOptions& options, uint32_t cores, uint32_t seconds) {
  auto reply = callManager(c, "Stress", "uu", cores, seconds);
  if (!reply) return reportError(options, reply.error());
  sd_bus_message_unref(*reply);
  if (options.json) {
    std::printf("{\"stress_cores\":%u,\"seconds\":%u}\n", cores, seconds);
  } else {
    std::printf("stressing %s for %u s (vesta stop-stress ends it)\n",
                cores ? countOf(cores, "core").c_str() : "all cores", seconds);
  }
  return kExitOk;
}

int commandStopStress(Client& c, const CliOptions& options) {
  auto reply = callManager(c, "StopStress", "");
  if (!reply) return reportError(options, reply.error());
  sd_bus_message_unref(*reply);
  if (options.json)
    std::printf("{\"stress_cores\":0}\n");
  else
    std::printf("stress stopped\n");
  return kExitOk;
}

int commandJobs(Client& c, const CliOptions& options) {
  auto reply = callManager(c, "ListJobs", "");
  if (!reply) return reportError(options, reply.error());
  struct Row {
    std::string id, kind, state, node;
    double progress;
  };
  std::vector<Row> rows;
  int r = sd_bus_message_enter_container(*reply, 'a', "(ssssdo)");
  const char *id, *kind, *state, *node, *path;
  double progress;
  while (r >= 0 && (r = sd_bus_message_read(*reply, "(ssssdo)", &id, &kind, &state, &node,
                                            &progress, &path)) > 0)
    rows.push_back({id, kind, state, node, progress});
  sd_bus_message_unref(*reply);
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("jobs");
    w.StartArray();
    for (auto& row : rows) {
      w.StartObject();
      writeString(w, "job", row.id);
      writeString(w, "kind", row.kind);
      writeString(w, "state", row.state);
      writeString(w, "node", row.node);
      w.Key("progress");
      w.Double(row.progress);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf("no jobs\n");
    return kExitOk;
  }
  std::printf("%-6s %-5s %-10s %-16s %s\n", "JOB", "KIND", "STATE", "NODE", "PROGRESS");
  for (auto& row : rows)
    std::printf("%-6s %-5s %-10s %-16s %3.0f%%\n", row.id.c_str(), row.kind.c_str(),
                row.state.c_str(), row.node.c_str(), row.progress * 100);
  return kExitOk;
}

int commandPeers(Client& c, const CliOptions& options) {
  auto reply = callManager(c, "ListPeers", "");
  if (!reply) return reportError(options, reply.error());
  struct Row {
    std::string name, fingerprint, address, state, power, link;
    uint16_t port;
    uint32_t cores;
    double cpu, willingness, spare, rtt;
    uint64_t mem, seenMs;
  };
  std::vector<Row> rows;
  int r = sd_bus_message_enter_container(*reply, 'a', "(sssqsudtsddtsd)");
  for (;;) {
    const char *name, *fp, *address, *state, *power, *link;
    Row row{};
    if (r < 0 ||
        (r = sd_bus_message_read(*reply, "(sssqsudtsddtsd)", &name, &fp, &address, &row.port,
                                 &state, &row.cores, &row.cpu, &row.mem, &power, &row.willingness,
                                 &row.spare, &row.seenMs, &link, &row.rtt)) <= 0)
      break;
    row.name = name;
    row.fingerprint = fp;
    row.address = address;
    row.state = state;
    row.power = power;
    row.link = link;
    rows.push_back(row);
  }
  sd_bus_message_unref(*reply);
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("peers");
    w.StartArray();
    for (auto& row : rows) {
      w.StartObject();
      writeString(w, "name", row.name);
      writeString(w, "fingerprint", row.fingerprint);
      writeString(w, "address", row.address + ":" + std::to_string(row.port));
      writeString(w, "state", row.state);
      w.Key("cores");
      w.Uint(row.cores);
      w.Key("cpu_pct");
      w.Double(row.cpu);
      w.Key("mem_available_mb");
      w.Uint64(row.mem);
      writeString(w, "power", row.power);
      w.Key("willingness");
      w.Double(row.willingness);
      w.Key("spare_cores");
      w.Double(row.spare);
      w.Key("last_seen_ms");
      w.Uint64(row.seenMs);
      writeString(w, "link", row.link);
      w.Key("rtt_ms");
      row.rtt < 0 ? w.Null() : w.Double(row.rtt);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    printJson(out);
    return kExitOk;
  }
  if (rows.empty()) {
    std::printf(
        "no peers yet (nodes with the same key on this subnet appear within a second or two)\n");
    return kExitOk;
  }
  std::printf("%-16s %-8s %-21s %-19s %5s %5s %9s %-8s %5s %6s %s\n", "NAME", "STATE", "ADDRESS",
              "FINGERPRINT", "CORES", "CPU", "FREE MEM", "POWER", "SPARE", "SEEN", "LINK");
  for (auto& row : rows) {
    char link[32];
    if (row.link == "up" && row.rtt >= 0)
      std::snprintf(link, sizeof link, "up %.2f ms", row.rtt);  // with its round-trip time
    else
      std::snprintf(link, sizeof link, "%s", row.link.c_str());
    std::printf("%-16s %-8s %-21s %-19s %5u %4.0f%% %9s %-8s %5.1f %6s %s\n", row.name.c_str(),
                row.state.c_str(), (row.address + ":" + std::to_string(row.port)).c_str(),
                row.fingerprint.c_str(), row.cores, row.cpu, formatMiB(row.mem).c_str(),
                row.power.c_str(), row.spare, formatDuration(row.seenMs).c_str(), link);
  }
  return kExitOk;
}

// The Ledger rows: name, fingerprint, core-s lent, core-s borrowed, MiB-s lent, MiB-s borrowed,
// capped, capped there.
int commandLedger(Client& c, const CliOptions& options) {
  auto props = c.getAll(kObjectPath, kManagerInterface);
  if (!props) return reportError(options, props.error());
  Rows rows = asRows(*props, "Ledger");
  auto num = [](const std::string& s) { return std::strtod(s.c_str(), nullptr); };
  if (options.json) {
    rapidjson::StringBuffer out;
    JsonWriter w(out);
    w.StartObject();
    w.Key("peers");
    w.StartArray();
    for (const auto& r : rows) {
      if (r.size() < 8) continue;
      w.StartObject();
      writeString(w, "name", r[0]);
      writeString(w, "fingerprint", r[1]);
      const char* keys[] = {"lent_core_s", "borrowed_core_s", "lent_mib_s", "borrowed_mib_s"};
      for (int i = 0; i < 4; ++i) {
        w.Key(keys[i]);
        w.Double(std::round(num(r[2 + i]) * 1000) / 1000);
      }
      w.Key("balance_core_s");
      w.Double(std::round((num(r[2]) - num(r[3])) * 1000) / 1000);
      w.Key("capped");
      w.Bool(r[6] == "true");
      w.Key("capped_there");
      w.Bool(r[7] == "true");
      w.EndObject();
    }
    w.EndArray();
    w.Key("max_borrow_ratio");
    w.Double(asDouble(*props, "MaxBorrowRatio"));
    w.Key("goodwill_core_s");
    w.Double(asDouble(*props, "GoodwillCoreSeconds"));
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
  for (const auto& r : rows) {
    if (r.size() < 8) continue;
    std::string state = r[6] == "true"   ? "capped: may not borrow from us"
                        : r[7] == "true" ? "we are capped there"
                                         : "ok";
    std::printf("%-16s %-19s %12.1f %12.1f %+12.1f %12.0f  %s\n", r[0].c_str(), r[1].c_str(),
                num(r[2]), num(r[3]), num(r[2]) - num(r[3]), num(r[4]), state.c_str());
  }
  std::printf(
      "a peer may borrow while what we lent it <= %.1f x max(%.0f core-s, what it lent us)\n",
      asDouble(*props, "MaxBorrowRatio"), asDouble(*props, "GoodwillCoreSeconds"));
  return kExitOk;
}

int commandCancel(Client& c, const CliOptions& options, const std::string& id) {
  auto reply = callManager(c, "CancelJob", "s", id.c_str());
  if (!reply) return reportError(options, reply.error());
  sd_bus_message_unref(*reply);
  if (options.json)
    std::printf("{\"job\":\"%s\",\"state\":\"cancelled\"}\n", id.c_str());
  else
    std::printf("job %s cancelled\n", id.c_str());
  return kExitOk;
}

}  // namespace vesta
