#include "api.h"

#include <cstring>
#include <tuple>

namespace vesta::api {
namespace {

constexpr const char* kRefuseCodes[] = {"other", "busy", "power", "memory", "capped"};

template <typename Enum, size_t N>
std::optional<Enum> parseName(const char* const (&names)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) return static_cast<Enum>(i);
  return std::nullopt;
}

std::optional<JobKind> parseJobKind(std::string_view name) {
  for (JobKind k : {JobKind::Cpu, JobKind::Mem, JobKind::Exec})
    if (name == jobKindName(k)) return k;
  return std::nullopt;
}

// Reads a string and turns it into an enum with `parse`; an unknown name is an error.
template <typename Enum, typename Parse>
Result<void> readName(const char* text, Enum& out, Parse parse, const char* what) {
  auto v = parse(text ? text : "");
  if (!v) return fail(std::string(what) + " \"" + (text ? text : "") + "\" is not known");
  out = *v;
  return {};
}

Result<void> readFailed(int r, const char* signature) {
  if (r >= 0) return {};
  return fail(std::string("cannot read ") + signature + ": " + std::strerror(-r));
}

// A row's struct: checks its signature, then reads it with sd_bus_message_read.
template <typename Row, typename... Args>
Result<void> readRow(sd_bus_message* m, Args... args) {
  std::string sig = Row::kSignature;
  if (auto ok = expectNext(m, 'r', sig.substr(1, sig.size() - 2), "a row"); !ok) return ok;
  return readFailed(sd_bus_message_read(m, Row::kSignature, args...), Row::kSignature);
}

// One property value: its D-Bus type, how it is appended and how it is read (inside the
// variant already entered). The enums travel as their names.
const char* typeOf(const std::string&) {
  return "s";
}
const char* typeOf(bool) {
  return "b";
}
const char* typeOf(uint32_t) {
  return "u";
}
const char* typeOf(uint64_t) {
  return "t";
}
const char* typeOf(int32_t) {
  return "i";
}
const char* typeOf(double) {
  return "d";
}
const char* typeOf(JobKind) {
  return "s";
}
const char* typeOf(JobState) {
  return "s";
}
const char* typeOf(const std::vector<double>&) {
  return "ad";
}
const char* typeOf(const std::map<std::string, uint64_t>&) {
  return "a{st}";
}
template <typename Row>
std::string typeOf(const std::vector<Row>&) {
  return std::string("a") + Row::kSignature;
}

int append(sd_bus_message* m, const std::string& v) {
  return sd_bus_message_append_basic(m, 's', v.c_str());
}
int append(sd_bus_message* m, bool v) {
  int b = v;
  return sd_bus_message_append_basic(m, 'b', &b);
}
int append(sd_bus_message* m, uint32_t v) {
  return sd_bus_message_append_basic(m, 'u', &v);
}
int append(sd_bus_message* m, uint64_t v) {
  return sd_bus_message_append_basic(m, 't', &v);
}
int append(sd_bus_message* m, int32_t v) {
  return sd_bus_message_append_basic(m, 'i', &v);
}
int append(sd_bus_message* m, double v) {
  return sd_bus_message_append_basic(m, 'd', &v);
}
int append(sd_bus_message* m, JobKind v) {
  return sd_bus_message_append_basic(m, 's', jobKindName(v));
}
int append(sd_bus_message* m, JobState v) {
  return sd_bus_message_append_basic(m, 's', jobStateName(v));
}
int append(sd_bus_message* m, const std::vector<double>& v) {
  return sd_bus_message_append_array(m, 'd', v.data(), v.size() * sizeof(double));
}
int append(sd_bus_message* m, const std::map<std::string, uint64_t>& v) {
  int r = sd_bus_message_open_container(m, 'a', "{st}");
  for (auto& [key, n] : v)
    if (r >= 0) r = sd_bus_message_append(m, "{st}", key.c_str(), n);
  return r < 0 ? r : sd_bus_message_close_container(m);
}
template <typename Row>
int append(sd_bus_message* m, const std::vector<Row>& rows) {
  return writeArray(m, rows);
}

template <typename T>
Result<void> take(sd_bus_message* m, T& v) {
  return readFailed(sd_bus_message_read_basic(m, typeOf(v)[0], &v), typeOf(v));
}
Result<void> take(sd_bus_message* m, std::string& v) {
  const char* s = nullptr;
  int r = sd_bus_message_read_basic(m, 's', &s);
  v = s ? s : "";
  return readFailed(r, "s");
}
Result<void> take(sd_bus_message* m, bool& v) {
  int b = 0;
  int r = sd_bus_message_read_basic(m, 'b', &b);
  v = b != 0;
  return readFailed(r, "b");
}
Result<void> take(sd_bus_message* m, JobKind& v) {
  std::string s;
  if (auto ok = take(m, s); !ok) return ok;
  return readName(s.c_str(), v, parseJobKind, "job kind");
}
Result<void> take(sd_bus_message* m, JobState& v) {
  std::string s;
  if (auto ok = take(m, s); !ok) return ok;
  return readName(
      s.c_str(), v, [](std::string_view n) { return parseJobState(std::string(n)); }, "job state");
}
Result<void> take(sd_bus_message* m, std::vector<double>& v) {
  const void* data = nullptr;
  size_t size = 0;
  int r = sd_bus_message_read_array(m, 'd', &data, &size);
  const double* d = static_cast<const double*>(data);
  v.assign(d, d + size / sizeof(double));
  return readFailed(r, "ad");
}
Result<void> take(sd_bus_message* m, std::map<std::string, uint64_t>& v) {
  int r = sd_bus_message_enter_container(m, 'a', "{st}");
  const char* key = nullptr;
  uint64_t n = 0;
  while (r >= 0 && (r = sd_bus_message_read(m, "{st}", &key, &n)) > 0) v[key] = n;
  if (r >= 0) r = sd_bus_message_exit_container(m);
  return readFailed(r, "a{st}");
}
template <typename Row>
Result<void> take(sd_bus_message* m, std::vector<Row>& rows) {
  return readArray(m, rows);
}

// The properties of an object, in the order the vtable lists them: name and member.
template <typename T, typename M>
struct Field {
  const char* name;
  M T::*member;
};
template <typename T, typename M>
constexpr Field<T, M> field(const char* name, M T::*member) {
  return {name, member};
}

const auto kNodeFields = std::tuple{
    field("Name", &NodeInfo::name),
    field("Fingerprint", &NodeInfo::fingerprint),
    field("Version", &NodeInfo::version),
    field("StateDirectory", &NodeInfo::stateDirectory),
    field("AllowExec", &NodeInfo::allowExec),
    field("ExecConfinement", &NodeInfo::execConfinement),
    field("Cores", &NodeInfo::cores),
    field("Workers", &NodeInfo::workers),
    field("Gpus", &NodeInfo::gpus),
    field("Machine", &NodeInfo::machine),
    field("DebianArch", &NodeInfo::debianArch),
    field("WordBits", &NodeInfo::wordBits),
    field("Kernel", &NodeInfo::kernel),
    field("CpuPercent", &NodeInfo::cpuPct),
    field("CpuPercentPerCore", &NodeInfo::cpuPctPerCore),
    field("MemTotalMB", &NodeInfo::memTotalMb),
    field("MemAvailableMB", &NodeInfo::memAvailableMb),
    field("MemOfferMB", &NodeInfo::memOfferMb),
    field("PowerMode", &NodeInfo::powerMode),
    field("PowerReason", &NodeInfo::powerReason),
    field("Willingness", &NodeInfo::willingness),
    field("BatteryPercent", &NodeInfo::batteryPct),
    field("TemperatureC", &NodeInfo::temperatureC),
    field("StressCores", &NodeInfo::stressCores),
    field("JobsActive", &NodeInfo::jobsActive),
    field("Dropped", &NodeInfo::dropped),
    field("Flows", &NodeInfo::flows),
    field("Ledger", &NodeInfo::ledger),
    field("Peers", &NodeInfo::peers),
    field("MaxBorrowRatio", &NodeInfo::maxBorrowRatio),
    field("GoodwillCoreSeconds", &NodeInfo::goodwillCoreSeconds),
    field("GpuList", &NodeInfo::gpuList),
    field("OwnerCpuPercent", &NodeInfo::ownerCpuPct),
    field("BorrowedCpuPercent", &NodeInfo::borrowedCpuPct),
    field("OfferCores", &NodeInfo::offerCores),
    field("LendingBudgetCores", &NodeInfo::lendingBudgetCores),
    field("ThermalFactor", &NodeInfo::thermalFactor),
    field("UserPresence", &NodeInfo::userPresence),
    field("BudgetSummary", &NodeInfo::budgetSummary),
};

const auto kJobFields = std::tuple{
    field("Id", &JobInfo::id),
    field("Kind", &JobInfo::kind),
    field("Origin", &JobInfo::origin),
    field("Node", &JobInfo::node),
    field("State", &JobInfo::state),
    field("Progress", &JobInfo::progress),
    field("Result", &JobInfo::result),
    field("Error", &JobInfo::error),
    field("ElapsedMs", &JobInfo::elapsedMs),
    field("Iterations", &JobInfo::iterations),
    field("Seed", &JobInfo::seed),
    field("MemoryMB", &JobInfo::memoryMb),
    field("HoldMs", &JobInfo::holdMs),
    field("Workers", &JobInfo::workers),
    field("Command", &JobInfo::command),
    field("ExitStatus", &JobInfo::exitStatus),
    field("PauseReason", &JobInfo::pauseReason),
    field("Reason", &JobInfo::reason),
    field("Parts", &JobInfo::parts),
    field("Refusals", &JobInfo::refusals),
};

// Appends the property named `property` (all of them as an a{sv} when null).
template <typename Info, typename Fields>
int writeFields(sd_bus_message* m, const Info& info, const Fields& fields, const char* property) {
  int r = property ? 0 : sd_bus_message_open_container(m, 'a', "{sv}");
  bool found = false;
  std::apply(
      [&](const auto&... all) {
        auto one = [&](const auto& f) {
          if (r < 0 || (property && std::strcmp(property, f.name) != 0)) return;
          found = true;
          const auto& value = info.*f.member;
          std::string type = typeOf(value);
          if (!property) r = sd_bus_message_open_container(m, 'e', "sv");
          if (!property && r >= 0) r = sd_bus_message_append_basic(m, 's', f.name);
          if (!property && r >= 0) r = sd_bus_message_open_container(m, 'v', type.c_str());
          if (r >= 0) r = append(m, value);
          if (!property && r >= 0) r = sd_bus_message_close_container(m);
          if (!property && r >= 0) r = sd_bus_message_close_container(m);
        };
        (one(all), ...);
      },
      fields);
  if (r >= 0 && property && !found) return -ENOENT;
  return r < 0 || property ? r : sd_bus_message_close_container(m);
}

// Reads an a{sv} of properties into `info`; a property this build does not know is skipped.
template <typename Info, typename Fields>
Result<void> readFields(sd_bus_message* m, Info& info, const Fields& fields) {
  if (auto ok = expectNext(m, 'a', "{sv}", "properties"); !ok) return ok;
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  Result<void> ok;
  while (ok && r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* key = nullptr;
    if ((r = sd_bus_message_read_basic(m, 's', &key)) < 0) break;
    const char* contents = nullptr;
    if ((r = sd_bus_message_peek_type(m, nullptr, &contents)) < 0) break;
    bool known = false;
    std::apply(
        [&](const auto&... all) {
          auto one = [&](const auto& f) {
            if (known || std::strcmp(key, f.name) != 0) return;
            known = true;
            auto& value = info.*f.member;
            std::string type = typeOf(value);
            if (type != contents) {
              ok =
                  fail(std::string("property ") + key + ": expected " + type + ", got " + contents);
              return;
            }
            if ((r = sd_bus_message_enter_container(m, 'v', contents)) < 0) return;
            if (ok = take(m, value); ok) r = sd_bus_message_exit_container(m);
          };
          (one(all), ...);
        },
        fields);
    if (!known && r >= 0) r = sd_bus_message_skip(m, "v");
    if (ok && r >= 0) r = sd_bus_message_exit_container(m);
  }
  if (!ok) return fail(ok.error());
  if (r >= 0) r = sd_bus_message_exit_container(m);
  return readFailed(r, "a{sv}");
}

}  // namespace

const char* refuseCodeName(RefuseCode code) {
  return kRefuseCodes[static_cast<size_t>(code)];
}

std::optional<RefuseCode> parseRefuseCode(std::string_view name) {
  return parseName<RefuseCode>(kRefuseCodes, name);
}

Result<void> checkOnLocal(const std::string& on, bool local, const std::string& spelled) {
  if (local && !on.empty()) return fail(spelled + " contradict each other; give one");
  return {};
}

Result<void> expectNext(sd_bus_message* m, char type, const std::string& contents,
                        const char* what) {
  char got = 0;
  const char* gotContents = nullptr;
  int r = sd_bus_message_peek_type(m, &got, &gotContents);
  std::string want = type == 'r' ? "(" + contents + ")" : std::string(1, type) + contents;
  if (r <= 0) return fail(std::string("expected ") + what + " " + want + ", got nothing");
  if (got == type && contents == (gotContents ? gotContents : "")) return {};
  std::string have = got == 'r'    ? "(" + std::string(gotContents) + ")"
                     : gotContents ? std::string(1, got) + gotContents
                                   : std::string(1, got);
  return fail(std::string("expected ") + what + " " + want + ", got " + have);
}

int write(sd_bus_message* m, const Peer& p) {
  return sd_bus_message_append(
      m, Peer::kSignature, p.name.c_str(), p.fingerprint.c_str(), p.address.c_str(), p.port,
      p.state.c_str(), p.cores, p.cpuPct, p.memAvailableMb, p.power.c_str(), p.willingness,
      p.spareCores, p.lastSeenMs, p.linkUp ? "up" : "down", p.rttMs, p.temperatureC,
      p.thermalFactor, p.machine.c_str(), p.debianArch.c_str(), p.bits, p.kernel.c_str());
}

Result<void> read(sd_bus_message* m, Peer& p) {
  const char *name, *fp, *address, *state, *power, *link, *machine, *debian, *kernel;
  auto ok = readRow<Peer>(m, &name, &fp, &address, &p.port, &state, &p.cores, &p.cpuPct,
                          &p.memAvailableMb, &power, &p.willingness, &p.spareCores, &p.lastSeenMs,
                          &link, &p.rttMs, &p.temperatureC, &p.thermalFactor, &machine, &debian,
                          &p.bits, &kernel);
  if (!ok) return ok;
  p.name = name, p.fingerprint = fp, p.address = address, p.state = state, p.power = power;
  p.machine = machine, p.debianArch = debian, p.kernel = kernel;
  p.linkUp = std::strcmp(link, "up") == 0;
  return {};
}

int write(sd_bus_message* m, const GpuRow& g) {
  return sd_bus_message_append(m, GpuRow::kSignature, g.node.c_str(), g.index, g.vendor.c_str(),
                               g.model.c_str(), g.driver.c_str(), g.memoryMb, g.busyPct,
                               g.state.c_str(), g.note.c_str());
}

Result<void> read(sd_bus_message* m, GpuRow& g) {
  const char *node, *vendor, *model, *driver, *state, *note;
  auto ok = readRow<GpuRow>(m, &node, &g.index, &vendor, &model, &driver, &g.memoryMb, &g.busyPct,
                            &state, &note);
  if (!ok) return ok;
  g.node = node, g.vendor = vendor, g.model = model, g.driver = driver, g.state = state,
  g.note = note;
  return {};
}

int write(sd_bus_message* m, const Flow& f) {
  return sd_bus_message_append(m, Flow::kSignature, f.lending ? "lend" : "borrow", f.job,
                               jobKindName(f.kind), f.peer.c_str(), f.peerFingerprint.c_str(),
                               f.cores, f.done, f.total, f.elapsedMs, f.paused.c_str());
}

Result<void> read(sd_bus_message* m, Flow& f) {
  const char *direction, *kind, *peer, *fp, *paused;
  auto ok = readRow<Flow>(m, &direction, &f.job, &kind, &peer, &fp, &f.cores, &f.done, &f.total,
                          &f.elapsedMs, &paused);
  if (!ok) return ok;
  f.lending = std::strcmp(direction, "lend") == 0;
  f.peer = peer, f.peerFingerprint = fp, f.paused = paused;
  return readName(kind, f.kind, parseJobKind, "job kind");
}

int write(sd_bus_message* m, const LedgerRow& l) {
  return sd_bus_message_append(m, LedgerRow::kSignature, l.name.c_str(), l.fingerprint.c_str(),
                               l.lentCoreS, l.borrowedCoreS, l.lentMibS, l.borrowedMibS,
                               int{l.capped}, int{l.cappedThere});
}

Result<void> read(sd_bus_message* m, LedgerRow& l) {
  const char *name, *fp;
  int capped = 0, cappedThere = 0;
  auto ok = readRow<LedgerRow>(m, &name, &fp, &l.lentCoreS, &l.borrowedCoreS, &l.lentMibS,
                               &l.borrowedMibS, &capped, &cappedThere);
  if (!ok) return ok;
  l.name = name, l.fingerprint = fp, l.capped = capped != 0, l.cappedThere = cappedThere != 0;
  return {};
}

int write(sd_bus_message* m, const JobRow& j) {
  return sd_bus_message_append(m, JobRow::kSignature, j.id.c_str(), jobKindName(j.kind),
                               jobStateName(j.state), j.node.c_str(), j.progress, j.path.c_str());
}

Result<void> read(sd_bus_message* m, JobRow& j) {
  const char *id, *kind, *state, *node, *path;
  auto ok = readRow<JobRow>(m, &id, &kind, &state, &node, &j.progress, &path);
  if (!ok) return ok;
  j.id = id, j.node = node, j.path = path;
  if (ok = readName(kind, j.kind, parseJobKind, "job kind"); !ok) return ok;
  return readName(
      state, j.state, [](std::string_view n) { return parseJobState(std::string(n)); },
      "job state");
}

int write(sd_bus_message* m, const Part& p) {
  return sd_bus_message_append(m, Part::kSignature, p.node.c_str(), partStateName(p.state),
                               p.iterations, p.chunks, p.note.c_str());
}

Result<void> read(sd_bus_message* m, Part& p) {
  const char *node, *state, *note;
  auto ok = readRow<Part>(m, &node, &state, &p.iterations, &p.chunks, &note);
  if (!ok) return ok;
  p.node = node, p.note = note;
  return readName(state, p.state, parsePartState, "part state");
}

int write(sd_bus_message* m, const Refusal& f) {
  return sd_bus_message_append(m, Refusal::kSignature, refuseCodeName(f.code), f.node.c_str(),
                               f.text.c_str());
}

Result<void> read(sd_bus_message* m, Refusal& f) {
  const char *code, *node, *text;
  auto ok = readRow<Refusal>(m, &code, &node, &text);
  if (!ok) return ok;
  f.node = node, f.text = text;
  return readName(code, f.code, parseRefuseCode, "refusal code");
}

int write(sd_bus_message* m, const NodeInfo& info) {
  return writeFields(m, info, kNodeFields, nullptr);
}

int write(sd_bus_message* m, const JobInfo& info) {
  return writeFields(m, info, kJobFields, nullptr);
}

Result<void> read(sd_bus_message* m, NodeInfo& info) {
  return readFields(m, info, kNodeFields);
}

Result<void> read(sd_bus_message* m, JobInfo& info) {
  return readFields(m, info, kJobFields);
}

int writeProperty(sd_bus_message* m, const NodeInfo& info, std::string_view property) {
  return writeFields(m, info, kNodeFields, std::string(property).c_str());
}

int writeProperty(sd_bus_message* m, const JobInfo& info, std::string_view property) {
  return writeFields(m, info, kJobFields, std::string(property).c_str());
}

}  // namespace vesta::api
