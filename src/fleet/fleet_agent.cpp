#include "fleet/fleet_agent.h"

#include <ctime>

#include "boot/credentials.h"
#include "common/log.h"
#include "engine/health.h"
#include "listener/poll_loop.h"
#include "listener/poller.h"

namespace gigent::fleet {

namespace {
constexpr const char* kPoller = listener::PollLoop::kStatusEntry;
}  // namespace

FleetAgent::FleetAgent(config::Config config, std::string backend_url, SharedParts shared)
    : config_(std::move(config)),
      backend_url_(std::move(backend_url)),
      shared_(std::move(shared)),
      paths_(engine::RuntimePaths::for_config(config_.path)),
      log_(log::get("engine")),
      state_file_(paths_.state) {}

FleetAgent::~FleetAgent() {
  stop_.cancel();
  heartbeat_stop_.cancel();
  // The lane waits for its orders; the processor they call goes after it.
  intake_.reset();
  reconciler_.reset();
  dispatcher_.reset();
  lane_.reset();
}

bool FleetAgent::failed() const {
  std::lock_guard lock(mutex_);
  return phase_ == "failed";
}

std::string FleetAgent::agent_id() const {
  std::lock_guard lock(mutex_);
  return agent_id_;
}

std::string FleetAgent::api_key() const {
  return endpoint_ && online_ ? client_->api_key() : std::string();
}

std::string FleetAgent::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

int FleetAgent::busy() const {
  return online_ ? lane_->busy() : 0;
}

void FleetAgent::set_phase(const std::string& phase, const std::string& error) {
  {
    std::lock_guard lock(mutex_);
    phase_ = phase;
    phase_since_ = std::chrono::system_clock::now();
    error_ = error;
  }
  write_state();
}

bool FleetAgent::start() {
  const log::AgentScope scope(name());
  set_phase("booting");
  switch (lock_.acquire(paths_.lock, config_.path, config_.runtime.allow_replicas)) {
    case engine::LockFile::Result::Acquired:
      break;
    case engine::LockFile::Result::HeldByAnother:
      set_phase("failed", "another gigent-runtime runs this config (see its lock " + paths_.lock + ")");
      return false;
    case engine::LockFile::Result::CannotOpen:
      set_phase("failed", "cannot open its lock file " + paths_.lock);
      return false;
  }
  const engine::BootOutcome outcome = engine::boot_agent(config_, backend_url_, paths_, stop_, &llm_counters_, booted_);
  if (outcome.exit_code != engine::kExitOk) {
    set_phase("failed", outcome.error);
    return false;
  }
  if (!booted_.provider) return false;  // stopped during boot
  {
    std::lock_guard lock(mutex_);
    agent_id_ = booted_.credentials.agent_id;
  }
  marketplace::Endpoint endpoint{backend_url_, booted_.credentials.api_key};
  endpoint.reload_key = boot::key_reloader(paths_.credentials, booted_.credentials.agent_id);
  endpoint_ = endpoint;
  client_ = std::make_unique<marketplace::MarketplaceClient>(endpoint, &stop_);
  heartbeat_ = std::make_unique<heartbeat::HeartbeatLoop>(marketplace::MarketplaceClient(endpoint, &heartbeat_stop_),
                                                          booted_.credentials.agent_id, heartbeat_interval(), status_);
  processor_ =
      std::make_unique<engine::OrderProcessor>(config_, booted_.credentials.agent_id, endpoint, *booted_.provider,
                                               *booted_.journal, *booted_.budget, counters_, shared_.hard_stop);
  lane_ = std::make_unique<engine::WorkerPool>(config_.runtime.max_concurrent_orders, shared_.workers);
  lane_->on_slot_free([slot_freed = shared_.slot_freed, path = config_.path] { slot_freed(path); });
  dispatcher_ = std::make_unique<engine::Dispatcher>(*lane_, *processor_, [this] {
    may_have_retries_ = true;
    shared_.state_changed(config_.path);
  });
  reconciler_ = std::make_unique<engine::Reconciler>(config_, booted_.credentials.agent_id, *client_, *booted_.journal,
                                                     *dispatcher_);
  intake_ = std::make_unique<engine::OrderIntake>(config_, *client_, *booted_.journal, *booted_.budget, *dispatcher_,
                                                  *reconciler_);
  // What the one-agent daemon's poll loop asks for, as one list when the
  // server takes several statuses at once.
  const std::string first = config_.runtime.auto_accept ? "pending" : "accepted";
  if (listener::Poller(*client_, booted_.credentials.agent_id).server_has_feature("order_status_list"))
    pass_statuses_ = {first + ",revision_requested"};
  else
    pass_statuses_ = {first, "revision_requested"};
  status_.expect_progress(kPoller, std::nullopt);  // the fleet's order watch waits for it
  if (config_.heartbeat.enabled) {
    std::lock_guard lock(mutex_);
    heartbeat_started_ = std::chrono::system_clock::now();
  }
  reconcile();
  online_ = true;
  set_phase("running");
  log_->info("online as \"{}\" ({}); {} worker slot(s) in the shared pool", name(), booted_.credentials.agent_id,
             config_.runtime.max_concurrent_orders);
  return true;
}

void FleetAgent::want(unsigned work_wanted) {
  if (!online_ || stop_.cancelled()) return;
  {
    std::lock_guard lock(work_mutex_);
    wanted_ |= work_wanted;
    if (queued_) return;
    queued_ = true;
  }
  shared_.io.post([self = shared_from_this()] { self->work(); });
}

// Runs the wanted steps until none is left; a request made meanwhile is run
// by this same call, so an agent's steps never overlap.
void FleetAgent::work() {
  const log::AgentScope scope(name());
  while (true) {
    unsigned now_wanted = 0;
    {
      std::lock_guard lock(work_mutex_);
      now_wanted = std::exchange(wanted_, 0U);
      if (now_wanted == 0 || stop_.cancelled()) {
        queued_ = false;
        return;
      }
    }
    try {
      if (now_wanted & kReconcile) reconcile();
      if (now_wanted & kPass) pass();
    } catch (const std::exception& e) {  // e.g. the journal cannot be read: the next tick tries again
      log_->error("{}", e.what());
      pass_failed_ = true;
    }
  }
}

void FleetAgent::reconcile() {
  try {
    reconciler_->run();
  } catch (const engine::JournalError& e) {
    log_->error("reconcile: {}", e.what());
  }
}

// One pass over the order list: take what is listed while this agent's lane
// and the shared pool have room.
void FleetAgent::pass() {
  starved_ = false;
  // Orders to resume (a dead replica's, or those the last reconcile found no
  // room for) go to the lane before new ones.
  if (reconciler_->due()) reconcile();
  for (const auto& statuses : pass_statuses_) {
    listener::OrderPages pages(*client_, booted_.credentials.agent_id, statuses, 0);
    int taken = 0;
    while (!pages.done() && !stop_.cancelled()) {
      if (!dispatcher_->has_free_worker()) {
        starved_ = true;
        return;
      }
      status_.set_state(kPoller, "polling");
      auto page = pages.next(taken);
      taken = 0;
      for (const auto& what : page.unreadable) log_->warn("skipping {}; the other orders are taken as usual", what);
      if (!page.ok) {
        const auto before = status_.get(kPoller);
        status_.record_failure(kPoller, page.error);
        log_->warn(failure_message("order list", page.error, std::chrono::seconds(15), before.last_success));
        status_.set_state(kPoller, "backing off");
        pass_failed_ = true;
        return;
      }
      status_.record_success(kPoller);
      listener::sort_by_deadline(page.orders);
      for (const auto& order : page.orders) {
        if (stop_.cancelled()) return;
        if (!dispatcher_->has_free_worker()) {
          starved_ = true;
          return;
        }
        switch (intake_->take(order)) {
          case listener::OrderSink::Taken::Yes:
            ++taken;
            break;
          case listener::OrderSink::Taken::No:
            break;
          case listener::OrderSink::Taken::Pause:  // the journal cannot be written: the next tick tries again
            pass_failed_ = true;
            status_.set_state(kPoller, "paused");
            return;
        }
      }
    }
  }
  pass_failed_ = false;
  status_.set_state(kPoller, "waiting for orders");
}

void FleetAgent::heartbeat() {
  if (!online_ || !heartbeat_) return;
  std::unique_lock lock(heartbeat_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // the previous one is still out (a slow backend)
  const log::AgentScope scope(name());
  try {
    heartbeat_->beat_once();
  } catch (const std::exception& e) {  // a heartbeat never takes the agent down
    status_.record_failure("heartbeat", e.what());
  }
  status_.set_state("heartbeat", "sleeping");
}

void FleetAgent::probe_journal() {
  engine::probe_journal(*booted_.journal, journal_probe_, mutex_);
}

void FleetAgent::tick(int full_every, int write_every) {
  if (!online_ || stop_.cancelled()) return;
  const log::AgentScope scope(name());
  unsigned work_wanted = pass_failed_ ? kPass : 0U;
  bool read_journal = false;
  if (++ticks_ % full_every == 0) {
    // A pass too: an order left pending (the day's budget, the acceptance
    // rule) is looked at again without a new order event.
    work_wanted |= kReconcile | kPass;
    probe_journal();
    read_journal = true;
  } else if (may_have_retries_.exchange(false)) {
    read_journal = true;
    try {
      const auto now = static_cast<long long>(std::time(nullptr));
      for (const auto& record : booted_.journal->in_states({engine::JobState::Failed})) {
        may_have_retries_ = true;  // look again next tick until none is left
        if (record.next_attempt_at <= now && !lane_->in_flight(record.order_id)) work_wanted |= kReconcile;
      }
    } catch (const std::exception& e) {
      may_have_retries_ = true;
      log_->error("journal: {}", e.what());
    }
  }
  if (work_wanted != 0) want(work_wanted);
  const bool write = ticks_ % write_every == 0;
  if (write) write_state();
  if (read_journal || write) rest();
}

nlohmann::json FleetAgent::snapshot() {
  std::string phase;
  std::string error;
  std::string agent_id;
  {
    std::lock_guard lock(mutex_);
    phase = phase_;
    error = error_;
    agent_id = agent_id_;
  }
  auto state =
      engine::agent_snapshot({config_, backend_url_, agent_id, phase, started_, status_, counters_, llm_counters_,
                              online_ ? lane_.get() : nullptr, booted_.journal.get(), booted_.budget.get()});
  if (!error.empty()) state["error"] = error;
  state["process"] = shared_.process_info();
  return state;
}

void FleetAgent::rest() {
  if (!online_ || lane_->busy() > 0) return;
  try {
    booted_.journal->release_memory();
  } catch (const std::exception& e) {
    log_->warn("journal: {}", e.what());
  }
}

void FleetAgent::write_state() {
  try {
    state_file_.write(snapshot());
  } catch (const std::exception& e) {
    log_->warn("cannot write {}: {}", paths_.state, e.what());
  }
}

HealthReport FleetAgent::health() {
  engine::HealthInputs in;
  in.now = std::chrono::system_clock::now();
  {
    std::lock_guard lock(mutex_);
    in.phase = phase_ == "failed" ? "booting" : phase_;
    in.phase_since = phase_since_;
    in.heartbeat_started = heartbeat_started_;
    in.journal = journal_probe_;
  }
  in.heartbeat_enabled = config_.heartbeat.enabled;
  in.heartbeat_interval = heartbeat_interval();
  in.heartbeat = status_.get("heartbeat");
  in.poller = status_.get(kPoller);
  return engine::evaluate_health(in);
}

void FleetAgent::stop_taking() {
  stop_.cancel();
}

bool FleetAgent::wait_idle(std::chrono::milliseconds timeout) {
  return !lane_ || lane_->wait_idle(timeout);
}

void FleetAgent::finish() {
  const bool was_online = online_.exchange(false);
  heartbeat_stop_.cancel();
  if (!failed()) set_phase("stopped");
  lock_.release();  // at once, not when the last step holding this agent lets go
  if (was_online)
    log_->info("\"{}\" stopped: {} delivered, {} failed attempts this run", name(), counters_.delivered.load(),
               counters_.failed.load());
}

bool FleetAgent::reload_key() {
  if (!endpoint_ || !endpoint_->reload_key) return false;
  const std::string fresh = endpoint_->reload_key();
  if (fresh.empty() || fresh == client_->api_key()) return false;
  client_->use_key(fresh);
  return true;
}

}  // namespace gigent::fleet
