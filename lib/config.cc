#include "config.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace vesta {
namespace {

using Target = std::variant<std::string Config::*, uint32_t Config::*, bool Config::*,
                            double Config::*, std::vector<std::string> Config::*>;

// One configurable setting: its config-file key, its flag, and its allowed range.
struct Field {
  const char* json;  // key in the config file; nullptr when command-line only
  const char* flag;  // flag name without dashes
  const char* arg;   // placeholder shown in -help; nullptr for switches
  Target target;
  double min = 0, max = 0;  // inclusive range for numbers
  const char* help = "";
};

const Field kFields[] = {
    {"name", "name", "NAME", &Config::name, 0, 0,
     "node name: 1-32 of A-Z a-z 0-9 _ - (default: the host name)"},
    {"key", "key", "SECRET", &Config::key, 0, 0,
     "federation secret; every node of one federation uses the same"},
    {"key_file", "key-file", "FILE", &Config::key_file, 0, 0,
     "read the federation secret from FILE (keeps it out of ps)"},
    {"port", "port", "PORT", &Config::port, 1, 65535, "TCP port for peer links (default 7777)"},
    {"dport", "dport", "PORT", &Config::dport, 1, 65535,
     "UDP port for discovery beacons (default 7778)"},
    {"seed", "seed", "HOST:PORT,...", &Config::seed, 0, 0,
     "peers to contact directly (other subnets, VPNs); repeatable"},
    {"broadcast", "broadcast", "ADDR,...", &Config::broadcast, 0, 0,
     "IPv4 broadcast addresses for beacons (default: every up interface)"},
    {"advertise_spare_ms", "advertise-spare", "MS", &Config::advertise_spare_ms, 100, 60000,
     "how often spare capacity is advertised, in ms (default 1000)"},
    {"cpu_offer_pct", "cpu-offer-pct", "PCT", &Config::cpu_offer_pct, 0, 100,
     "share of the cores lent to peers (default 75)"},
    {"mem_offer_mb", "mem-offer-mb", "MB", &Config::mem_offer_mb, 0, 1048576,
     "most memory a job may take, in MiB (default 1024)"},
    {"reserve_pct", "reserve-pct", "PCT", &Config::reserve_pct, 0, 90,
     "share of CPU and memory always kept for the owner (default 20)"},
    {"spill_cpu_pct", "spill-cpu-pct", "PCT", &Config::spill_cpu_pct, 1, 100,
     "CPU busy share above which own jobs go to peers (default 80)"},
    {"workers", "workers", "N", &Config::workers, 0, 1024,
     "worker threads for cpu jobs (default 0: as many as the offer allows)"},
    {"split_min_millions", "split-min-millions", "N", &Config::split_min_millions, 1, 1000000,
     "cpu jobs of at least N million iterations split over nodes (default 50)"},
    {"allow_exec", "allow-exec", nullptr, &Config::allow_exec, 0, 0,
     "run commands (vesta exec) here, for peers and the owner (default off)"},
    {"exec_allowlist", "exec-allowlist", "CMD,...", &Config::exec_allowlist, 0, 0,
     "when not empty, the only programs that run here"},
    {"allow_shipped_exec", "allow-shipped-exec", nullptr, &Config::allow_shipped_exec, 0, 0,
     "also run programs a submitter shipped with --put (bypasses the allowlist; default off)"},
    {"gpu_offer", "gpu-offer", nullptr, &Config::gpu_offer, 0, 0,
     "lend this node's GPUs to vesta exec --gpu, one job per GPU (default off)"},
    {"exec_cache_mb", "exec-cache-mb", "MB", &Config::exec_cache_mb, 0, 1048576,
     "disk kept for shipped files, reused by content (default 1024)"},
    {"min_free_disk_pct", "min-free-disk-pct", "PCT", &Config::min_free_disk_pct, 0, 90,
     "shipped files never leave the state dir's disk less free than this (default 5)"},
    {"max_borrow_ratio", "max-borrow-ratio", "X", &Config::max_borrow_ratio, 0, 1000,
     "how far a peer may borrow beyond what it lent (default 5)"},
    {"goodwill_core_s", "goodwill-core-s", "CORE_S", &Config::goodwill_core_s, 0, 1e9,
     "core-seconds a new peer may borrow x max_borrow_ratio before lending any (default 3600)"},
    {"battery_min_pct", "battery-min-pct", "PCT", &Config::battery_min_pct, 0, 100,
     "below this battery charge nothing is lent (default 15)"},
    {"power", "power", "MODE", &Config::power, 0, 0,
     "auto|grid|solar|battery: force a power mode (default auto)"},
    {"in_use_offer_pct", "in-use-offer-pct", "PCT", &Config::in_use_offer_pct, 0, 100,
     "while a user is at the keyboard, lend this share of the offer (default 100)"},
    {"idle_after_s", "idle-after", "S", &Config::idle_after_s, 0, 86400,
     "a user active within S seconds is at the keyboard (default 180)"},
    {"thermal_soft_c", "thermal-soft-c", "C", &Config::thermal_soft_c, 20, 150,
     "above this CPU temperature lend less, linearly (default 70)"},
    {"thermal_hard_c", "thermal-hard-c", "C", &Config::thermal_hard_c, 20, 150,
     "at this CPU temperature lend nothing (default 80)"},
    {"resume_after_s", "resume-after", "S", &Config::resume_after_s, 0, 86400,
     "resume paused borrowed commands once the budget is back for S seconds (default 10)"},
    {"max_pause_s", "max-pause", "S", &Config::max_pause_s, 1, 604800,
     "stop a borrowed command paused longer than S seconds, failing its job (default 600)"},
    {"bus", "bus", "BUS", &Config::bus, 0, 0,
     "system|user|ADDRESS (default: system as root, else user; or $VESTA_BUS)"},
    {"state_dir", "state-dir", "DIR", &Config::state_dir, 0, 0,
     "identity and ledger (default: $STATE_DIRECTORY, $XDG_STATE_HOME/vesta, "
     "~/.local/state/vesta)"},
    {"sysroot", "sysroot", "DIR", &Config::sysroot, 0, 0,
     "read /proc and /sys under DIR instead of / (tests)"},
    {nullptr, "config", "FILE", &Config::config, 0, 0, "load settings from a JSON file first"},
};

const Field* findFlag(std::string_view flag) {
  for (const Field& f : kFields)
    if (flag == f.flag) return &f;
  return nullptr;
}

const Field* findJson(std::string_view key) {
  for (const Field& f : kFields)
    if (f.json && key == f.json) return &f;
  return nullptr;
}

std::string rangeText(const Field& f) {
  std::ostringstream s;
  s << f.min << ".." << f.max;
  return s.str();
}

// Parses a plain decimal number: digits, and for a non-integral field one '.' between digits.
// No sign, spaces, hex, exponent or suffix: strtod alone would take "0x10" as 16 and " 80" as 80.
std::optional<double> parseNumber(const std::string& text, bool integral) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  size_t dot = text.find('.');
  if (dot != std::string::npos && (integral || dot == 0 || dot + 1 == text.size()))
    return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i)
    if (i != dot && (text[i] < '0' || text[i] > '9')) return std::nullopt;
  double value = 0;
  try {
    value = std::stod(text);
  } catch (...) {
    return std::nullopt;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Stores a number after checking its range; `label` names the field the way the user wrote it.
Result<void> setNumber(Config& c, const Field& f, double value, const std::string& shown,
                       const std::string& label) {
  if (value < f.min || value > f.max)
    return fail(label + ": " + shown + " is out of range; expected " + rangeText(f));
  if (auto pu = std::get_if<uint32_t Config::*>(&f.target)) c.*(*pu) = static_cast<uint32_t>(value);
  if (auto pd = std::get_if<double Config::*>(&f.target)) c.*(*pd) = value;
  return {};
}

// Applies one flag value given as text.
Result<void> setFromText(Config& c, const Field& f, const std::string& value, bool appendList) {
  const std::string label = std::string("-") + f.flag;
  if (auto ps = std::get_if<std::string Config::*>(&f.target)) {
    // An empty name given on purpose is a mistake; only an absent one means "the host name".
    if (value.empty() && *ps == &Config::name)
      return fail(label + ": is empty; expected 1-32 of A-Z a-z 0-9 _ -");
    c.*(*ps) = value;
  } else if (auto pb = std::get_if<bool Config::*>(&f.target)) {
    if (value == "true" || value == "1" || value == "yes") {
      c.*(*pb) = true;
    } else if (value == "false" || value == "0" || value == "no") {
      c.*(*pb) = false;
    } else {
      return fail(label + ": \"" + value + "\" is not a switch value; expected true or false");
    }
  } else if (auto pl = std::get_if<std::vector<std::string> Config::*>(&f.target)) {
    if (!appendList) (c.*(*pl)).clear();
    for (auto& item : splitList(value)) (c.*(*pl)).push_back(item);
  } else {
    bool integral = std::holds_alternative<uint32_t Config::*>(f.target);
    auto number = parseNumber(value, integral);
    if (!number)
      return fail(label + ": \"" + value + "\" is not a " + (integral ? "whole number" : "number") +
                  "; expected " + rangeText(f));
    return setNumber(c, f, *number, value, label);
  }
  return {};
}

std::string jsonTypeName(const rapidjson::Value& v) {
  if (v.IsNull()) return "null";
  if (v.IsBool()) return "a switch (true/false)";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return std::string("the string \"") + v.GetString() + "\"";
  if (v.IsArray()) return "a list";
  return "an object";
}

Result<void> setFromJson(Config& c, const Field& f, const rapidjson::Value& v,
                         const std::string& origin) {
  const std::string label = origin + ": field \"" + f.json + "\"";
  auto wrongType = [&](const std::string& expected) {
    return fail(label + ": expected " + expected + ", got " + jsonTypeName(v));
  };
  // JSON may spell a NUL (\u0000) inside a string; C strings would silently end there, so a key
  // "abc\u0000..." would federate as "abc". Refuse it rather than guess.
  auto nulAt = [](const rapidjson::Value& s) {
    return std::string_view(s.GetString(), s.GetStringLength()).find('\0');
  };
  auto hasNul = [&](const rapidjson::Value& s) -> Result<void> {
    size_t at = nulAt(s);
    if (at == std::string_view::npos) return {};
    return fail(label + ": contains a NUL character (\\u0000) at position " + std::to_string(at) +
                "; expected text without one: remove it");
  };
  if (auto ps = std::get_if<std::string Config::*>(&f.target)) {
    if (!v.IsString()) return wrongType("a string");
    if (*ps == &Config::name && v.GetStringLength() == 0)
      return fail(label + ": is empty; expected 1-32 of A-Z a-z 0-9 _ -");
    if (auto r = hasNul(v); !r) return r;
    c.*(*ps) = std::string(v.GetString(), v.GetStringLength());
  } else if (auto pb = std::get_if<bool Config::*>(&f.target)) {
    if (!v.IsBool()) return wrongType("true or false");
    c.*(*pb) = v.GetBool();
  } else if (auto pl = std::get_if<std::vector<std::string> Config::*>(&f.target)) {
    if (!v.IsArray()) return wrongType("a list of strings");
    std::vector<std::string> items;
    for (auto& item : v.GetArray()) {
      if (!item.IsString()) return wrongType("a list of strings");
      if (auto r = hasNul(item); !r) return r;
      items.emplace_back(item.GetString(), item.GetStringLength());
    }
    c.*(*pl) = std::move(items);
  } else {
    bool integral = std::holds_alternative<uint32_t Config::*>(f.target);
    if (!v.IsNumber() || (integral && !v.IsUint64() && !v.IsInt64()))
      return wrongType(integral ? "a whole number " + rangeText(f) : "a number " + rangeText(f));
    std::ostringstream shown;
    shown << v.GetDouble();
    return setNumber(c, f, v.GetDouble(), shown.str(), label);
  }
  return {};
}

Result<std::string> readConfigFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    return fail("config: cannot open \"" + path + "\": " + std::strerror(errno) +
                "; check the path given to -config");
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
    text.append(buffer, n);
    if (text.size() > (1u << 20))
      return fail("config: \"" + path + "\" is larger than 1 MiB; expected a small JSON file");
  }
  return text;
}

bool validIPv4(const std::string& text) {
  in_addr addr{};
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

Result<void> checkHostPort(const std::string& field, const std::string& entry) {
  auto colon = entry.rfind(':');
  std::string usage = "; expected HOST:PORT, e.g. 192.0.2.7:7778";
  if (colon == std::string::npos || colon == 0)
    return fail(field + ": \"" + entry + "\" has no host or port" + usage);
  auto port = parseNumber(entry.substr(colon + 1), true);
  if (!port || *port < 1 || *port > 65535)
    return fail(field + ": \"" + entry + "\" has a bad port" + usage);
  return {};
}

}  // namespace

Result<void> checkNodeName(const std::string& name) {
  if (name.empty()) return fail("is empty; expected 1-32 of A-Z a-z 0-9 _ -");
  if (name.size() > 32) return fail("\"" + name + "\" is longer than 32 characters");
  for (char ch : name) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    if (!ok)
      return fail("\"" + name + "\" contains '" + std::string(1, ch) +
                  "'; expected only A-Z a-z 0-9 _ -");
  }
  return {};
}

Result<void> applyConfigJson(Config& config, const std::string& json, const std::string& origin) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag>(json.c_str(),
                                                                                 json.size());
  if (doc.HasParseError()) {
    size_t offset = doc.GetErrorOffset(), line = 1, column = 1;
    for (size_t i = 0; i < offset && i < json.size(); ++i) {
      if (json[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return fail(origin + ": line " + std::to_string(line) + " column " + std::to_string(column) +
                ": " + rapidjson::GetParseError_En(doc.GetParseError()) +
                " (the file must be one JSON object; // comments are allowed)");
  }
  if (!doc.IsObject()) return fail(origin + ": expected a JSON object { ... } at the top level");
  for (auto& member : doc.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    if (key.find('\0') != std::string::npos)
      return fail(origin +
                  ": a field name contains a NUL character (\\u0000); expected a plain "
                  "field name: remove it");
    const Field* field = findJson(key);
    if (!field)
      return fail(origin + ": unknown field \"" + key +
                  "\"; see config.example.json or vestad -help for the fields");
    if (auto r = setFromJson(config, *field, member.value, origin); !r) return r;
  }
  return {};
}

Result<void> checkKeyNotPlaceholder(const std::string& key) {
  // The placeholder of config.example.json (the packaged /usr/share/doc/vesta/examples): its
  // text is public, so a node that keeps it is in a federation with everyone else who did.
  if (key == "change-me-to-a-long-random-secret")
    return fail(
        "key: \"change-me-to-a-long-random-secret\" is the example's placeholder, published "
        "with Vesta; set the same long random secret on every node, e.g. from "
        "openssl rand -base64 32");
  return {};
}

Result<void> validateConfig(Config& c, const std::string& hostname) {
  if (c.name.empty() && !hostname.empty()) {
    // Host names may hold dots and other characters that node names do not.
    std::string derived;
    for (char ch : hostname.substr(0, hostname.find('.'))) {
      bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
      derived.push_back(ok ? ch : '-');
    }
    c.name = derived.substr(0, 32);
  }
  if (auto r = checkNodeName(c.name); !r) return fail("name: " + r.error());
  if (c.key.empty() && c.key_file.empty())
    return fail(
        "key: missing; every node of a federation needs the same secret: pass -key SECRET, "
        "-key-file FILE, or set \"key\" in the config file");
  if (!c.key.empty() && !c.key_file.empty())
    return fail("key: both -key and -key-file are set; use one of them");
  if (auto r = checkKeyNotPlaceholder(c.key); !r) return r;
  static const std::set<std::string> kPower = {"auto", "grid", "solar", "battery"};
  if (!kPower.count(c.power))
    return fail("power: \"" + c.power +
                "\" is not a power mode; expected auto, grid, solar or battery");
  if (!c.bus.empty() && c.bus != "system" && c.bus != "user" &&
      c.bus.find(':') == std::string::npos)
    return fail("bus: \"" + c.bus +
                "\" is not a bus; expected system, user or an address like unix:path=/run/bus");
  for (auto& s : c.seed)
    if (auto r = checkHostPort("seed", s); !r) return r;
  for (auto& b : c.broadcast)
    if (!validIPv4(b))
      return fail("broadcast: \"" + b +
                  "\" is not an IPv4 address; expected e.g. 127.255.255.255 or 192.168.1.255");
  for (auto& e : c.exec_allowlist)
    if (e.empty())
      return fail("exec_allowlist: an entry is empty; expected command names or paths");
  if (c.sysroot.empty()) return fail("sysroot: is empty; expected a directory such as /");
  if (c.spill_cpu_pct <= 0) return fail("spill_cpu_pct: must be above 0");
  if (c.thermal_hard_c <= c.thermal_soft_c)
    return fail("thermal_hard_c: " + std::to_string(static_cast<int>(c.thermal_hard_c)) +
                " must be above thermal_soft_c (" +
                std::to_string(static_cast<int>(c.thermal_soft_c)) +
                "); raise thermal_hard_c or lower thermal_soft_c");
  return {};
}

Result<Invocation> parseCommandLine(int argc, char** argv) {
  struct Setting {
    const Field* field;
    std::string value;
  };
  Invocation inv;
  std::vector<Setting> settings;
  std::string configPath;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-')
      return fail("unexpected argument \"" + arg +
                  "\"; vestad takes only flags (see vestad -help)");
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inlineValue;
    if (auto eq = body.find('='); eq != std::string::npos) {
      inlineValue = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    if (body == "help" || body == "h") {
      inv.action = Invocation::Action::Help;
      return inv;
    }
    if (body == "version") {
      inv.action = Invocation::Action::Version;
      return inv;
    }
    const Field* field = findFlag(body);
    if (!field) return fail("unknown flag " + arg + "; run vestad -help for the list");
    std::string value;
    if (inlineValue) {
      value = *inlineValue;
    } else if (!field->arg) {
      value = "true";
    } else {
      if (i + 1 >= argc)
        return fail("-" + std::string(field->flag) + ": missing value; expected " + field->arg);
      value = argv[++i];
    }
    if (std::string(field->flag) == "config") {
      configPath = value;
      continue;
    }
    settings.push_back({field, value});
  }
  // The file first, so that every flag overrides it whatever the order on the line.
  if (!configPath.empty()) {
    inv.config.config = configPath;
    auto text = readConfigFile(configPath);
    if (!text) return fail(text.error());
    if (auto r = applyConfigJson(inv.config, *text, configPath); !r) return fail(r.error());
  }
  std::set<const Field*> listsSet;  // a list flag replaces the file's list, then appends
  for (auto& s : settings) {
    bool append = listsSet.count(s.field) > 0;
    if (std::holds_alternative<std::vector<std::string> Config::*>(s.field->target))
      listsSet.insert(s.field);
    if (auto r = setFromText(inv.config, *s.field, s.value, append); !r) return fail(r.error());
  }
  return inv;
}

std::string configHelp() {
  std::ostringstream out;
  out << "Usage: vestad [-flag VALUE]...   (flags also as --flag, -flag=VALUE)\n\n"
         "Runs a Vesta node: measures this machine, runs jobs for it and its peers, and serves\n"
         "the control API on D-Bus as org.vesta.Vestad1 (and org.vesta.Vestad1.Node.NAME).\n\n"
         "Flags (config-file field in brackets):\n";
  for (const Field& f : kFields) {
    std::string left = std::string("  -") + f.flag + (f.arg ? std::string(" ") + f.arg : "");
    if (left.size() < 30) left.resize(30, ' ');
    out << left << " " << f.help;
    if (f.json) out << " [" << f.json << "]";
    out << "\n";
  }
  out << "  -help                        show this text\n"
         "  -version                     show the version\n\n"
         "Example: vestad -name desk -key-file /etc/vesta/key\n";
  return out.str();
}

}  // namespace vesta
