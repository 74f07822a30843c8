#include "heartbeat/heartbeat.h"

#include "common/backoff.h"
#include "common/log.h"
#include "metrics/runtime_metrics.h"

namespace gigent::heartbeat {

static const char* kLoop = "heartbeat";

HeartbeatLoop::HeartbeatLoop(marketplace::MarketplaceClient client, std::string agent_id,
                             std::chrono::milliseconds interval, StatusRegistry& status, Sleeper& sleeper)
    : client_(std::move(client)),
      agent_id_(std::move(agent_id)),
      interval_(interval),
      status_(status),
      sleeper_(sleeper) {}

bool HeartbeatLoop::beat_once() {
  static auto log = log::get(kLoop);
  status_.set_state(kLoop, "sending");
  auto before = status_.get(kLoop);
  auto result = client_.heartbeat(agent_id_);
  if (result.ok()) {
    status_.record_success(kLoop);
    metrics::set_heartbeat_success(std::chrono::system_clock::now());
    bool was_failing = before.last_failure && (!before.last_success || *before.last_failure > *before.last_success);
    if (was_failing)
      log->info("heartbeat recovered");
    else
      log->debug("heartbeat ok (last_seen {})", marketplace::string_field(result.body, "last_seen", "?"));
    return true;
  }
  status_.record_failure(kLoop, result.error);
  log->warn(failure_message("heartbeat", result.error, interval_, before.last_success));
  return false;
}

void HeartbeatLoop::run(const Cancellation& stop) {
  while (!stop.cancelled()) {
    try {
      beat_once();
    } catch (const std::exception& e) {  // a heartbeat must never take the daemon down
      status_.record_failure(kLoop, e.what());
    }
    status_.set_state(kLoop, "sleeping");
    if (!sleeper_.sleep_for(jittered(interval_, 0.1), stop)) break;
  }
  status_.set_state(kLoop, "stopped");
}

HeartbeatThread::HeartbeatThread(marketplace::Endpoint endpoint, std::string agent_id,
                                 std::chrono::milliseconds interval, StatusRegistry& status,
                                 std::function<void(const std::string&)> on_failure)
    : thread_([this, endpoint = std::move(endpoint), agent_id = std::move(agent_id), interval, &status,
               on_failure = std::move(on_failure)] {
        try {
          HeartbeatLoop loop({endpoint, &stop_}, agent_id, interval, status);
          loop.run(stop_);
        } catch (const std::exception& e) {
          log::get(kLoop)->error("the heartbeat thread stopped: {}", e.what());
          on_failure(std::string("heartbeat: ") + e.what());
        }
      }) {}

HeartbeatThread::~HeartbeatThread() {
  stop_.cancel();
  thread_.join();
}

}  // namespace gigent::heartbeat
