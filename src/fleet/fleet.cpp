#include "fleet/fleet.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/backoff.h"
#include "common/log.h"
#include "common/service_notify.h"
#include "config/paths.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "engine/state_file.h"
#include "engine/worker_pool.h"
#include "fleet/fleet_agent.h"
#include "fleet/order_watch.h"
#include "fleet/timer.h"
#include "listener/poller.h"
#include "marketplace/client.h"
#include "observability/endpoint.h"

namespace gigent::fleet {

namespace {

constexpr std::chrono::seconds kTick{15};
// A full reconcile (two list calls) every this many ticks: with the
// multi-agent wait, orders accepted by hand and revision requests also wake
// the agent, so this is a safety net (5 min); when polling, every minute.
constexpr int kFullReconcileTicksWaiting = 20;
constexpr int kFullReconcileTicksPolling = 4;
// An idle agent's state file is rewritten once a minute (so `status` sees it alive).
constexpr int kStateWriteTicks = 4;
// Passes, reconciles and heartbeats of every agent; boot steps have their own
// threads so that an agent whose backend is down cannot hold up the others.
constexpr int kIoThreads = 4;
constexpr int kBootThreads = 4;
// gigent-server takes at most 1,000 agents in one wait.
constexpr std::size_t kAgentsPerWait = 1000;
// Freed memory inside the heap goes back to the system this often: the
// agents' steps allocate and free small blocks all the time, and a long run
// would otherwise keep the high-water mark resident.
constexpr unsigned long kTrimEverySeconds = 600;

// Enough descriptors for a journal, its WAL and a lock per agent.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

std::size_t text_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::hash<std::string>{}(text.str());
}

std::chrono::milliseconds random_below(std::chrono::milliseconds bound) {
  thread_local std::mt19937 random{std::random_device{}()};
  return std::chrono::milliseconds(
      std::uniform_int_distribution<long long>(0, std::max<long long>(bound.count(), 1))(random));
}

}  // namespace

struct Fleet::Impl {
  FleetOptions options;
  Cancellation shutdown;
  Cancellation hard_stop;
  StatusRegistry status;  // the process's own loops ("order_watch")
  std::shared_ptr<spdlog::logger> log = log::get("fleet");
  std::unique_ptr<engine::SharedWorkers> workers;
  std::unique_ptr<engine::SharedWorkers> io;
  std::unique_ptr<engine::SharedWorkers> boot;
  std::unique_ptr<Timer> timer;

  // One per config; the agent is null when the config did not load.
  struct Slot {
    std::shared_ptr<FleetAgent> agent;
    std::size_t config_hash = 0;
    std::string load_error;
    bool polling = false;  // picked up by polling, not by the multi-agent wait
  };
  // How orders reach the agents of one backend.
  struct Backend {
    enum class Pickup { Unknown, Wait, Poll } pickup = Pickup::Unknown;
    // One wait per kAgentsPerWait agents, each over its slice of them.
    std::vector<std::unique_ptr<OrderWatch>> watches;
    std::vector<std::jthread> threads;
  };

  std::mutex mutex;  // slots, backends, reload_requested, starve_cursor
  std::condition_variable main_wake;
  bool reload_requested = false;
  std::map<std::string, Slot> slots;                         // by absolute config path
  std::map<std::string, std::unique_ptr<Backend>> backends;  // by URL
  std::size_t starve_cursor = 0;
  unsigned long dirty_ticks = 0;  // timer thread only
  std::mutex changed_mutex;
  std::set<std::string> changed_paths;  // agents whose state file is due
  std::mutex info_mutex;
  nlohmann::json info_cache;
  std::chrono::steady_clock::time_point info_time;
  std::unique_ptr<observability::Endpoint> endpoint;

  int run();
  void reload();
  void add_or_restart(const std::string& path);
  void start_agent(const std::shared_ptr<FleetAgent>& old_agent, const std::shared_ptr<FleetAgent>& agent);
  void retire(const std::shared_ptr<FleetAgent>& agent);
  void on_online(const std::shared_ptr<FleetAgent>& agent);
  Backend::Pickup pickup_for(const std::string& url);
  void schedule_heartbeat(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay);
  void schedule_tick(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay);
  void schedule_poll(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay);
  void schedule_dirty_writes();
  void slot_freed(const std::string& path);
  void state_changed(const std::string& path);
  void poll_every_agent_of(const std::string& url);
  void poll_on_its_own(const std::shared_ptr<FleetAgent>& agent);
  std::vector<std::shared_ptr<FleetAgent>> agents();
  std::vector<std::shared_ptr<FleetAgent>> waiting_members(const std::string& url, std::size_t shard);
  // Enough waits for the agents of `url` (mutex held); each told the set changed.
  void resize_watches(const std::string& url, Backend& backend);
  nlohmann::json process_info();
  nlohmann::json count_process_info();
  bool start_endpoint();
  HealthReport health();
  nlohmann::json status_json();
  void drain();
  void write_failed_state(const std::string& path, const std::string& error);
  int worker_count(const std::vector<std::string>& configs);
};

std::vector<std::shared_ptr<FleetAgent>> Fleet::Impl::agents() {
  std::lock_guard lock(mutex);
  std::vector<std::shared_ptr<FleetAgent>> out;
  out.reserve(slots.size());
  for (auto& [path, slot] : slots)
    if (slot.agent) out.push_back(slot.agent);
  return out;
}

// The agents of wait number `shard`: its slice of the backend's waiting
// agents, in config-path order.
std::vector<std::shared_ptr<FleetAgent>> Fleet::Impl::waiting_members(const std::string& url, std::size_t shard) {
  std::lock_guard lock(mutex);
  std::vector<std::shared_ptr<FleetAgent>> out;
  std::size_t index = 0;
  for (auto& [path, slot] : slots) {
    if (!slot.agent || slot.polling || !slot.agent->online() || slot.agent->backend_url() != url) continue;
    if (index++ / kAgentsPerWait == shard) out.push_back(slot.agent);
  }
  return out;
}

void Fleet::Impl::resize_watches(const std::string& url, Backend& backend) {
  std::size_t waiting = 0;
  for (auto& [path, slot] : slots)
    if (slot.agent && !slot.polling && slot.agent->backend_url() == url) ++waiting;
  const std::size_t needed = std::max<std::size_t>(1, (waiting + kAgentsPerWait - 1) / kAgentsPerWait);
  while (backend.watches.size() < needed) {
    const std::size_t shard = backend.watches.size();
    backend.watches.push_back(std::make_unique<OrderWatch>(
        url,
        OrderWatch::Hooks{[this, url, shard] { return waiting_members(url, shard); },
                          [this, url] { poll_every_agent_of(url); },
                          [this](const std::shared_ptr<FleetAgent>& agent) { poll_on_its_own(agent); }},
        status));
    backend.threads.emplace_back([this, watch = backend.watches.back().get()] {
      try {
        watch->run(shutdown);
      } catch (const std::exception& e) {
        log->error("the order watch stopped: {}; stopping", e.what());
        shutdown.cancel();
      }
    });
  }
  for (auto& watch : backend.watches) watch->members_changed();
}

void Fleet::Impl::write_failed_state(const std::string& path, const std::string& error) {
  try {
    engine::StateFile(engine::RuntimePaths::for_config(path).state)
        .write({{"phase", "failed"},
                {"error", error},
                {"config", path},
                {"pid", ::getpid()},
                {"process", process_info()}});
  } catch (const std::exception& e) {
    log->warn("cannot write the state of {}: {}", path, e.what());
  }
}

int Fleet::Impl::worker_count(const std::vector<std::string>& configs) {
  if (options.workers > 0) return options.workers;
  long long sum = 0;
  for (const auto& path : configs) {
    auto loaded = config::load_file(path);
    sum += loaded.ok() ? loaded.config.runtime.max_concurrent_orders : 0;
  }
  return static_cast<int>(std::clamp<long long>(sum, 1, kDefaultMaxWorkers));
}

int Fleet::Impl::run() {
  raise_descriptor_limit();
  std::vector<std::string> configs;
  try {
    configs = discover_configs(options.sources);
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return engine::kExitBadConfig;
  }
  if (configs.empty() && options.sources.agents_dir.empty()) {
    log->error("no agent config given: pass -c FILE (repeatable) or --agents-dir DIR");
    return engine::kExitBadConfig;
  }
  workers = std::make_unique<engine::SharedWorkers>(worker_count(configs));
  io = std::make_unique<engine::SharedWorkers>(kIoThreads);
  boot = std::make_unique<engine::SharedWorkers>(kBootThreads);
  timer = std::make_unique<Timer>();
  if (!start_endpoint()) return engine::kExitBootFailed;
  log->info("starting {} agent(s) from {}; {} shared worker thread(s)", configs.size(),
            options.sources.agents_dir.empty() ? "the -c files" : options.sources.agents_dir, workers->size());
  reload();
  schedule_dirty_writes();

  // Ready once every agent of the first set is online or has failed.
  int exit_code = engine::kExitOk;
  while (!shutdown.cancelled()) {
    int starting = 0, online = 0, failed = 0;
    {
      std::lock_guard lock(mutex);
      for (auto& [path, slot] : slots) {
        if (!slot.agent || slot.agent->failed())
          ++failed;
        else if (slot.agent->online())
          ++online;
        else
          ++starting;
      }
    }
    if (starting == 0) {
      log->info("{} agent(s) online, {} failed; taking orders", online, failed);
      service::notify_ready(fmt::format("{} agent(s) online, {} failed", online, failed));
      if (online == 0 && options.sources.agents_dir.empty()) {
        log->error("no agent could start; see the errors above");
        exit_code = engine::kExitBootFailed;
        shutdown.cancel();
      }
      break;
    }
    shutdown.wait_for(std::chrono::milliseconds(100));
  }
  while (!shutdown.cancelled()) {
    std::unique_lock lock(mutex);
    main_wake.wait_for(lock, std::chrono::seconds(1), [this] { return reload_requested || shutdown.cancelled(); });
    if (!reload_requested) continue;
    reload_requested = false;
    lock.unlock();
    log->info("SIGHUP: reading the agent configs again");
    reload();
  }
  drain();
  return exit_code;
}

// Reads the set of configs and brings the running agents in line with it.
// Runs on the main thread only (at start and for SIGHUP).
void Fleet::Impl::reload() {
  std::vector<std::string> configs;
  try {
    configs = discover_configs(options.sources);
  } catch (const std::exception& e) {
    log->error("{}; the agents keep running as they are", e.what());
    return;
  }
  std::vector<std::shared_ptr<FleetAgent>> removed;
  {
    std::lock_guard lock(mutex);
    for (auto it = slots.begin(); it != slots.end();) {
      if (std::binary_search(configs.begin(), configs.end(), it->first)) {
        ++it;
        continue;
      }
      if (it->second.agent) removed.push_back(it->second.agent);
      it = slots.erase(it);
    }
  }
  for (const auto& agent : removed) {
    log->info("{} is gone: stopping agent \"{}\" once its orders in flight are done", agent->config_path(),
              agent->name());
    boot->post([this, agent] { retire(agent); });
  }
  for (const auto& path : configs) {
    if (fleet::needs_own_state_dir(path, configs, options.sources.agents_dir)) {
      try {
        config::make_own_state_dir(path);
      } catch (const std::exception& e) {
        log->error("{}", e.what());
        std::lock_guard lock(mutex);
        slots[path].load_error = e.what();
        continue;
      }
    }
    add_or_restart(path);
  }
}

void Fleet::Impl::add_or_restart(const std::string& path) {
  const std::size_t hash = text_hash(path);
  std::shared_ptr<FleetAgent> old_agent;
  {
    std::lock_guard lock(mutex);
    auto found = slots.find(path);
    if (found != slots.end()) {
      const Slot& slot = found->second;
      if (slot.agent && !slot.agent->failed() && slot.config_hash == hash) return;  // unchanged and running
      if (slot.agent && !slot.agent->failed()) old_agent = slot.agent;
    }
  }
  auto loaded = config::load_file(path);
  if (!loaded.ok()) {
    std::string error;
    for (const auto& problem : loaded.problems) error += (error.empty() ? "" : "; ") + problem.to_string();
    log->error("{} does not load ({} problem(s)); its agent is not started:", path, loaded.problems.size());
    for (const auto& problem : loaded.problems) log->error("{}", problem.to_string());
    if (old_agent) {
      log->warn("agent \"{}\" keeps running with its previous config until {} loads", old_agent->name(), path);
      return;
    }
    {
      std::lock_guard lock(mutex);
      slots[path] = Slot{nullptr, hash, error, false};
    }
    write_failed_state(path, error);
    return;
  }
  for (const auto& warning : loaded.warnings) log->warn("{}", warning.to_string());
  const std::string url = engine::resolve_backend_url(options.url, loaded.config);
  auto agent = std::make_shared<FleetAgent>(
      std::move(loaded.config), url,
      SharedParts{*workers, *io, hard_stop, [this](const std::string& freed) { slot_freed(freed); },
                  [this](const std::string& changed) { state_changed(changed); }, [this] { return process_info(); }});
  {
    std::lock_guard lock(mutex);
    slots[path] = Slot{agent, hash, "", false};
  }
  if (old_agent) log->info("{} changed: restarting agent \"{}\"", path, old_agent->name());
  boot->post([this, old_agent, agent] { start_agent(old_agent, agent); });
}

// On a boot thread: the old agent of a changed config drains first (its lock
// and journal are the new one's), then the new one boots.
void Fleet::Impl::start_agent(const std::shared_ptr<FleetAgent>& old_agent, const std::shared_ptr<FleetAgent>& agent) {
  if (old_agent) retire(old_agent);
  if (shutdown.cancelled()) return;
  if (agent->start() && !shutdown.cancelled()) on_online(agent);
}

void Fleet::Impl::retire(const std::shared_ptr<FleetAgent>& agent) {
  agent->stop_taking();
  {
    std::lock_guard lock(mutex);
    for (auto& [url, backend] : backends)
      for (auto& watch : backend->watches) watch->members_changed();
  }
  if (!agent->wait_idle(std::chrono::seconds(agent->config().runtime.shutdown_grace_seconds)))
    log->warn("agent \"{}\": grace period over with {} order(s) in flight; they resume at its next start",
              agent->name(), agent->busy());
  agent->finish();
}

Fleet::Impl::Backend::Pickup Fleet::Impl::pickup_for(const std::string& url) {
  {
    std::lock_guard lock(mutex);
    auto& backend = backends[url];
    if (!backend) backend = std::make_unique<Backend>();
    if (backend->pickup != Backend::Pickup::Unknown) return backend->pickup;
  }
  marketplace::MarketplaceClient client({url, ""}, &shutdown);
  const bool can_wait = listener::Poller(client, "").server_has_feature("multi_agent_wait");
  std::lock_guard lock(mutex);
  auto& backend = *backends[url];
  if (backend.pickup != Backend::Pickup::Unknown) return backend.pickup;  // another boot thread decided first
  if (!can_wait) {
    backend.pickup = Backend::Pickup::Poll;
    log->info("{} offers no multi-agent wait: each agent polls its orders every poll_interval_seconds", url);
    return backend.pickup;
  }
  backend.pickup = Backend::Pickup::Wait;
  log->info("{} offers the multi-agent wait: one request waits for every agent's orders", url);
  return backend.pickup;
}

void Fleet::Impl::on_online(const std::shared_ptr<FleetAgent>& agent) {
  const auto pickup = pickup_for(agent->backend_url());
  std::weak_ptr<FleetAgent> weak = agent;
  bool polling = pickup == Backend::Pickup::Poll;
  {
    std::lock_guard lock(mutex);
    auto found = slots.find(agent->config_path());
    if (found == slots.end() || found->second.agent != agent) return;  // replaced meanwhile
    found->second.polling = polling;
    if (!polling) resize_watches(agent->backend_url(), *backends[agent->backend_url()]);
  }
  // Spread over the interval, so 1,000 agents started together do not beat together.
  if (agent->heartbeat_enabled()) schedule_heartbeat(weak, random_below(agent->heartbeat_interval()));
  schedule_tick(weak, random_below(kTick));
  if (polling) schedule_poll(weak, random_below(agent->poll_interval()));
  agent->want(FleetAgent::kPass);
}

void Fleet::Impl::poll_every_agent_of(const std::string& url) {
  std::vector<std::weak_ptr<FleetAgent>> newly_polling;
  {
    std::lock_guard lock(mutex);
    backends[url]->pickup = Backend::Pickup::Poll;
    for (auto& [path, slot] : slots)
      if (slot.agent && slot.agent->backend_url() == url && !slot.polling) {
        slot.polling = true;
        newly_polling.push_back(slot.agent);
      }
  }
  for (const auto& weak : newly_polling) schedule_poll(weak, random_below(std::chrono::seconds(1)));
}

void Fleet::Impl::poll_on_its_own(const std::shared_ptr<FleetAgent>& agent) {
  {
    std::lock_guard lock(mutex);
    auto found = slots.find(agent->config_path());
    if (found == slots.end() || found->second.agent != agent || found->second.polling) return;
    found->second.polling = true;
  }
  schedule_poll(agent, agent->poll_interval());
}

void Fleet::Impl::schedule_heartbeat(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay) {
  timer->after(delay, [this, weak] {
    auto agent = weak.lock();
    if (!agent || !agent->online()) return;
    io->post([agent] { agent->heartbeat(); });
    schedule_heartbeat(weak, jittered(agent->heartbeat_interval(), 0.1));
  });
}

void Fleet::Impl::schedule_tick(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay) {
  timer->after(delay, [this, weak] {
    auto agent = weak.lock();
    if (!agent || !agent->online()) return;
    bool polling = false;
    {
      std::lock_guard lock(mutex);
      auto found = slots.find(agent->config_path());
      polling = found != slots.end() && found->second.polling;
    }
    io->post([agent, polling] {
      agent->tick(polling ? kFullReconcileTicksPolling : kFullReconcileTicksWaiting, kStateWriteTicks);
    });
    schedule_tick(weak, kTick);
  });
}

void Fleet::Impl::schedule_poll(const std::weak_ptr<FleetAgent>& weak, std::chrono::milliseconds delay) {
  timer->after(delay, [this, weak] {
    auto agent = weak.lock();
    if (!agent || !agent->online()) return;
    agent->want(FleetAgent::kPass);
    schedule_poll(weak, jittered(agent->poll_interval(), 0.1));
  });
}

// `status` sees an order end within a second, not at the next tick.
void Fleet::Impl::state_changed(const std::string& path) {
  std::lock_guard lock(changed_mutex);
  changed_paths.insert(path);
}

void Fleet::Impl::schedule_dirty_writes() {
  timer->after(std::chrono::seconds(1), [this] {
    std::set<std::string> changed;
    {
      std::lock_guard lock(changed_mutex);
      changed.swap(changed_paths);
    }
    for (const auto& path : changed) {
      std::shared_ptr<FleetAgent> agent;
      {
        std::lock_guard lock(mutex);
        if (auto found = slots.find(path); found != slots.end()) agent = found->second.agent;
      }
      if (agent) io->post([agent] { agent->write_state(); });
    }
    if (++dirty_ticks % kTrimEverySeconds == 0) io->post([] { malloc_trim(0); });
    if (!hard_stop.cancelled()) schedule_dirty_writes();
  });
}

// An order ended: its agent's lane has room again, and so has the shared
// pool, which a starved agent (orders listed, no thread free) may be waiting for.
void Fleet::Impl::slot_freed(const std::string& path) {
  std::shared_ptr<FleetAgent> own, other;
  {
    std::lock_guard lock(mutex);
    auto found = slots.find(path);
    if (found != slots.end() && found->second.agent && found->second.agent->starved()) own = found->second.agent;
    if (!slots.empty()) {
      // Round-robin from where the last search stopped, so no agent waits forever.
      auto it = slots.begin();
      std::advance(it, static_cast<long>(starve_cursor % slots.size()));
      for (std::size_t n = 0; n < slots.size(); ++n) {
        if (++it == slots.end()) it = slots.begin();
        ++starve_cursor;
        if (it->second.agent && it->second.agent != own && it->second.agent->starved()) {
          other = it->second.agent;
          break;
        }
      }
    }
  }
  if (own) own->want(FleetAgent::kPass);
  if (other) other->want(FleetAgent::kPass);
}

// Read by every agent's state write: counted at most once a second.
nlohmann::json Fleet::Impl::process_info() {
  {
    std::lock_guard lock(info_mutex);
    if (!info_cache.is_null() && std::chrono::steady_clock::now() - info_time < std::chrono::seconds(1))
      return info_cache;
  }
  auto info = count_process_info();
  std::lock_guard lock(info_mutex);
  info_cache = info;
  info_time = std::chrono::steady_clock::now();
  return info;
}

nlohmann::json Fleet::Impl::count_process_info() {
  std::lock_guard lock(mutex);
  std::size_t waiting = 0, polling = 0;
  for (auto& [path, slot] : slots)
    if (slot.agent) ++(slot.polling ? polling : waiting);
  return {{"pid", ::getpid()},
          {"agents", slots.size()},
          {"workers", workers ? workers->size() : 0},
          {"agents_dir", options.sources.agents_dir},
          {"order_pickup", polling == 0   ? "one wait for every agent"
                           : waiting == 0 ? "polling"
                                          : "mixed"}};
}

bool Fleet::Impl::start_endpoint() {
  if (options.listen.empty()) return true;
  std::string error;
  endpoint = observability::start_endpoint(
      options.listen, observability::Sources{[this] { return health(); }, [this] { return status_json(); }}, error);
  if (!endpoint) {
    log->error("cannot serve /healthz and /metrics on {}: {}; choose a free address with --listen", options.listen,
               error);
    return false;
  }
  log->info("serving /healthz, /metrics and /status on {} (port {})", options.listen, endpoint->port());
  return true;
}

// Every agent's failing checks, named "<agent>: <check>", and the agents that
// could not start.
HealthReport Fleet::Impl::health() {
  HealthReport report;
  std::vector<std::pair<std::string, std::string>> not_loaded;
  {
    std::lock_guard lock(mutex);
    for (auto& [path, slot] : slots)
      if (!slot.agent) not_loaded.emplace_back(path, slot.load_error);
  }
  for (const auto& [path, error] : not_loaded) report.checks.push_back({path + ": config", false, error, {}, false});
  for (const auto& agent : agents()) {
    if (agent->failed()) {
      report.checks.push_back({agent->name() + ": boot", false, agent->error(), {}, false});
      continue;
    }
    for (auto check : agent->health().checks) {
      if (check.ok) continue;
      check.name = agent->name() + ": " + check.name;
      report.checks.push_back(std::move(check));
    }
  }
  const auto watch = status.get("order_watch");
  if (watch.last_failure && (!watch.last_success || *watch.last_failure > *watch.last_success))
    report.checks.push_back({"order_watch", false, watch.last_error, watch.failing_since, false});
  if (report.checks.empty()) report.checks.push_back({"agents", true, "every agent passes its checks", {}, true});
  return report;
}

nlohmann::json Fleet::Impl::status_json() {
  nlohmann::json out = {{"process", process_info()}, {"agents", nlohmann::json::array()}};
  out["process"]["loops"] = status.snapshot();
  for (const auto& agent : agents()) out["agents"].push_back(agent->snapshot());
  std::lock_guard lock(mutex);
  for (auto& [path, slot] : slots)
    if (!slot.agent) out["agents"].push_back({{"config", path}, {"phase", "failed"}, {"error", slot.load_error}});
  return out;
}

// Stop taking orders everywhere, let in-flight orders finish within the
// longest grace period, then cut what is left; heartbeats go on until the end.
void Fleet::Impl::drain() {
  const auto all = agents();
  int grace = 0, busy = 0;
  for (const auto& agent : all) {
    agent->stop_taking();
    grace = std::max(grace, agent->config().runtime.shutdown_grace_seconds);
    busy += agent->busy();
  }
  {
    std::lock_guard lock(mutex);
    for (auto& [url, backend] : backends)
      for (auto& watch : backend->watches) watch->members_changed();
  }
  service::notify_stopping(fmt::format("draining: {} order(s) in flight", busy));
  if (busy > 0)
    log->info("shutting down: waiting up to {} s for {} order(s) in flight (send the signal again to stop now)", grace,
              busy);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace);
  bool idle = true;
  for (const auto& agent : all) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    idle = agent->wait_idle(std::max(left, std::chrono::milliseconds(0))) && idle;
  }
  if (!idle) {
    log->warn("grace period over: interrupting the orders in flight; they resume at the next start");
    hard_stop.cancel();
    for (const auto& agent : all) agent->wait_idle(std::chrono::seconds(10));
  }
  boot.reset();  // joins boot steps (each ends at its agent's stop); none adds a backend after this
  for (auto& [url, backend] : backends)
    for (auto& thread : backend->threads) thread.join();
  for (const auto& agent : all) agent->finish();
  hard_stop.cancel();  // ends the dirty-write schedule
  timer.reset();
  io.reset();
  {
    std::lock_guard lock(mutex);
    slots.clear();
  }
  workers.reset();
}

void Fleet::prepare_process() {
  engine::Journal::prefer_small_memory();
  // glibc gives threads arenas of their own (up to 8 per core), each holding
  // on to what it freed; the agents' steps hop between a dozen shared
  // threads, so each arena ends up as large as the one a single arena would
  // need. The threads mostly wait on sockets: one arena costs no measurable
  // contention. Must precede the second thread's first allocation.
  mallopt(M_ARENA_MAX, 1);  // NOLINT(concurrency-mt-unsafe): called before any other thread exists
}

Fleet::Fleet(FleetOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

Fleet::~Fleet() = default;

int Fleet::run() {
  return impl_->run();
}

void Fleet::request_stop() {
  impl_->shutdown.cancel();
  std::lock_guard lock(impl_->mutex);
  impl_->main_wake.notify_all();
}

void Fleet::force_stop() {
  request_stop();
  impl_->hard_stop.cancel();
}

void Fleet::request_reload() {
  std::lock_guard lock(impl_->mutex);
  impl_->reload_requested = true;
  impl_->main_wake.notify_all();
}

}  // namespace gigent::fleet
