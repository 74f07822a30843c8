#include "engine/engine.h"

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "boot/boot.h"
#include "common/log.h"
#include "common/service_notify.h"
#include "common/time_format.h"
#include "config/paths.h"
#include "engine/agent_boot.h"
#include "engine/budget.h"
#include "engine/dispatcher.h"
#include "engine/health.h"
#include "engine/intake.h"
#include "engine/journal.h"
#include "engine/lock_file.h"
#include "engine/order_processor.h"
#include "engine/reconcile.h"
#include "engine/service_monitor.h"
#include "engine/state_file.h"
#include "engine/worker_pool.h"
#include "executor/llm_counters.h"
#include "executor/llm_provider.h"
#include "heartbeat/heartbeat.h"
#include "listener/poll_loop.h"
#include "listener/poller.h"
#include "metrics/metrics.h"
#include "metrics/runtime_metrics.h"
#include "observability/endpoint.h"

namespace gigent::engine {

RuntimePaths RuntimePaths::for_config(const std::string& config_path) {
  const std::filesystem::path dir = config::state_dir_for(config_path);
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

namespace {
// Often enough that a failed delivery (retried 30 s later) or a failed LLM
// call is picked up again close to its time; cheap: two list calls.
constexpr std::chrono::seconds kReconcileInterval{15};

// What boot leaves for serving orders.
struct Booted {
  boot::Credentials credentials;
  std::unique_ptr<executor::LlmProvider> provider;
};
}  // namespace

struct Engine::Impl {
  config::Config config;
  RunOptions options;
  RuntimePaths paths;
  Cancellation shutdown;   // stop polling, drain
  Cancellation hard_stop;  // abandon in-flight work
  StatusRegistry status;
  Counters counters;
  // Which provider answered, retries by reason, fallbacks: for the state
  // file (status --json) and the metrics endpoint.
  executor::LlmCounters llm_counters;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  std::shared_ptr<spdlog::logger> log = log::get("engine");
  LockFile lock;
  std::unique_ptr<StateFile> state_file;
  std::unique_ptr<Journal> journal;
  std::unique_ptr<Budget> budget;  // over the journal; made with it
  // The budget for the /metrics scrape hook, which runs on the endpoint's
  // thread from before boot: set once the budget exists, never unset.
  std::atomic<Budget*> budget_for_metrics{nullptr};
  std::string agent_id;  // set by boot, before any thread that reads it starts
  std::mutex phase_mutex;
  std::string phase = "starting";
  std::chrono::system_clock::time_point phase_since = started;
  std::optional<std::chrono::system_clock::time_point> heartbeat_started;  // guarded by phase_mutex
  std::mutex probe_mutex;
  JournalProbe journal_probe;
  // Set (under writer_mutex) only while serving orders; workers ask it for a
  // write after each order and may still do so while it is being stopped.
  std::mutex writer_mutex;
  std::unique_ptr<StateFileWriter> writer;
  std::atomic<bool> thread_failed{false};
  // Declared after everything its handlers read, so it stops before they go.
  std::unique_ptr<observability::Endpoint> operator_endpoint;
  int scrape_hook = 0;

  int run();
  bool start_endpoint();
  HealthReport health();
  void probe_journal();
  std::unique_ptr<ServiceMonitor> start_monitor(const WorkerPool& pool);
  int boot(std::optional<Booted>& booted);
  int serve(Booted& booted);
  void poll(marketplace::MarketplaceClient& client, OrderIntake& intake, bool long_poll);
  void drain(WorkerPool& pool);
  void log_online(const Booted& booted, bool long_poll);

  nlohmann::json snapshot(const WorkerPool* pool);
  void set_phase(const std::string& p, const WorkerPool* pool = nullptr);
  void request_state_write();
  void start_state_writer(const WorkerPool& pool);
  void stop_state_writer();
  void on_thread_failure(const std::string& what);
};

// One consistent picture for `status`: called by the writer thread while the
// pool exists, and by the main thread before and after.
nlohmann::json Engine::Impl::snapshot(const WorkerPool* pool) {
  std::string current_phase;
  {
    std::lock_guard lock_phase(phase_mutex);
    current_phase = phase;
  }
  return agent_snapshot({config, options.backend_url, agent_id, current_phase, started, status, counters, llm_counters,
                         pool, journal.get(), budget.get()});
}

void Engine::Impl::set_phase(const std::string& p, const WorkerPool* pool) {
  {
    std::lock_guard lock_phase(phase_mutex);
    phase = p;
    phase_since = std::chrono::system_clock::now();
  }
  state_file->write(snapshot(pool));  // `status` sees phase changes at once, not at the next tick
}

void Engine::Impl::request_state_write() {
  std::lock_guard lock_writer(writer_mutex);
  if (writer) writer->request();
}

void Engine::Impl::start_state_writer(const WorkerPool& pool) {
  auto started_writer = std::make_unique<StateFileWriter>(*state_file, [this, &pool] { return snapshot(&pool); });
  std::lock_guard lock_writer(writer_mutex);
  writer = std::move(started_writer);
}

void Engine::Impl::stop_state_writer() {
  std::unique_ptr<StateFileWriter> stopping;
  {
    std::lock_guard lock_writer(writer_mutex);
    stopping = std::move(writer);
  }
  stopping.reset();  // joins, outside the lock workers take
}

// A background thread failed: the daemon stops as for a signal and exits 1.
void Engine::Impl::on_thread_failure(const std::string& what) {
  log->error("stopping: {}", what);
  thread_failed = true;
  shutdown.cancel();
}

int Engine::Impl::run() {
  switch (lock.acquire(paths.lock, config.path, config.runtime.allow_replicas)) {
    case LockFile::Result::Acquired:
      break;
    case LockFile::Result::HeldByAnother:
      return kExitAlreadyRunning;
    case LockFile::Result::CannotOpen:
      return kExitBootFailed;
  }
  state_file = std::make_unique<StateFile>(paths.state);
  if (!start_endpoint()) return kExitBootFailed;
  int code = kExitFailure;
  try {
    set_phase("booting");
    std::optional<Booted> booted;
    code = boot(booted);
    if (booted) code = serve(*booted);
  } catch (const std::exception& e) {
    log->error("stopped by an unexpected error: {}", e.what());
    code = kExitFailure;
  }
  set_phase("stopped");
  if (scrape_hook != 0) metrics::remove_scrape_hook(scrape_hook);
  return code;
}

// Before boot, so that an address in use stops the daemon before it registers
// anything, and /healthz answers (503, booting) while boot waits for the backend.
bool Engine::Impl::start_endpoint() {
  if (options.listen.empty()) return true;
  std::string error;
  operator_endpoint = observability::start_endpoint(
      options.listen, observability::Sources{[this] { return health(); }, options.status_json}, error);
  if (!operator_endpoint) {
    log->error(
        "cannot serve /healthz and /metrics on {}: {}; choose a free address in observability.listen (or "
        "--listen), or leave it empty",
        options.listen, error);
    return false;
  }
  scrape_hook = metrics::add_scrape_hook([this] {
    for (const auto& check : health().checks) metrics::set_health_check(check.name, check.ok);
    if (Budget* spent = budget_for_metrics.load()) {
      try {
        metrics::runtime_metrics().budget_tokens_used_today.Set(spent->today()["tokens"].get<double>());
      } catch (const std::exception&) {
        // The journal cannot be read now: the gauge keeps its last value and
        // the journal health check says why.
      }
    }
  });
  log->info("serving /healthz, /metrics and /status on {} (port {})", options.listen, operator_endpoint->port());
  return true;
}

HealthReport Engine::Impl::health() {
  HealthInputs in;
  in.now = std::chrono::system_clock::now();
  {
    std::lock_guard lock_phase(phase_mutex);
    in.phase = phase;
    in.phase_since = phase_since;
    in.heartbeat_started = heartbeat_started;
  }
  in.heartbeat_enabled = config.heartbeat.enabled;
  in.heartbeat_interval = std::chrono::seconds(config.heartbeat.interval_seconds);
  in.heartbeat = status.get("heartbeat");
  in.poller = status.get(listener::PollLoop::kStatusEntry);
  {
    std::lock_guard lock(probe_mutex);
    in.journal = journal_probe;
  }
  return evaluate_health(in);
}

void Engine::Impl::probe_journal() {
  engine::probe_journal(*journal, journal_probe, probe_mutex);
}

std::unique_ptr<ServiceMonitor> Engine::Impl::start_monitor(const WorkerPool& pool) {
  MonitorHooks hooks;
  hooks.probe_journal = [this] { probe_journal(); };
  hooks.health = [this] { return health(); };
  hooks.activity = [this, &pool] {
    return fmt::format("taking orders: {} in flight, {} delivered, {} given up", pool.busy(), counters.delivered.load(),
                       counters.poison.load());
  };
  hooks.draining = [this] {
    std::lock_guard lock_phase(phase_mutex);
    return phase == "draining";
  };
  return std::make_unique<ServiceMonitor>(std::move(hooks));
}

// Boot steps 1-6 (engine/agent_boot.cpp). Fills `booted` on success;
// otherwise returns the exit code.
int Engine::Impl::boot(std::optional<Booted>& booted) {
  BootedAgent agent;
  const BootOutcome outcome = boot_agent(config, options.backend_url, paths, shutdown, &llm_counters, agent);
  journal = std::move(agent.journal);
  budget = std::move(agent.budget);
  budget_for_metrics = budget.get();
  if (outcome.exit_code != kExitOk || !agent.provider) return outcome.exit_code;
  agent_id = agent.credentials.agent_id;
  booted = Booted{std::move(agent.credentials), std::move(agent.provider)};
  return kExitOk;
}

// Heartbeat, reconcile, poll → execute → deliver, then the drain. Objects are
// declared so that each is destroyed after everything that uses it: the
// state writer stops first, the pool's workers are joined before the
// processor they call, and the heartbeat goes on until the very end.
int Engine::Impl::serve(Booted& booted) {
  // Every client re-reads .gigent-credentials on a 401, so a key changed by
  // `gigent-runtime rotate-key` is picked up without a restart.
  marketplace::Endpoint endpoint{options.backend_url, booted.credentials.api_key};
  endpoint.reload_key = boot::key_reloader(paths.credentials, booted.credentials.agent_id);
  std::optional<heartbeat::HeartbeatThread> heartbeat;
  if (config.heartbeat.enabled) {
    heartbeat.emplace(endpoint, agent_id, std::chrono::seconds(config.heartbeat.interval_seconds), status,
                      [this](const std::string& what) { on_thread_failure(what); });
    std::lock_guard lock_phase(phase_mutex);
    heartbeat_started = std::chrono::system_clock::now();
  }
  marketplace::MarketplaceClient client(endpoint, &shutdown);
  OrderProcessor processor(config, agent_id, endpoint, *booted.provider, *journal, *budget, counters, hard_stop);
  WorkerPool pool(config.runtime.max_concurrent_orders);
  Dispatcher dispatcher(pool, processor, [this] { request_state_write(); });
  Reconciler reconciler(config, agent_id, client, *journal, dispatcher);
  OrderIntake intake(config, client, *journal, *budget, dispatcher, reconciler);

  bool long_poll =
      config.runtime.long_poll_seconds > 0 && listener::Poller(client, agent_id).server_supports_long_poll();
  try {
    reconciler.run();
  } catch (const JournalError& e) {
    log->error("reconcile: {}", e.what());
  }
  set_phase("running", &pool);
  start_state_writer(pool);
  struct StopWriter {  // also when something below throws: the writer reads `pool`
    Impl& impl;
    ~StopWriter() { impl.stop_state_writer(); }
  } stop_writer{*this};
  log_online(booted, long_poll);
  auto monitor = start_monitor(pool);  // stops after the drain, before the pool goes

  int exit_code = kExitOk;
  try {
    poll(client, intake, long_poll);
  } catch (const std::exception& e) {
    log->error("poll loop stopped: {}", e.what());
    exit_code = kExitFailure;
    shutdown.cancel();
  }
  drain(pool);
  if (thread_failed) exit_code = kExitFailure;
  log->info("stopped: {} delivered, {} failed attempts this run", counters.delivered.load(), counters.failed.load());
  return exit_code;
}

void Engine::Impl::log_online(const Booted& booted, bool long_poll) {
  log->info("Agent is online and ready: \"{}\" ({}) on {}; {} worker(s); {}; LLM {} {}", config.agent.name, agent_id,
            options.backend_url, config.runtime.max_concurrent_orders,
            long_poll ? "long-poll order pickup"
                      : "polling every " + std::to_string(config.runtime.poll_interval_seconds) + " s",
            booted.provider->name(), config.execution.model);
  service::notify_ready("online as \"" + config.agent.name + "\", taking orders");
}

void Engine::Impl::poll(marketplace::MarketplaceClient& client, OrderIntake& intake, bool long_poll) {
  listener::PollOptions options;
  options.order_status = config.runtime.auto_accept ? "pending" : "accepted";
  // A buyer's revision request is taken as a new order is.
  options.more_statuses = {"revision_requested"};
  options.status_lists = listener::Poller(client, agent_id).server_has_feature("order_status_list");
  options.interval = std::chrono::seconds(config.runtime.poll_interval_seconds);
  options.long_poll_seconds = long_poll ? config.runtime.long_poll_seconds : 0;
  options.housekeeping_interval = kReconcileInterval;
  listener::PollLoop(client, agent_id, intake, status, options).run(shutdown);
}

void Engine::Impl::drain(WorkerPool& pool) {
  set_phase("draining", &pool);
  int busy = pool.busy();
  service::notify_stopping("draining: " + std::to_string(busy) + " order(s) in flight");
  if (busy > 0)
    log->info("shutting down: waiting up to {} s for {} order(s) in flight (send the signal again to stop now)",
              config.runtime.shutdown_grace_seconds, busy);
  if (!pool.wait_idle(std::chrono::seconds(config.runtime.shutdown_grace_seconds))) {
    log->warn("grace period over: interrupting {} order(s); they resume at the next start", pool.busy());
    hard_stop.cancel();
    pool.wait_idle(std::chrono::seconds(10));
  }
}

Engine::Engine(config::Config config, RunOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->options = std::move(options);
  impl_->paths = RuntimePaths::for_config(impl_->config.path);
}

Engine::~Engine() = default;

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
