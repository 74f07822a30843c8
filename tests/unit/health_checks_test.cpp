// The rules of /healthz and of the watchdog, checked on made-up times: which
// check fails, when, and since when.
#include <gtest/gtest.h>

#include "engine/health.h"
#include "engine/service_monitor.h"

namespace gigent::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kStart = Clock::time_point(std::chrono::seconds(1'800'000'000));

// A daemon that booted at kStart and whose loops are fine at `now`.
HealthInputs running(Clock::time_point now) {
  HealthInputs in;
  in.now = now;
  in.phase = "running";
  in.phase_since = kStart;
  in.heartbeat_interval = 30s;
  in.heartbeat_started = kStart;
  in.heartbeat.last_success = now - 5s;
  in.poller.last_progress = now - 1s;
  in.poller.progress_deadline = now + 60s;
  return in;
}

const HealthCheck& check(const HealthReport& report, const std::string& name) {
  for (const auto& c : report.checks)
    if (c.name == name) return c;
  throw std::runtime_error("no check " + name);
}

TEST(HealthChecks, ARunningDaemonWithFreshLoopsIsHealthy) {
  auto report = evaluate_health(running(kStart + 10min));
  EXPECT_TRUE(report.ok()) << report.text();
  EXPECT_EQ(report.text(), "ok\n");
  ASSERT_EQ(report.checks.size(), 4u);
}

TEST(HealthChecks, BootingAndDrainingFailTheBootCheck) {
  auto in = running(kStart + 1s);
  in.phase = "booting";
  auto report = evaluate_health(in);
  EXPECT_FALSE(check(report, "boot").ok);
  EXPECT_EQ(check(report, "boot").since, kStart);
  in.phase = "draining";
  EXPECT_NE(evaluate_health(in).text().find("boot: failing since"), std::string::npos);
  EXPECT_FALSE(watchdog_may_ping(evaluate_health(in), false));
  EXPECT_TRUE(watchdog_may_ping(evaluate_health(in), true)) << "a drain still pings while the loops work";
}

TEST(HealthChecks, TheHeartbeatFailsAfterTwoIntervalsWithoutSuccessSinceItsFirstFailure) {
  auto in = running(kStart + 10min);
  in.heartbeat.last_success = in.now - 59s;
  EXPECT_TRUE(check(evaluate_health(in), "heartbeat").ok) << "one missed beat is tolerated";
  in.heartbeat.last_success = in.now - 61s;
  in.heartbeat.failing_since = in.now - 45s;
  in.heartbeat.last_error = "connection refused";
  auto report = evaluate_health(in);
  const auto& heartbeat = check(report, "heartbeat");
  EXPECT_FALSE(heartbeat.ok);
  EXPECT_EQ(heartbeat.since, in.now - 45s);
  EXPECT_NE(heartbeat.detail.find("connection refused"), std::string::npos) << heartbeat.detail;
  EXPECT_NE(report.text().find("heartbeat: failing since "), std::string::npos) << report.text();
  EXPECT_FALSE(watchdog_may_ping(report, false)) << "no attempt recorded in the window: the loop is stuck";
  EXPECT_TRUE(check(report, "poll_loop").ok);
}

TEST(HealthChecks, ABackendOutageFailsTheHeartbeatButStillFeedsTheWatchdog) {
  auto in = running(kStart + 10min);
  in.heartbeat.last_success = in.now - 5min;
  in.heartbeat.failing_since = in.now - 5min + 30s;
  in.heartbeat.last_failure = in.now - 20s;  // the loop keeps trying
  in.heartbeat.last_error = "connection refused";
  auto report = evaluate_health(in);
  EXPECT_FALSE(check(report, "heartbeat").ok) << "/healthz reports the outage";
  EXPECT_FALSE(check(report, "heartbeat").restart_helps);
  EXPECT_TRUE(watchdog_may_ping(report, false)) << "a restart cannot bring the backend back";
  in.heartbeat.last_failure = in.now - 2min;  // no attempt for two intervals: stuck
  EXPECT_FALSE(watchdog_may_ping(evaluate_health(in), false));
}

TEST(HealthChecks, AHeartbeatThatNeverSucceededCountsFromItsStart) {
  auto in = running(kStart + 50s);
  in.heartbeat.last_success.reset();
  EXPECT_TRUE(check(evaluate_health(in), "heartbeat").ok);
  in.now = kStart + 70s;
  EXPECT_FALSE(check(evaluate_health(in), "heartbeat").ok);
  in.heartbeat_enabled = false;
  EXPECT_TRUE(check(evaluate_health(in), "heartbeat").ok) << "heartbeats off: nothing to check";
}

TEST(HealthChecks, ThePollLoopFailsPastItsOwnDeadlineOnly) {
  auto in = running(kStart + 10min);
  in.poller.state = "polling";
  in.poller.progress_deadline = in.now - 1s;
  auto report = evaluate_health(in);
  EXPECT_FALSE(check(report, "poll_loop").ok);
  EXPECT_EQ(check(report, "poll_loop").since, in.now - 1s);
  EXPECT_NE(check(report, "poll_loop").detail.find("polling"), std::string::npos);
  in.poller.progress_deadline.reset();  // waiting for a free worker: no deadline of its own
  EXPECT_TRUE(check(evaluate_health(in), "poll_loop").ok);
}

TEST(HealthChecks, AJournalThatCannotBeWrittenFails) {
  auto in = running(kStart + 10min);
  in.journal = {false, "disk I/O error", kStart + 9min};
  auto report = evaluate_health(in);
  EXPECT_FALSE(check(report, "journal").ok);
  EXPECT_EQ(check(report, "journal").since, kStart + 9min);
  EXPECT_EQ(report.to_json()["status"], "failing");
}

TEST(HealthChecks, TheMonitorRunsAtHalfTheWatchdogTimeoutAndAtLeastEveryTenSeconds) {
  EXPECT_EQ(monitor_period(std::nullopt), 10s);
  EXPECT_EQ(monitor_period(std::chrono::microseconds(4'000'000)), 2s);
  EXPECT_EQ(monitor_period(std::chrono::microseconds(120'000'000)), 10s);
}

}  // namespace
}  // namespace gigent::engine
