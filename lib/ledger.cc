#include "ledger.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "atomic_file.h"

namespace vesta {
namespace {

constexpr const char* kFormat = "vesta-ledger-1";

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

bool BorrowGate::allows(const LedgerEntry& e, std::string* why) const {
  double cap = max_borrow_ratio * std::max(goodwill_floor_core_s, e.borrowed_core_s);
  if (e.lent_core_s <= cap) return true;
  if (why)
    *why = (e.name.empty() ? e.fingerprint : e.name) + " has borrowed " + fmt(e.lent_core_s) +
           " core-seconds, over its cap of " + fmt(cap) + " (max_borrow_ratio " +
           fmt(max_borrow_ratio) + " x max(goodwill " + fmt(goodwill_floor_core_s) + ", the " +
           fmt(e.borrowed_core_s) + " it lent us))";
  return false;
}

bool BorrowGate::lendsToUs(const LedgerEntry& e) const {
  return e.borrowed_core_s <= max_borrow_ratio * std::max(goodwill_floor_core_s, e.lent_core_s);
}

Result<void> Ledger::add(const std::string& fp, const std::string& name, double core, double mib,
                         bool lent, int64_t now) {
  if (!std::isfinite(core) || !std::isfinite(mib) || core < 0 || mib < 0)
    return fail("ledger: usage must be a finite amount of at least 0");
  LedgerEntry& e = entries_[fp];
  e.fingerprint = fp;
  if (!name.empty()) e.name = name;
  (lent ? e.lent_core_s : e.borrowed_core_s) += core;
  (lent ? e.lent_mib_s : e.borrowed_mib_s) += mib;
  e.updated_unix = now;
  return {};
}

Result<void> Ledger::recordLent(const std::string& fp, const std::string& name, double core,
                                double mib, int64_t now) {
  return add(fp, name, core, mib, true, now);
}

Result<void> Ledger::recordBorrowed(const std::string& fp, const std::string& name, double core,
                                    double mib, int64_t now) {
  return add(fp, name, core, mib, false, now);
}

const LedgerEntry* Ledger::find(const std::string& fp) const {
  auto it = entries_.find(fp);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<LedgerEntry> Ledger::entries() const {
  std::vector<LedgerEntry> out;
  for (auto& [fp, e] : entries_) out.push_back(e);
  return out;
}

std::string Ledger::toJson() const {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("format");
  w.String(kFormat);
  w.Key("peers");
  w.StartArray();
  for (auto& [fp, e] : entries_) {
    w.StartObject();
    w.Key("fingerprint");
    w.String(e.fingerprint.c_str());
    w.Key("name");
    w.String(e.name.c_str());
    w.Key("lent_core_s");
    w.Double(e.lent_core_s);
    w.Key("borrowed_core_s");
    w.Double(e.borrowed_core_s);
    w.Key("lent_mib_s");
    w.Double(e.lent_mib_s);
    w.Key("borrowed_mib_s");
    w.Double(e.borrowed_mib_s);
    w.Key("updated_unix");
    w.Int64(e.updated_unix);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(out.GetString()) + "\n";
}

Result<Ledger> Ledger::fromJson(const std::string& text, const std::string& origin) {
  auto corrupt = [&](const std::string& why) {
    return fail("ledger file \"" + origin + "\" is corrupt (" + why + ")");
  };
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return corrupt("not a JSON object");
  auto format = doc.FindMember("format");
  if (format == doc.MemberEnd() || !format->value.IsString() ||
      std::string(format->value.GetString()) != kFormat)
    return corrupt(std::string("format is not ") + kFormat);
  auto peers = doc.FindMember("peers");
  if (peers == doc.MemberEnd() || !peers->value.IsArray()) return corrupt("peers: expected a list");
  Ledger ledger;
  for (auto& p : peers->value.GetArray()) {
    if (!p.IsObject()) return corrupt("peers: expected objects");
    LedgerEntry e;
    auto str = [&](const char* k, std::string& out) {
      auto it = p.FindMember(k);
      if (it == p.MemberEnd() || !it->value.IsString()) return false;
      out = it->value.GetString();
      return true;
    };
    auto num = [&](const char* k, double& out) {
      auto it = p.FindMember(k);
      if (it == p.MemberEnd() || !it->value.IsNumber()) return false;
      out = it->value.GetDouble();
      return std::isfinite(out) && out >= 0;
    };
    double updated = 0;
    if (!str("fingerprint", e.fingerprint) || e.fingerprint.empty())
      return corrupt("a peer has no fingerprint");
    if (!str("name", e.name)) return corrupt(e.fingerprint + ": name");
    for (auto [key, field] :
         {std::pair{"lent_core_s", &e.lent_core_s},
          std::pair{"borrowed_core_s", &e.borrowed_core_s}, std::pair{"lent_mib_s", &e.lent_mib_s},
          std::pair{"borrowed_mib_s", &e.borrowed_mib_s}, std::pair{"updated_unix", &updated}})
      if (!num(key, *field)) return corrupt(e.fingerprint + ": " + key + " must be a number >= 0");
    e.updated_unix = static_cast<int64_t>(updated);
    if (ledger.entries_.count(e.fingerprint)) return corrupt(e.fingerprint + " appears twice");
    ledger.entries_[e.fingerprint] = e;
  }
  return ledger;
}

std::string ledgerPath(const std::string& stateDir, const std::string& nodeName) {
  return stateDir + "/vestad-ledger-" + nodeName + ".json";
}

Result<Ledger> loadLedger(const std::string& path) {
  auto text = readPrivateFile(path, 16 << 20);
  if (!text) {
    if (isMissingFileError(text.error())) return Ledger{};
    return fail("ledger: " + text.error());
  }
  return Ledger::fromJson(*text, path);
}

Result<void> saveLedger(const std::string& path, const Ledger& ledger) {
  return writeFileAtomic(path, ledger.toJson(), /*replace=*/true);
}

Result<std::string> keepAside(const std::string& path, int64_t nowUnix) {
  std::string aside = path + ".corrupt-" + std::to_string(nowUnix);
  if (std::rename(path.c_str(), aside.c_str()) != 0)
    return fail("cannot move \"" + path + "\" aside: " + std::strerror(errno));
  return aside;
}

}  // namespace vesta
