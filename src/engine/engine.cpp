#include "engine/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <set>
#include <thread>

#include "boot/boot.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/secret.h"
#include "engine/journal.h"
#include "engine/order_processor.h"
#include "engine/worker_pool.h"
#include "executor/llm_provider.h"
#include "heartbeat/heartbeat.h"
#include "listener/poller.h"
#include "marketplace/retry.h"

namespace gigent::engine {

RuntimePaths RuntimePaths::for_config(const std::string& config_path) {
  auto dir = std::filesystem::absolute(config_path).parent_path();
  return {(dir / ".gigent-credentials").string(), (dir / ".gigent-journal.db").string(),
          (dir / ".gigent-state.json").string(), (dir / ".gigent-runtime.lock").string()};
}

std::string resolve_backend_url(const std::string& cli_url, const config::Config& config) {
  if (!cli_url.empty()) return cli_url;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read at start-up; nothing here calls setenv
  if (const char* env = std::getenv("GIGENT_API_URL"); env && *env) return env;
  if (!config.backend.url.empty()) return config.backend.url;
  return "http://localhost:3000";
}

struct Engine::Impl {
  config::Config config;
  RunOptions options;
  RuntimePaths paths;
  Cancellation shutdown;   // stop polling, drain
  Cancellation hard_stop;  // abandon in-flight work
  StatusRegistry status;
  Counters counters;
  std::string phase = "starting";
  std::mutex phase_mutex;
  std::string agent_id;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::unique_ptr<Journal> journal;
  std::unique_ptr<WorkerPool> pool;
  std::shared_ptr<spdlog::logger> log = log::get("engine");
  int lock_fd = -1;

  // Workers ask for a state-file write after each order; the writer thread
  // coalesces them, so a burst of orders costs one write, not one each.
  std::mutex state_request_mutex;
  // What the state file last said (without updated_at) and when it was
  // written: an idle daemon rewrote (and fsynced) an identical file every 2 s,
  // which was most of its idle CPU.
  std::mutex state_write_mutex;
  std::string state_last_written;
  std::chrono::steady_clock::time_point state_last_write_time;
  std::condition_variable state_requested_cv;
  bool state_requested = false;

  void request_state_write() {
    {
      std::lock_guard lock(state_request_mutex);
      state_requested = true;
    }
    state_requested_cv.notify_one();
  }
  void set_phase(const std::string& p) {
    {
      std::lock_guard lock(phase_mutex);
      phase = p;
    }
    write_state_file();  // `status` sees phase changes at once, not at the next tick
  }
  enum class LockResult { Acquired, HeldByAnother, CannotOpen };
  LockResult acquire_lock();
  void write_state_file();
  void state_file_loop(const Cancellation& stop);
  void reconcile(marketplace::MarketplaceClient& client, OrderProcessor& processor);
  void dispatch(OrderProcessor& processor, const nlohmann::json& order, std::chrono::microseconds claim_time);
  void poll_loop(marketplace::MarketplaceClient& client, OrderProcessor& processor, bool long_poll);
  int run();
};

Engine::Impl::LockResult Engine::Impl::acquire_lock() {
  lock_fd = ::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    // Not "already running": the directory is read-only, full or not ours.
    log->error(
        "cannot create the lock file {}: {}; the runtime keeps its lock, journal and credentials next to "
        "the config, so that directory must be writable",
        paths.lock, errno_text(errno));
    return LockResult::CannotOpen;
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    if (config.runtime.allow_replicas) return LockResult::Acquired;  // replicas share the config on purpose
    std::string holder = "another process";
    char buf[32] = {};
    if (::pread(lock_fd, buf, sizeof buf - 1, 0) > 0) holder = "pid " + std::string(buf);
    log->error(
        "another gigent-runtime ({}) is already running for {}; stop it first, or set "
        "runtime.allow_replicas: true to run several replicas on purpose",
        holder, config.path);
    return LockResult::HeldByAnother;
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(lock_fd, 0) == 0 && ::pwrite(lock_fd, pid.data(), pid.size(), 0) < 0) {
    // The pid in the lock file is only a hint for the error message above.
  }
  return LockResult::Acquired;
}

void Engine::Impl::write_state_file() {
  nlohmann::json state;
  {
    std::lock_guard lock(phase_mutex);
    state["phase"] = phase;
  }
  state["pid"] = ::getpid();
  state["started_at"] = iso8601(started);
  state["updated_at"] = iso8601(std::chrono::system_clock::now());
  state["config"] = config.path;
  state["backend_url"] = options.backend_url;
  state["agent_id"] = agent_id;
  state["agent_name"] = config.agent.name;
  state["max_concurrent_orders"] = config.runtime.max_concurrent_orders;
  state["loops"] = status.snapshot();
  state["counters"] = counters.to_json();
  state["in_flight"] = pool ? nlohmann::json(pool->in_flight_ids()) : nlohmann::json::array();
  nlohmann::json awaiting = nlohmann::json::array(), poison = nlohmann::json::array(),
                 retrying = nlohmann::json::array();
  if (journal) {
    try {
      for (auto& r : journal->in_states({JobState::AwaitingDelivery, JobState::Poison, JobState::Failed})) {
        nlohmann::json item = {{"order_id", r.order_id},
                               {"attempts", r.attempts},
                               {"last_error", r.last_error},
                               {"updated_at", r.updated_at}};
        if (r.state == JobState::AwaitingDelivery)
          awaiting.push_back(item);
        else if (r.state == JobState::Poison)
          poison.push_back(item);
        else
          retrying.push_back(item);
      }
    } catch (const std::exception& e) {
      log->warn("cannot read the journal for the state file: {}", e.what());
    }
  }
  state["awaiting_delivery"] = awaiting;
  state["failed_orders"] = poison;
  state["retrying_orders"] = retrying;
  std::lock_guard write_lock(state_write_mutex);
  nlohmann::json compared = state;
  compared.erase("updated_at");
  std::string content = compared.dump();
  auto now = std::chrono::steady_clock::now();
  if (content == state_last_written && now - state_last_write_time < std::chrono::seconds(60)) return;
  try {
    atomic_write_file(paths.state, state.dump(2) + "\n", 0644);
    state_last_written = std::move(content);
    state_last_write_time = now;
  } catch (const std::exception& e) {
    log->warn("cannot write the state file: {}", e.what());
  }
}

void Engine::Impl::state_file_loop(const Cancellation& stop) {
  while (!stop.cancelled()) {
    write_state_file();
    std::unique_lock lock(state_request_mutex);
    state_requested_cv.wait_for(lock, std::chrono::seconds(2), [&] { return state_requested || stop.cancelled(); });
    state_requested = false;
  }
}

void Engine::Impl::dispatch(OrderProcessor& processor, const nlohmann::json& order,
                            std::chrono::microseconds claim_time) {
  const std::string id = order.value("id", "");
  auto job = [this, &processor, order, claim_time] {
    processor.process(order, claim_time);
    request_state_write();  // `status` shows the finished order at once
  };
  if (!pool->try_submit(id, std::move(job))) log->debug("order {} not dispatched (in flight or no free worker)", id);
}

// Orders this agent accepted earlier but never delivered: after a crash, a
// failed LLM call or a lost delivery response. Also closes journal entries
// the backend already finished.
void Engine::Impl::reconcile(marketplace::MarketplaceClient& client, OrderProcessor& processor) {
  listener::Poller poller(client, agent_id, status);
  long long now = static_cast<long long>(std::time(nullptr));
  std::set<std::string> open_on_backend;
  for (const char* st : {"accepted", "in_progress"}) {
    auto found = poller.fetch(st, 0);
    if (!found.ok) {
      log->warn("reconcile: cannot list {} orders: {}", st, found.error);
      return;
    }
    for (const auto& order : found.orders) {
      std::string id = order.value("id", "");
      open_on_backend.insert(id);
      if (pool->in_flight(id)) continue;
      auto record = journal->get(id);
      // With replicas, an order without a journal entry here belongs to another
      // replica, and so does one whose record a live replica wrote last.
      if (!record && config.runtime.allow_replicas) continue;
      if (record && config.runtime.allow_replicas && held_by_another_live_process(*record)) continue;
      if (record && (record->state == JobState::Poison || record->state == JobState::AwaitingDelivery ||
                     record->state == JobState::Delivered || record->state == JobState::Closed))
        continue;
      if (record && record->next_attempt_at > now) continue;
      if (pool->busy() >= pool->size()) return;
      log->info("resuming order {} ({}{})", id, st,
                record && record->state == JobState::ResultReady ? ", result already saved" : "");
      auto claim_start = std::chrono::steady_clock::now();
      if (std::string(st) == "accepted" && !processor.claim(client, order)) continue;
      dispatch(processor, order,
               std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - claim_start));
    }
  }
  for (auto& record :
       journal->in_states({JobState::Claimed, JobState::Started, JobState::ResultReady, JobState::Failed})) {
    if (open_on_backend.count(record.order_id) || pool->in_flight(record.order_id)) continue;
    auto current = client.get_order(record.order_id);
    if (!current.ok()) continue;
    std::string st = marketplace::string_field(current.body, "status");
    if (st == "delivered" || st == "completed" || st == "revision_requested" || st == "disputed" || st == "resolved") {
      record.state = JobState::Delivered;
    } else if (st == "cancelled" || st == "rejected") {
      record.state = JobState::Closed;
    } else if (st == "pending") {
      journal->forget(record.order_id);  // never accepted: the poller will see it again
      continue;
    } else {
      continue;
    }
    journal->put(record);
    log->info("order {} is {} on the backend; closed in the journal", record.order_id, st);
  }
}

// Often enough that a failed delivery (retried 30 s later) or a failed LLM
// call is picked up again close to its time; cheap: two list calls.
constexpr std::chrono::seconds kReconcileInterval{15};

void Engine::Impl::poll_loop(marketplace::MarketplaceClient& client, OrderProcessor& processor, bool long_poll) {
  listener::Poller poller(client, agent_id, status);
  const auto interval = std::chrono::seconds(config.runtime.poll_interval_seconds);
  const std::string wanted = config.runtime.auto_accept ? "pending" : "accepted";
  auto last_reconcile = std::chrono::steady_clock::now();
  int failures = 0;
  std::deque<nlohmann::json> backlog;
  while (!shutdown.cancelled()) {
    pool->wait_for_free_slot([this] { return shutdown.cancelled(); });
    if (shutdown.cancelled()) break;
    if (std::chrono::steady_clock::now() - last_reconcile > kReconcileInterval) {
      try {
        reconcile(client, processor);
      } catch (const std::exception& e) {  // e.g. a full disk: try again at the next round
        log->error("reconcile: {}", e.what());
      }
      last_reconcile = std::chrono::steady_clock::now();
    }
    // Orders listed earlier but not taken yet because every worker was busy
    // are taken first (oldest first) before the list is fetched again: with a
    // deep queue, fetching every page of pending orders each time one worker
    // freed up was what limited throughput. A listed order another party took
    // meanwhile fails its accept and is skipped quietly, as on a fresh list.
    if (backlog.empty()) {
      auto result = poller.fetch(wanted, long_poll ? config.runtime.long_poll_seconds : 0);
      if (shutdown.cancelled()) break;
      if (!result.ok) {
        auto before = status.get("poller");
        auto delay = marketplace::backoff_delay(
            {-1, std::chrono::seconds(1), std::max<std::chrono::milliseconds>(interval, std::chrono::seconds(30))},
            failures++);
        log->warn(failure_message("poll", result.error, delay, before.last_success));
        status.set_state("poller", "backing off");
        if (!shutdown.wait_for(delay)) break;
        continue;
      }
      if (failures > 0) log->info("poll recovered after {} failure(s)", failures);
      failures = 0;
      backlog.assign(std::make_move_iterator(result.orders.begin()), std::make_move_iterator(result.orders.end()));
    }
    const bool listed = !backlog.empty();
    int dispatched = 0;
    while (!backlog.empty()) {
      if (shutdown.cancelled() || pool->busy() >= pool->size()) break;
      nlohmann::json order = std::move(backlog.front());
      backlog.pop_front();
      std::string id = order.value("id", "");
      if (pool->in_flight(id)) continue;
      auto claim_start = std::chrono::steady_clock::now();
      try {
        auto record = journal->get(id);
        if (record && record->state == JobState::Poison) continue;
        if (!processor.claim(client, order)) continue;
      } catch (const JournalError& e) {
        // Nothing was sent to the backend before the journal write failed:
        // the order stays pending and is taken once the journal is writable.
        log->error("order {}: cannot record it in the journal ({}); not taking orders until it is writable", id,
                   e.what());
        backlog.clear();  // listed again after the pause below
        break;
      } catch (const std::exception& e) {
        log->error("order {}: skipped: {}", id, e.what());
        continue;
      }
      dispatch(processor, order,
               std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - claim_start));
      dispatched++;
    }
    // Every worker busy with orders still listed: wait for a free one (top of the loop).
    if (!backlog.empty() && !shutdown.cancelled()) continue;
    // With long-poll the server already waited for work; loop at once unless
    // the list held only orders we cannot take, which would spin.
    bool spin_risk = listed && dispatched == 0 && pool->busy() < pool->size();
    if (long_poll && !spin_risk) continue;
    if (!long_poll && dispatched > 0 && pool->busy() < pool->size()) continue;  // more may be waiting
    status.set_state("poller", "sleeping");
    if (!shutdown.wait_for(jittered(std::chrono::duration_cast<std::chrono::milliseconds>(interval), 0.1))) break;
  }
  status.set_state("poller", "stopped");
}

int Engine::Impl::run() {
  switch (acquire_lock()) {
    case LockResult::Acquired:
      break;
    case LockResult::HeldByAnother:
      return kExitAlreadyRunning;
    case LockResult::CannotOpen:
      return kExitBootFailed;
  }
  Cancellation state_stop;
  std::thread state_writer([this, &state_stop] { state_file_loop(state_stop); });
  struct StopStateWriter {
    Cancellation& stop;
    std::thread& thread;
    Impl& impl;
    ~StopStateWriter() {
      stop.cancel();
      impl.request_state_write();  // wakes the writer at once
      thread.join();
      impl.set_phase("stopped");
      impl.write_state_file();
    }
  } stop_state_writer{state_stop, state_writer, *this};

  set_phase("booting");
  if (config.owner.wallet == "0x0000000000000000000000000000000000000001")
    log->warn("owner.wallet is still the template's placeholder; set your own wallet before going live");
  // The journal first: a directory where it cannot live cannot keep new
  // credentials either, and registering an agent whose key is then lost would
  // orphan it.
  try {
    journal = std::make_unique<Journal>(paths.journal);
  } catch (const JournalError& e) {
    if (e.complete())
      log->error("{}", e.what());
    else
      log->error("{}; the runtime needs it to never lose or repeat work. Check free space and permissions of {}",
                 e.what(), std::filesystem::path(paths.journal).parent_path().string());
    return kExitBootFailed;
  }
  // The provider before registering: a missing key is the operator's to fix
  // before this agent appears on the marketplace.
  std::unique_ptr<executor::LlmProvider> provider;
  try {
    provider = executor::make_provider(config.execution);
  } catch (const std::exception& e) {
    log->error("cannot set up the LLM provider: {}", e.what());
    return kExitBadConfig;
  }
  boot::Credentials creds;
  try {
    creds = boot::ensure_registered(config, options.backend_url, paths.credentials, shutdown);
    agent_id = creds.agent_id;
    marketplace::MarketplaceClient client({options.backend_url, creds.api_key}, &shutdown);
    auto agent_row = boot::verify_agent(client, creds, shutdown);
    boot::sync_profile(config, client, agent_id, agent_row, shutdown);
    auto report = boot::publish_gigs(config, client, agent_id, shutdown);
    log->info("gigs: {} published, {} updated, {} unchanged, {} paused, {} re-activated, {} left paused",
              report.created, report.updated, report.unchanged, report.paused, report.reactivated, report.left_paused);
  } catch (const boot::BootError& e) {
    if (shutdown.cancelled()) return kExitOk;
    log->error("{}", e.what());
    return e.exit_code();
  } catch (const boot::CredentialsError& e) {
    log->error("{}", e.what());
    return kExitBootFailed;
  }

  // Every client re-reads .gigent-credentials on a 401, so a key changed by
  // `gigent-runtime rotate-key` is picked up without a restart.
  marketplace::Endpoint endpoint{options.backend_url, creds.api_key};
  endpoint.reload_key = boot::key_reloader(paths.credentials, creds.agent_id);

  Cancellation heartbeat_stop;
  std::thread heartbeat_thread;
  if (config.heartbeat.enabled) {
    heartbeat_thread = std::thread([&] {
      heartbeat::HeartbeatLoop loop({endpoint, &heartbeat_stop}, agent_id,
                                    std::chrono::seconds(config.heartbeat.interval_seconds), status);
      loop.run(heartbeat_stop);
    });
  }

  marketplace::MarketplaceClient client(endpoint, &shutdown);
  pool = std::make_unique<WorkerPool>(config.runtime.max_concurrent_orders);
  OrderProcessor processor(config, agent_id, endpoint, *provider, *journal, counters, hard_stop);
  listener::Poller probe(client, agent_id, status);
  bool long_poll = config.runtime.long_poll_seconds > 0 && probe.server_supports_long_poll();
  try {
    reconcile(client, processor);
  } catch (const JournalError& e) {
    log->error("reconcile: {}", e.what());
  }
  set_phase("running");
  log->info("Agent is online and ready: \"{}\" ({}) on {}; {} worker(s); {}; LLM {} {}", config.agent.name, agent_id,
            options.backend_url, config.runtime.max_concurrent_orders,
            long_poll ? "long-poll order pickup"
                      : "polling every " + std::to_string(config.runtime.poll_interval_seconds) + " s",
            provider->name(), config.execution.model);

  int exit_code = kExitOk;
  try {
    poll_loop(client, processor, long_poll);
  } catch (const std::exception& e) {
    log->error("poll loop stopped: {}", e.what());
    exit_code = kExitFailure;
    shutdown.cancel();
  }

  set_phase("draining");
  int busy = pool->busy();
  if (busy > 0)
    log->info("shutting down: waiting up to {} s for {} order(s) in flight (send the signal again to stop now)",
              config.runtime.shutdown_grace_seconds, busy);
  if (!pool->wait_idle(std::chrono::seconds(config.runtime.shutdown_grace_seconds))) {
    log->warn("grace period over: interrupting {} order(s); they resume at the next start", pool->busy());
    hard_stop.cancel();
    pool->wait_idle(std::chrono::seconds(10));
  }
  pool.reset();
  heartbeat_stop.cancel();
  if (heartbeat_thread.joinable()) heartbeat_thread.join();
  log->info("stopped: {} delivered, {} failed attempts this run", counters.delivered.load(), counters.failed.load());
  return exit_code;
}

Engine::Engine(config::Config config, RunOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->options = std::move(options);
  impl_->paths = RuntimePaths::for_config(impl_->config.path);
}

Engine::~Engine() {
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
}

int Engine::run() {
  return impl_->run();
}
void Engine::request_stop() {
  impl_->shutdown.cancel();
}
void Engine::force_stop() {
  impl_->shutdown.cancel();
  impl_->hard_stop.cancel();
}

}  // namespace gigent::engine
