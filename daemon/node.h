// One vestad: owns the loop's handles, the measurement, the jobs and the bus connection, and
// wires them together. Everything here runs on the loop thread.
#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include <deque>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "bus.h"
#include "cluster.h"
#include "config.h"
#include "coordinator.h"
#include "discovery.h"
#include "exec_client.h"
#include "exec_runner.h"
#include "executor.h"
#include "identity.h"
#include "job_callers.h"
#include "jobs.h"
#include "ledger_store.h"
#include "lender.h"
#include "links.h"
#include "logind_watch.h"
#include "owner_first.h"
#include "placement.h"
#include "result.h"
#include "router.h"
#include "sampler.h"
#include "stress.h"
#include "uvpp.h"

namespace vesta {

class Node {
 public:
  Node(uv_loop_t* loop, Config config, Identity identity, std::string stateDir);
  ~Node();

  // Connects to the bus, registers the objects, asks for the names and starts measuring.
  // Sends READY=1 once the node's own bus name is owned.
  Result<void> start();
  // Cancels jobs, stops threads and closes every handle so the loop can end. Idempotent.
  void shutdown(const std::string& why);
  // Exit status for main: 0 after a clean stop, 1 after a fatal error.
  int exitCode() const { return exitCode_; }

  // For the bus interface files.
  const Config& config() const { return config_; }
  const Identity& identity() const { return identity_; }
  const NodeStatus& status() const { return sampler_.status(); }
  const std::string& stateDir() const { return stateDir_; }
  JobTable& jobs() { return *jobs_; }
  const JobTable& jobs() const { return *jobs_; }
  unsigned workers() const { return executor_ ? executor_->workers() : 0; }
  unsigned stressCores() const { return stress_.cores(); }
  sd_bus* bus() const { return bus_.get(); }
  const Discovery* discovery() const { return discovery_.get(); }
  const Links* links() const { return links_.get(); }
  // This node's status as its beacons carry it.
  NodeSnapshot snapshot() const { return cluster_.snapshot(); }
  // Milliseconds from a loop timestamp (uv_now) to now.
  uint64_t millisSince(uint64_t loopMs) const {
    uint64_t now = uv_now(loop_);
    return now > loopMs ? now - loopMs : 0;
  }

  Result<Job*> submitCpu(uint64_t millions, const std::string& seedHex,
                         const PlacementRequest& how);
  Result<Job*> submitMem(uint64_t mb, uint64_t holdMs, const PlacementRequest& how);
  Result<Job*> submitExec(ExecClient::Request request);
  // This node's consent to exec jobs.
  ExecPolicy execPolicy() const { return cluster_.execPolicy(); }
  // Cancels exec job `job` when the bus client that sent `call` disconnects.
  void watchSubmitter(uint64_t job, sd_bus_message* call);
  // Work moving between this node and its peers now: lending first, then borrowing.
  std::vector<Flow> flows() const { return router_ ? router_->flows() : std::vector<Flow>{}; }
  const LedgerStore* ledger() const { return ledger_.get(); }
  // A peer's name from the peer table, or its fingerprint when unknown.
  std::string peerName(const std::string& fingerprint) const {
    return cluster_.peerName(fingerprint);
  }
  Result<void> startStress(unsigned cores, unsigned seconds);
  void stopStress();

 private:
  void onJobChange(const Job& job, JobChange change);
  void onSample();
  void startDiscovery();
  void onRootKey(Result<Key> root);
  void onPeerEvents(const std::vector<PeerEvent>& events);
  void onLinkChange(const std::string& fingerprint, bool up);
  void onWorkFrame(const std::string& fingerprint, const Frame& frame);
  // A frame to `fingerprint`: over its link, or for "" (this node's own engines) through the
  // loopback queue, delivered on the next loop iteration (never inside the sender's call) and in
  // order, so this node's own work takes the same path as a peer's.
  bool send(const std::string& fingerprint, const Frame& frame);
  void deliverLocal();
  MemInfo freshMeminfo() const;
  void onProgressTick();
  void ledgerChanged();
  void jobCountChanged();  // JobsActive and the status line, coalesced
  void maybeReady();
  void onNameReply(sd_bus_message* reply, bool nodeName);
  void fatal(const std::string& message);
  void closeBus();
  void updateProgressTimer();
  void notifyStatus();
  static int nameReplyHandler(sd_bus_message* m, void* userdata, sd_bus_error* error);
  static int clientGoneHandler(sd_bus_message* m, void* userdata, sd_bus_error* error);

  uv_loop_t* loop_;
  Config config_;
  Identity identity_;
  std::string stateDir_;
  Sampler sampler_;
  std::unique_ptr<Executor> executor_;  // made in start(), sized by the measured core count
  std::unique_ptr<JobTable> jobs_;
  std::unique_ptr<Coordinator> coordinator_;    // our jobs, wherever they run
  std::unique_ptr<Lender> lender_;              // peers' work running here
  std::unique_ptr<LedgerStore> ledger_;         // what we lent to and borrowed from each peer
  std::unique_ptr<ExecClient> execClient_;      // our exec jobs, wherever they run
  std::unique_ptr<ExecRunner> execRunner_;      // exec jobs running here, ours and peers'
  std::unique_ptr<OwnerFirst> ownerFirst_;      // the budget enforced on running work
  Cluster cluster_;                             // placement's inputs, peers' exec policies
  std::unique_ptr<Router> router_;              // frames to engines by type; the fan-outs
  std::deque<Frame> localFrames_;               // the loopback queue
  std::map<uint64_t, std::string> submitters_;  // exec jobs' submitters' unique names, by job
  bool hadFlows_ = false;
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<Links> links_;
  bool nameOwned_ = false, socketsBound_ = false;
  Stress stress_;
  uv::Signal sigterm_, sigint_;
  uv::Timer progressTimer_;  // ticks the engines while work is active
  uv::Timer watchdogTimer_;  // systemd's watchdog
  uv::Timer closeTimer_;     // closes the bus on a fresh loop iteration after shutdown
  uv::Timer ledgerTimer_;    // at most one Ledger change signal a second
  uv::Timer jobCountTimer_;  // at most one JobsActive signal (and STATUS=) per kJobCountSignalMs
  // Delivers localFrames_, one batch per loop iteration. Not a 0 ms timer: libuv 1.44 runs a
  // timer re-armed in its own callback again in the same pass, so a local --put of gigabytes
  // went through frame by frame without the loop ever polling D-Bus or the links.
  uv::Async localWake_;
  JobCallers jobCallers_;
  bool ledgerSignalPending_ = false;
  bool jobCountPending_ = false;
  BusPtr bus_;
  std::unique_ptr<BusLoop> busLoop_;
  // Our registrations on the bus, dropped in closeBus().
  struct BusSlots {
    sd_bus_slot* manager = nullptr;
    sd_bus_slot* jobVtable = nullptr;
    sd_bus_slot* jobEnumerator = nullptr;
    sd_bus_slot* objectManager = nullptr;
    sd_bus_slot* clientsGone = nullptr;  // the match on clients' disconnections
    sd_bus_slot* jobCallers = nullptr;   // the filter refusing peers' jobs' method calls
    sd_bus_slot* nodeName = nullptr;     // the name request for vestad's own per-node name
    sd_bus_slot* sharedName = nullptr;   // the name request for the shared, queued name
  } slots_;
  bool stopping_ = false;
  bool progressTimerRunning_ = false;
  int exitCode_ = 0;
  std::string lastStatus_;
  PowerDecision lastPower_;
  // The owner first: logind's idle hints (the in-use rule), and the budget's slow-changing
  // properties as last signalled (the loads are signalled every sample, like CpuPercent).
  std::unique_ptr<LogindWatch> logind_;
  struct BudgetShown {
    double offerCores = -1, thermalFactor = -1, temperatureC = -2;
    UserPresence user = UserPresence::Unknown;
    std::string summary;
    bool operator==(const BudgetShown&) const = default;
  } lastBudget_;
};

// Bus interfaces (one file each). Register return a negative errno on failure.
int registerManagerInterface(sd_bus* bus, Node& node, sd_bus_slot** slot);
int execMethodHandler(sd_bus_message* m, void* userdata, sd_bus_error* error);  // Manager.Exec
int registerJobObjects(sd_bus* bus, Node& node, sd_bus_slot** vtableSlot,
                       sd_bus_slot** enumeratorSlot);
std::string jobPath(uint64_t id);
// Signals and property changes for jobs and the manager.
void emitJobChange(sd_bus* bus, const Job& job, JobChange change);
void emitManagerChanged(sd_bus* bus, std::initializer_list<const char*> properties);
// `linkUp`: whether the peer's link is up now, for the state shown (shownPeerState).
void emitPeerEvent(sd_bus* bus, const PeerEvent& event, bool linkUp);

}  // namespace vesta
