#include "ledger.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "atomic_file.h"
#include "config.h"

namespace vesta {
namespace {

// Amounts are stored as whole thousandths (core-milliseconds, MiB-milliseconds): integers parse
// exactly, so a ledger read and written back is byte for byte the same, which decimal floating
// point through RapidJSON does not guarantee.
constexpr const char* kFormat = "vesta-ledger-2";
constexpr double kMaxAmount = 1e15;  // 30 million core-years: more is corruption, not history

uint64_t toMilli(double v) {
  return static_cast<uint64_t>(std::llround(v * 1000));
}

// "3f2a-91c0-7b1e-22d4": what identity.h's fingerprintOf makes.
bool looksLikeFingerprint(const std::string& fp) {
  if (fp.size() != 19) return false;
  for (size_t i = 0; i < fp.size(); ++i) {
    bool dash = i % 5 == 4;
    if (dash ? fp[i] != '-' : !std::isxdigit(static_cast<unsigned char>(fp[i]))) return false;
  }
  return true;
}

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
  auto it = entries_.find(fp);
  double before = it == entries_.end()
                      ? 0
                      : std::max(lent ? it->second.lent_core_s : it->second.borrowed_core_s,
                                 lent ? it->second.lent_mib_s : it->second.borrowed_mib_s);
  if (before + std::max(core, mib) > kMaxAmount)
    return fail("ledger: a total would pass " + fmt(kMaxAmount) + "; refusing the record");
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

Result<void> Ledger::recordGpu(const std::string& fp, const std::string& name, double gpu,
                               bool lent, int64_t now) {
  if (!std::isfinite(gpu) || gpu < 0) return fail("ledger: GPU-seconds must be finite and >= 0");
  auto it = entries_.find(fp);
  double before = it == entries_.end() ? 0
                  : lent               ? it->second.lent_gpu_s
                                       : it->second.borrowed_gpu_s;
  if (before + gpu > kMaxAmount)
    return fail("ledger: a total would pass " + fmt(kMaxAmount) + "; refusing the record");
  LedgerEntry& e = entries_[fp];
  e.fingerprint = fp;
  if (!name.empty()) e.name = name;
  (lent ? e.lent_gpu_s : e.borrowed_gpu_s) += gpu;
  e.updated_unix = now;
  return {};
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
    w.Key("lent_core_ms");
    w.Uint64(toMilli(e.lent_core_s));
    w.Key("borrowed_core_ms");
    w.Uint64(toMilli(e.borrowed_core_s));
    w.Key("lent_mib_ms");
    w.Uint64(toMilli(e.lent_mib_s));
    w.Key("borrowed_mib_ms");
    w.Uint64(toMilli(e.borrowed_mib_s));
    w.Key("lent_gpu_ms");
    w.Uint64(toMilli(e.lent_gpu_s));
    w.Key("borrowed_gpu_ms");
    w.Uint64(toMilli(e.borrowed_gpu_s));
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
  // Invalid UTF-8 is refused rather than carried into names and written back changed.
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str(), text.size());
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
      if (it == p.MemberEnd() || !it->value.IsUint64()) return false;
      uint64_t milli = it->value.GetUint64();
      out = static_cast<double>(milli) / 1000;
      return out <= kMaxAmount;
    };
    if (!str("fingerprint", e.fingerprint) || !looksLikeFingerprint(e.fingerprint))
      return corrupt("a peer has no fingerprint of the form xxxx-xxxx-xxxx-xxxx");
    // Node names are plain ASCII (checkNodeName); anything else did not come from us.
    if (!str("name", e.name) || (!e.name.empty() && !checkNodeName(e.name)))
      return corrupt(e.fingerprint + ": name is not a node name");
    for (auto [key, field] :
         {std::pair{"lent_core_ms", &e.lent_core_s},
          std::pair{"borrowed_core_ms", &e.borrowed_core_s},
          std::pair{"lent_mib_ms", &e.lent_mib_s}, std::pair{"borrowed_mib_ms", &e.borrowed_mib_s}})
      if (!num(key, *field))
        return corrupt(e.fingerprint + ": " + key + " must be a whole number from 0 to 1e18");
    // GPU-seconds came later: a file written before them has none, and means zero.
    for (auto [key, field] :
         {std::pair{"lent_gpu_ms", &e.lent_gpu_s}, std::pair{"borrowed_gpu_ms", &e.borrowed_gpu_s}})
      if (p.HasMember(key) && !num(key, *field))
        return corrupt(e.fingerprint + ": " + key + " must be a whole number from 0 to 1e18");
    auto updated = p.FindMember("updated_unix");
    // Seconds since 1970 as a whole number; anything past year 10000 is not a time we wrote.
    if (updated == p.MemberEnd() || !updated->value.IsInt64() || updated->value.GetInt64() < 0 ||
        updated->value.GetInt64() > 253402300800)
      return corrupt(e.fingerprint + ": updated_unix must be a time in seconds");
    e.updated_unix = updated->value.GetInt64();
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
