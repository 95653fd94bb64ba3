#include "node.h"

#include <systemd/sd-daemon.h>

#include <openssl/crypto.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "capacity.h"
#include "crypto.h"
#include "log.h"
#include "plural.h"
#include "spawn.h"
#include "spawner.h"
#include "submitters.h"
#include "vesta_version.h"

namespace vesta {
namespace {

constexpr uint64_t kProgressMs = 250;  // progress updates while jobs run
constexpr uint64_t kJobCountSignalMs = 100;
constexpr int kJobNice = 10;  // jobs are batch work: the owner's programs come first

// Replies of org.freedesktop.DBus.RequestName (the D-Bus specification); sd-bus has no names.
constexpr uint32_t kNamePrimaryOwner = 1, kNameInQueue = 2, kNameAlreadyOwner = 4;

}  // namespace

Node::Node(uv_loop_t* loop, Config config, Identity identity, std::string stateDir)
    : loop_(loop),
      config_(std::move(config)),
      identity_(std::move(identity)),
      stateDir_(std::move(stateDir)),
      sampler_(
          loop, config_, [this] { onSample(); },
          Sampler::Sources{[this] { return ownerFirst_ ? ownerFirst_->borrowedCpuSeconds() : 0.0; },
                           {}}),
      cluster_(config_, Cluster::Sources{
                            [this]() -> const NodeStatus& { return status(); },
                            [this] { return discovery_.get(); }, [this] { return links_.get(); },
                            [this] { return ledger_.get(); }, [this] { return uv_now(loop_); },
                            [this](bool forPeers) {
                              return execRunner_ ? execRunner_->gpuAdvert(forPeers) : GpuAdvert{};
                            }}),
      stress_(loop),
      sigterm_(loop),
      sigint_(loop),
      progressTimer_(loop),
      watchdogTimer_(loop),
      closeTimer_(loop),
      ledgerTimer_(loop),
      jobCountTimer_(loop),
      localWake_(loop, [this] { deliverLocal(); }),
      jobCallers_([this] {
        std::vector<pid_t> own = execRunner_ ? execRunner_->ownersReapers() : std::vector<pid_t>{};
        if (pid_t s = spawner::pid(); s > 0) own.push_back(s);
        return own;
      }) {}

Node::~Node() {
  shutdown("vestad is exiting");
}

Result<void> Node::start() {
  // The first sample tells the core count, which sizes the worker pool.
  sampler_.start(std::min<uint64_t>(config_.advertise_spare_ms, 1000));
  executor_ = std::make_unique<Executor>(loop_, workerCount(status().cores, config_), kJobNice,
                                         borrowedWorkerCount(status().cores, config_));
  jobs_ = std::make_unique<JobTable>(config_.name,
                                     [this](const Job& j, JobChange c) { onJobChange(j, c); });
  ledger_ = std::make_unique<LedgerStore>(loop_, config_, ledgerPath(stateDir_, config_.name));
  std::string ledgerWarning;
  if (auto loaded = ledger_->load(&ledgerWarning); !loaded) return fail(loaded.error());
  if (!ledgerWarning.empty()) log::error(ledgerWarning);
  auto send = [this](const std::string& fp, const Frame& frame) { return this->send(fp, frame); };
  auto views = [this] { return cluster_.views(); };
  coordinator_ = std::make_unique<Coordinator>(
      loop_, config_, *jobs_,
      Coordinator::Hooks{views,
                         send,
                         [this](const std::string& fp, double core, double mib) {
                           ledger_->recordBorrowed(fp, peerName(fp), core, mib, false);
                           ledgerChanged();
                         },
                         [this] { ledger_->jobEnded(); },
                         [this](const std::string& fp) { ledger_->noteCappedThere(fp); },
                         {}});
  jobs_->setCanceller([this](Job& job, const std::string& why) {
    if (job.kind == JobKind::Exec)
      execClient_->cancel(job, why);
    else
      coordinator_->cancel(job, why);
  });
  lender_ = std::make_unique<Lender>(
      loop_, config_, *executor_,
      Lender::Hooks{
          send, [this](const std::string& fp) { return peerName(fp); },
          [this]() -> const NodeStatus& { return status(); }, [this] { return freshMeminfo(); },
          [this](const std::string& fp, std::string* why) { return ledger_->allows(fp, why); },
          [this](const std::string& fp, const std::string& name, double core, double mib,
                 bool ended) {
            ledger_->recordLent(fp, name, core, mib, ended);
            ledgerChanged();
          },
          [this] { ledger_->jobEnded(); }});

  execRunner_ = std::make_unique<ExecRunner>(
      loop_, config_, stateDir_,
      ExecRunner::Hooks{
          send, [this](const std::string& fp) { return peerName(fp); },
          [this]() -> const NodeStatus& { return status(); },
          [this](const std::string& fp, std::string* why) { return ledger_->allows(fp, why); },
          [this](const std::string& fp, const std::string& name, double core, double mib,
                 bool ended) {
            ledger_->recordLent(fp, name, core, mib, ended);
            ledgerChanged();
          }});
  ownerFirst_ = std::make_unique<OwnerFirst>(config_, *executor_, *lender_, *execRunner_);
  ownerFirst_->enforce(status(), uv_now(loop_));  // the first budget, before any work arrives
  execClient_ = std::make_unique<ExecClient>(
      loop_, config_, *jobs_,
      ExecClient::Hooks{views, send,
                        [this](const std::string& fp, double core, double mib) {
                          ledger_->recordBorrowed(fp, peerName(fp), core, mib, true);
                          ledgerChanged();
                        },
                        [this] { updateProgressTimer(); }});
  // GPU-seconds beside the core-seconds: a peer's --gpu job held our GPUs, or ours held its.
  execRunner_->onGpuLent([this](const std::string& fp, const std::string& name, double s) {
    ledger_->recordGpu(fp, name, s, true);
    ledgerChanged();
  });
  execClient_->onGpuBorrowed([this](const std::string& fp, double s) {
    ledger_->recordGpu(fp, peerName(fp), s, false);
    ledgerChanged();
  });
  // Shut down in this order: our own jobs first, then what we lend (before the links close,
  // so the coordinators hear a clear reason).
  router_ = std::make_unique<Router>(std::vector<Engine*>{
      &cluster_, coordinator_.get(), execClient_.get(), lender_.get(), execRunner_.get()});

  auto bus = openBus(config_.bus);
  if (!bus) return fail(bus.error() + "; pass -bus system|user|ADDRESS");
  bus_ = std::move(*bus);
  sd_bus* b = bus_.get();
  int r = registerManagerInterface(b, *this, &slots_.manager);
  if (r >= 0) r = registerJobObjects(b, *this, &slots_.jobVtable, &slots_.jobEnumerator);
  if (r >= 0) r = sd_bus_add_object_manager(b, &slots_.objectManager, kObjectPath);
  if (r >= 0) r = jobCallers_.install(b, &slots_.jobCallers);
  if (r < 0) return fail(std::string("cannot register D-Bus objects: ") + std::strerror(-r));
  // Every client's disconnection (its unique name's NameOwnerChanged to no owner), so an exec
  // job ends with the vesta exec that submitted it. Sent before the name requests: no client
  // can reach us by name before the bus has the match.
  if (r >= 0)
    r = sd_bus_add_match_async(b, &slots_.clientsGone, kClientGoneMatch, clientGoneHandler, nullptr,
                               this);
  if (r < 0) return fail(std::string("cannot watch the bus's clients: ") + std::strerror(-r));
  std::string own = nodeBusName(config_.name);
  r = sd_bus_request_name_async(b, &slots_.nodeName, own.c_str(), 0, nameReplyHandler, this);
  // The shared name is queued: with several vestad on one bus, the next takes it over when the
  // first one leaves. Each stays reachable by its own per-node name meanwhile.
  if (r >= 0)
    r = sd_bus_request_name_async(b, &slots_.sharedName, kBusName, SD_BUS_NAME_QUEUE,
                                  nameReplyHandler, this);
  if (r < 0) return fail(std::string("cannot request bus names: ") + std::strerror(-r));
  busLoop_ = std::make_unique<BusLoop>(loop_, b, [this] { fatal("lost the D-Bus connection"); });
  // Someone at the keyboard (the in-use rule): logind on the system bus, or $VESTA_LOGIND_BUS
  // (tests serve a fake logind on their private bus). The next sample picks a change up.
  logind_ = std::make_unique<LogindWatch>(loop_, config_.idle_after_s, nullptr);
  const char* logindBus = std::getenv("VESTA_LOGIND_BUS");
  logind_->start(logindBus ? logindBus : "");
  sampler_.setUserSource([this] { return logind_->presence(); });

  startDiscovery();
  sigterm_.start(SIGTERM, [this] { shutdown("stopping on SIGTERM"); });
  sigint_.start(SIGINT, [this] { shutdown("stopping on SIGINT"); });
  uint64_t watchdogUs = 0;
  if (sd_watchdog_enabled(0, &watchdogUs) > 0) {
    uint64_t everyMs = std::max<uint64_t>(watchdogUs / 2000, 1);
    watchdogTimer_.start(everyMs, everyMs, [] { sd_notify(0, "WATCHDOG=1"); });
  }
  return {};
}

int Node::nameReplyHandler(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* node = static_cast<Node*>(userdata);
  try {
    bool own = sd_bus_get_current_slot(sd_bus_message_get_bus(m)) == node->slots_.nodeName;
    node->onNameReply(m, own);
  } catch (const std::exception& e) {
    log::error(std::string("name reply: ") + e.what());
  }
  return 0;
}

void Node::onNameReply(sd_bus_message* reply, bool nodeName) {
  std::string name = nodeName ? nodeBusName(config_.name) : kBusName;
  if (const sd_bus_error* e = sd_bus_message_get_error(reply)) {
    fatal("cannot own the bus name " + name + ": " + (e->message ? e->message : e->name) +
          (std::string(e->name) == SD_BUS_ERROR_ACCESS_DENIED
               ? "; install the D-Bus policy (org.vesta.Vestad1.conf) or use -bus user"
               : ""));
    return;
  }
  uint32_t result = 0;
  sd_bus_message_read(reply, "u", &result);
  if (!nodeName) {
    if (result == kNameInQueue)
      log::info(std::string(kBusName) + " is owned by another vestad; reachable as " +
                nodeBusName(config_.name));
    return;
  }
  if (result != kNamePrimaryOwner && result != kNameAlreadyOwner) {
    fatal("another vestad named \"" + config_.name + "\" already runs on this bus (" + name +
          " is taken); give this one another -name");
    return;
  }
  nameOwned_ = true;
  maybeReady();
}

void Node::maybeReady() {
  if (!nameOwned_ || !socketsBound_ || stopping_) return;
  const char* address = nullptr;
  sd_bus_get_address(bus_.get(), &address);
  log::notice("vestad " VESTA_VERSION " ready: node " + config_.name + ", fingerprint " +
                  identity_.fingerprint() + ", " + countOf(status().cores, "core") + ", " +
                  countOf(workers(), "worker") + ", bus " + (address ? address : "?"),
              {{"VESTA_FINGERPRINT", identity_.fingerprint()}});
  // An owner who allowed exec expects its jobs confined: say so loudly where they cannot be.
  if (config_.allow_exec && !confined()) log::warning("allow_exec: " + confinementSummary());
  sd_notify(0, "READY=1");
  notifyStatus();
}

void Node::startDiscovery() {
  discovery_ = std::make_unique<Discovery>(
      loop_, config_, identity_.publicKey(), [this] { return cluster_.snapshot(); },
      [this](const std::vector<PeerEvent>& events) { onPeerEvents(events); });
  // scrypt is slow on purpose (about a second on a Pi): derive the root key off the loop.
  struct Work {
    uv_work_t req;
    Node* node;
    std::string secret;
    Result<Key> root = fail("not derived");
  };
  auto* work = new Work{{}, this, config_.key};
  work->req.data = work;
  uv_queue_work(
      loop_, &work->req,
      [](uv_work_t* req) {
        auto* w = static_cast<Work*>(req->data);
        w->root = deriveRootKey(w->secret);
        OPENSSL_cleanse(w->secret.data(), w->secret.size());
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> w(static_cast<Work*>(req->data));
        w->node->onRootKey(std::move(w->root));
      });
}

void Node::onRootKey(Result<Key> root) {
  if (stopping_) return;
  if (!root) return fatal(root.error());
  links_ = std::make_unique<Links>(
      loop_, config_, identity_, [this](const std::string& fp, bool up) { onLinkChange(fp, up); },
      [this](const std::string& fp, const Frame& frame) { onWorkFrame(fp, frame); },
      [this] { return execPolicy(); });
  if (auto r = links_->start(deriveSubkey(*root, kLinkLabel), discovery_->peers()); !r)
    return fatal(r.error());
  if (auto r = discovery_->start(deriveSubkey(*root, kBeaconLabel)); !r) return fatal(r.error());
  OPENSSL_cleanse(root->data(), root->size());
  socketsBound_ = true;
  maybeReady();
}

void Node::onPeerEvents(const std::vector<PeerEvent>& events) {
  for (const auto& e : events) {
    const Peer* p = discovery_->peers().find(e.fingerprint);
    std::string where = p ? " at " + p->address + ":" + std::to_string(p->port) : "";
    switch (e.kind) {
      case PeerEvent::Kind::Joined:
        log::notice("peer " + e.name + " joined" + where, {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::Restarted:
        log::notice("peer " + e.name + " restarted" + where, {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::Moved:
        log::notice("peer " + e.name + " moved" + where, {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::StateChanged:
        log::notice("peer " + e.name + " is " + peerStateName(e.state),
                    {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::Left:
        log::notice("peer " + e.name + " left", {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::Forgotten:
        log::info("peer " + e.name + " forgotten", {{"VESTA_PEER", e.fingerprint}});
        break;
      case PeerEvent::Kind::LinkUp:
      case PeerEvent::Kind::LinkDown:
        break;  // the links log their own changes
    }
    // Heard again after silence, or a new incarnation: redial now, not after the backoff that
    // grew while it was away (or while a flood kept its link port busy).
    bool back = e.kind == PeerEvent::Kind::Joined || e.kind == PeerEvent::Kind::Restarted ||
                (e.kind == PeerEvent::Kind::StateChanged && e.state == PeerState::Alive);
    if (back && links_) links_->resetBackoff(e.fingerprint);
    if (bus_) emitPeerEvent(bus_.get(), e, links_ && links_->info(e.fingerprint));
  }
  if (links_) links_->reconcile();
}

void Node::onLinkChange(const std::string& fp, bool up) {
  if (up)
    router_->linkUp(fp);
  else
    router_->linkDown(fp);
  updateProgressTimer();
  if (!bus_) return;
  const Peer* p = discovery_->peers().find(fp);
  emitPeerEvent(bus_.get(),
                {up ? PeerEvent::Kind::LinkUp : PeerEvent::Kind::LinkDown, fp, p ? p->name : "",
                 p ? p->state : PeerState::Alive},
                up);
}

void Node::onWorkFrame(const std::string& fp, const Frame& frame) {
  if (stopping_) return;
  if (!router_->route(fp, frame) && router_->unclaimed(frame.type) == 1)
    log::warning("dropped a frame of type " + std::to_string(static_cast<int>(frame.type)) +
                     " from " + peerName(fp) + ": nothing here takes it (logged once)",
                 {{"VESTA_PEER", fp}});
  updateProgressTimer();
}

bool Node::send(const std::string& fp, const Frame& frame) {
  if (!fp.empty()) return links_ && links_->send(fp, frame);
  localFrames_.push_back(frame);
  if (localFrames_.size() == 1) localWake_.send();
  return true;
}

void Node::deliverLocal() {
  // Only what is queued now: frames these produce wait for the next round.
  size_t n = localFrames_.size();
  for (size_t i = 0; i < n && !localFrames_.empty() && !stopping_; ++i) {
    Frame frame = std::move(localFrames_.front());
    localFrames_.pop_front();
    router_->route("", frame);
  }
  if (!localFrames_.empty() && !stopping_) localWake_.send();
  updateProgressTimer();
}

void Node::watchSubmitter(uint64_t job, sd_bus_message* call) {
  // No bus traffic here: the match on every client's disconnection (clientGoneHandler) is in
  // place since the start, and the bus delivers that NameOwnerChanged after any call the
  // client sent before it went.
  const char* sender = sd_bus_message_get_sender(call);
  if (!sender || !*sender) return;
  if (Job* j = jobs_->find(job); !j || isTerminal(j->state)) return;
  submitters_[job] = sender;
}

int Node::clientGoneHandler(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* node = static_cast<Node*>(userdata);
  const char *name = nullptr, *oldOwner = nullptr, *newOwner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &oldOwner, &newOwner) < 0 || !name || !newOwner ||
      *newOwner)
    return 0;
  node->jobCallers_.forget(name);
  std::vector<uint64_t> gone = submittedBy(node->submitters_, name);
  for (uint64_t jobId : gone) {
    node->submitters_.erase(jobId);
    if (Job* j = node->jobs_->find(jobId); j && !isTerminal(j->state))
      node->jobs_->cancel(jobId, "the vesta exec that submitted it went away");
  }
  return 0;
}

Result<Job*> Node::submitExec(ExecClient::Request request) {
  if (stopping_) return fail("vestad is stopping");  // the request's descriptors close with it
  return execClient_->submit(std::move(request));
}

MemInfo Node::freshMeminfo() const {
  // A one-second-old MemAvailable can be far off right after another job.
  return parseMeminfo(readSysFile(config_.sysroot, "/proc/meminfo").value_or(""));
}

void Node::ledgerChanged() {
  // The Ledger property changes with every piece of work; one signal a second is plenty.
  if (ledgerSignalPending_ || !bus_) return;
  ledgerSignalPending_ = true;
  ledgerTimer_.start(1000, 0, [this] {
    ledgerSignalPending_ = false;
    emitManagerChanged(bus_.get(), {"Ledger"});
  });
}

void Node::fatal(const std::string& message) {
  log::error(message);
  exitCode_ = 1;
  shutdown("fatal error");
}

void Node::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  sd_notify(0, "STOPPING=1");
  if (exitCode_ == 0) log::notice(why);
  if (jobs_) jobs_->cancelAll("vestad stopped");
  if (router_) router_->shutdown("is stopping");  // before the links close: a clear reason
  localFrames_.clear();
  localWake_.close();
  if (ledger_) ledger_->close();
  ledgerTimer_.close();
  jobCountTimer_.close();
  stress_.stop();
  if (executor_) executor_->shutdown();
  sampler_.stop();
  if (links_) links_->stop();          // a goodbye on every link
  if (discovery_) discovery_->stop();  // one last beacon: peers drop us at once
  sigterm_.close();
  sigint_.close();
  progressTimer_.close();
  watchdogTimer_.close();
  // We may be inside an sd-bus callback (a method call, a name reply): the connection must not
  // be freed under it. Close it from a fresh loop iteration instead.
  closeTimer_.start(0, 0, [this] { closeBus(); });
}

void Node::closeBus() {
  submitters_.clear();
  for (sd_bus_slot** slot :
       {&slots_.manager, &slots_.jobVtable, &slots_.jobEnumerator, &slots_.objectManager,
        &slots_.clientsGone, &slots_.jobCallers, &slots_.nodeName, &slots_.sharedName})
    *slot = sd_bus_slot_unref(*slot);
  if (bus_) sd_bus_flush(bus_.get());  // deliver the cancellations and Finished signals
  busLoop_.reset();
  bus_.reset();
  if (logind_) logind_->stop();  // its handles too, or the loop would never end
  closeTimer_.close();
}

Result<Job*> Node::submitCpu(uint64_t millions, const std::string& seedHex,
                             const PlacementRequest& how) {
  if (stopping_) return fail("vestad is stopping");
  JobSeed seed = randomSeed();
  if (!seedHex.empty()) {
    auto parsed = parseSeed(seedHex);
    if (!parsed)
      return fail("seed: \"" + seedHex +
                  "\" is not 64 hex digits (32 bytes); leave it empty for a random seed");
    seed = *parsed;
  }
  return coordinator_->submitCpu(millions, seed, how);
}

Result<Job*> Node::submitMem(uint64_t mb, uint64_t holdMs, const PlacementRequest& how) {
  if (stopping_) return fail("vestad is stopping");
  return coordinator_->submitMem(mb, holdMs, how);
}

Result<void> Node::startStress(unsigned cores, unsigned seconds) {
  if (stopping_) return fail("vestad is stopping");
  unsigned all = status().cores;
  if (cores > all)
    return fail("stress: " + countOf(cores, "core") + " is more than this node has (" +
                std::to_string(all) + "); use 0 for all");
  if (seconds < 1 || seconds > 86400)
    return fail("stress: " + std::to_string(seconds) +
                " seconds is out of range; expected 1..86400");
  unsigned n = cores == 0 ? all : cores;
  stress_.start(n, seconds, [this] {
    log::info("stress ended");
    emitManagerChanged(bus_.get(), {"StressCores"});
  });
  log::info("stress: " + countOf(n, "core") + " for " + std::to_string(seconds) + " s");
  emitManagerChanged(bus_.get(), {"StressCores"});
  return {};
}

void Node::stopStress() {
  if (stress_.cores() == 0) return;
  stress_.stop();
  log::info("stress stopped");
  emitManagerChanged(bus_.get(), {"StressCores"});
}

void Node::onJobChange(const Job& job, JobChange change) {
  if (change == JobChange::State && isTerminal(job.state)) {
    submitters_.erase(job.id);
    std::string what = std::string(jobStateName(job.state));
    if (job.state == JobState::Done && job.kind == JobKind::Cpu) what += ", result " + job.result;
    if (!job.error.empty()) what += ": " + job.error;
    log::info(
        "job " + job.idText() + " " + what + " after " + std::to_string(job.elapsedMs()) + " ms",
        {{"VESTA_JOB", job.idText()}, {"VESTA_JOB_STATE", jobStateName(job.state)}});
  }
  if (bus_) emitJobChange(bus_.get(), job, change);
  if (change == JobChange::Created || change == JobChange::State) {
    updateProgressTimer();
    jobCountChanged();
  }
}

void Node::jobCountChanged() {
  // A fan-out of short jobs changes the count three times a job: each a signal through the bus
  // daemon and, under systemd, a message to PID 1. People and status lines read it; a tenth of
  // a second late is soon enough for them.
  if (jobCountPending_) return;
  jobCountPending_ = true;
  jobCountTimer_.start(kJobCountSignalMs, 0, [this] {
    jobCountPending_ = false;
    if (bus_) emitManagerChanged(bus_.get(), {"JobsActive"});
    notifyStatus();
  });
}

void Node::updateProgressTimer() {
  bool want = (jobs_->active() > 0 || (router_ && router_->active() > 0)) && !stopping_;
  if (want == progressTimerRunning_) return;
  progressTimerRunning_ = want;
  if (want)
    progressTimer_.start(kProgressMs, kProgressMs, [this] { onProgressTick(); });
  else
    progressTimer_.stop();
  if (!want) onProgressTick();  // the last flow's end is shown too
}

void Node::onProgressTick() {
  router_->tick();
  jobs_->tick();
  bool anyFlows = !flows().empty();
  if (bus_ && (anyFlows || hadFlows_)) emitManagerChanged(bus_.get(), {"Flows"});
  hadFlows_ = anyFlows;
  updateProgressTimer();
}

void Node::onSample() {
  if (discovery_) discovery_->beat();
  if (execRunner_) execRunner_->sweepStrays();
  if (ownerFirst_ && !stopping_) ownerFirst_->enforce(status(), uv_now(loop_));
  if (!bus_) return;
  const NodeStatus& s = status();
  emitManagerChanged(bus_.get(), {"CpuPercent", "CpuPercentPerCore", "MemAvailableMB",
                                  "OwnerCpuPercent", "BorrowedCpuPercent", "LendingBudgetCores"});
  BudgetShown budget{s.budget.offerCores, s.budget.thermalFactor, s.temperature_c.value_or(-1),
                     s.user, s.budget.summary};
  if (budget != lastBudget_) {
    lastBudget_ = budget;
    emitManagerChanged(bus_.get(), {"OfferCores", "ThermalFactor", "TemperatureC", "UserPresence",
                                    "BudgetSummary"});
  }
  // Peers' loads change with every beacon; one change signal per sample is plenty for a viewer.
  if (discovery_ && !discovery_->peers().peers().empty()) emitManagerChanged(bus_.get(), {"Peers"});
  if (s.power.mode != lastPower_.mode || s.power.willingness != lastPower_.willingness ||
      s.power.reason != lastPower_.reason) {
    lastPower_ = s.power;
    emitManagerChanged(bus_.get(), {"PowerMode", "Willingness", "PowerReason", "BatteryPercent"});
  }
}

void Node::notifyStatus() {
  std::string text = "STATUS=" + countOf(jobs_->active(), "job") + " active";
  if (text != lastStatus_) {
    lastStatus_ = text;
    sd_notify(0, text.c_str());
  }
}

}  // namespace vesta
