// A hostile member, for the integration tests: it holds the federation key and speaks the
// protocol (beacons, the Noise link, its identity proof), offers to run anything, and answers
// every ExecOffer itself, without running it: it accepts, sends the --get records it was told to
// send whatever was asked for, and reports exit 0; a batch it answers with output it says is
// another command's. What a submitter writes must not depend on the runner being a stock vestad.
//
//   hostile_runner NAME=CONTENT... -- VESTAD FLAGS (-name, -key, -port, -dport, -state-dir, ...)
//   hostile_runner --offer-cached SHA256 COUNT -- VESTAD FLAGS
// The second form plays a hostile submitter instead: as each link comes up it offers a job
// whose COUNT --put files all name content SHA256 (which the peer may have cached) announced as
// 1 byte each, and prints the peer's answer ("hostile_runner: refused: ..." or "accepted").
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "atomic_file.h"
#include "batch_stream.h"
#include "config.h"
#include "crypto.h"
#include "discovery.h"
#include "exec_proto.h"
#include "hex.h"
#include "identity.h"
#include "links.h"
#include "proto.h"

namespace {

using namespace vesta;

struct Record {
  std::string name, content;
};

// The whole --get stream: each record's header, then its bytes.
Bytes stream(const std::vector<Record>& records) {
  Bytes out;
  for (auto& r : records) {
    Bytes header = encodeFileRecordHeader({r.name, r.content.size()});
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), r.content.begin(), r.content.end());
  }
  return out;
}

int run(int argc, char** argv) {
  std::vector<Record> records;
  std::optional<ExecOfferMsg> ours;  // --offer-cached: the job this member offers its peers
  int i = 1;
  if (argc > 3 && std::strcmp(argv[1], "--offer-cached") == 0) {
    auto bytes = fromHex(argv[2]);
    if (!bytes || bytes->size() != 32) {
      std::fprintf(stderr, "hostile_runner: --offer-cached %s: expected 64 hex digits\n", argv[2]);
      return 2;
    }
    Digest digest{};
    std::copy(bytes->begin(), bytes->end(), digest.begin());
    ours = ExecOfferMsg{};
    ours->job = 1;
    ours->argv = {"true"};
    for (unsigned long n = 0; n < std::strtoul(argv[3], nullptr, 10); ++n)
      ours->files.push_back({"copy" + std::to_string(n), digest, 1, false});
    i = 4;
  }
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "hostile_runner: %s: expected NAME=CONTENT\n", argv[i]);
      return 2;
    }
    records.push_back({arg.substr(0, eq), arg.substr(eq + 1)});
  }
  // parseCommandLine reads argv[1..]: hand it the flags after --, behind a program name.
  std::vector<char*> flags{argv[0]};
  for (++i; i < argc; ++i) flags.push_back(argv[i]);
  auto invocation = parseCommandLine(static_cast<int>(flags.size()), flags.data());
  if (!invocation) {
    std::fprintf(stderr, "hostile_runner: %s\n", invocation.error().c_str());
    return 2;
  }
  Config config = invocation->config;
  if (auto ok = validateConfig(config, "hostile"); !ok) {
    std::fprintf(stderr, "hostile_runner: %s\n", ok.error().c_str());
    return 2;
  }
  if (auto ok = makePrivateDirs(config.state_dir); !ok) {
    std::fprintf(stderr, "hostile_runner: %s\n", ok.error().c_str());
    return 1;
  }
  auto identity = loadOrCreateIdentity(config.state_dir, config.name);
  auto root = deriveRootKey(config.key);
  if (!identity || !root) {
    std::fprintf(stderr, "hostile_runner: %s\n",
                 (!identity ? identity.error() : root.error()).c_str());
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  NodeSnapshot idle;  // an idle four-core machine that lends everything
  idle.cores = 4;
  idle.mem_available_mb = 4096;
  idle.mem_offer_mb = 1024;
  idle.spare_millicores = 4000;
  std::unique_ptr<Links> links;
  Discovery discovery(
      &loop, config, identity->publicKey(), [&] { return idle; },
      [&](const std::vector<PeerEvent>&) {
        if (links) links->reconcile();
      });
  Bytes files = stream(records);
  links = std::make_unique<Links>(
      &loop, config, *identity,
      [&](const std::string& fp, bool up) {
        ExecPolicy anything{true, true, {}, 4};
        if (up) links->send(fp, {FrameType::ExecPolicy, encode(anything)});
        if (up && ours) links->send(fp, {FrameType::ExecOffer, encode(*ours)});
      },
      [&](const std::string& fp, const Frame& frame) {
        if (ours && frame.type == FrameType::ExecRefuse) {
          auto r = decodeRefuse(frame.payload);
          std::fprintf(stderr, "hostile_runner: refused: %s\n", r ? r->reason.c_str() : "?");
          return;
        }
        if (ours && frame.type == FrameType::ExecAccept) {
          std::fprintf(stderr, "hostile_runner: accepted\n");
          links->send(fp, {FrameType::ExecRelease, encode(ReasonMsg{ours->job, "a test"})});
          return;
        }
        if (frame.type != FrameType::ExecOffer) return;
        auto offer = decodeExecOffer(frame.payload);
        if (!offer) return;
        std::fprintf(stderr, "hostile_runner: offer of job %llu, %zu --get patterns\n",
                     static_cast<unsigned long long>(offer->job), offer->gets.size());
        links->send(fp, {FrameType::ExecAccept, encode(ExecAcceptMsg{offer->job, {}})});
        if (offer->framed) {
          // A batch: output it says is another command's, while the first has not ended.
          uint8_t head[kBatchHeaderBytes];
          std::string forged = "forged\n";
          encodeBatchHeader(head, BatchRecord::Stdout, 1, static_cast<uint32_t>(forged.size()));
          Bytes batch(head, head + sizeof head);
          batch.insert(batch.end(), forged.begin(), forged.end());
          links->send(fp, {FrameType::Output,
                           encode(OutputMsg{offer->job, OutputStream::Stdout, std::move(batch)})});
          links->send(fp, {FrameType::ExecExit, encode(ExecExitMsg{offer->job, 0, 0, false, ""})});
          return;
        }
        for (size_t at = 0; at < files.size(); at += kMaxDataPiece) {
          size_t n = std::min(kMaxDataPiece, files.size() - at);
          OutputMsg out{offer->job, OutputStream::Files,
                        Bytes(files.begin() + static_cast<long>(at),
                              files.begin() + static_cast<long>(at + n))};
          links->send(fp, {FrameType::Output, encode(out)});
        }
        links->send(fp, {FrameType::ExecExit, encode(ExecExitMsg{offer->job, 0, 0, false, ""})});
      },
      // Its Hello claims it runs anything, so every submitter offers it work at once.
      [] {
        return ExecPolicy{true, true, {}, 4};
      });
  if (auto ok = links->start(deriveSubkey(*root, kLinkLabel), discovery.peers()); !ok) {
    std::fprintf(stderr, "hostile_runner: %s\n", ok.error().c_str());
    return 1;
  }
  if (auto ok = discovery.start(deriveSubkey(*root, kBeaconLabel)); !ok) {
    std::fprintf(stderr, "hostile_runner: %s\n", ok.error().c_str());
    return 1;
  }
  std::fprintf(stderr, "hostile_runner: %s up, %zu records to send\n", config.name.c_str(),
               records.size());
  uv_run(&loop, UV_RUN_DEFAULT);  // until the test kills it
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hostile_runner: %s\n", e.what());
    return 1;
  }
}
