// The operator's view of a running daemon: GET /healthz follows the backend
// (503 naming the heartbeat check while it is down, 200 again when it is
// back), /metrics counts real orders in a format promtool accepts, /status is
// the report of `status --json`, the systemd watchdog is pinged only while
// healthy, and an address in use stops the daemon before it registers.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "llm_emulator.h"
#include "support/agent_fixture.h"
#include "support/json_client.h"
#include "support/metrics_text.h"
#include "support/process.h"

using namespace gigent;
using namespace gigent::testing;
using namespace std::chrono_literals;

namespace {

// GETs `path` until `done` says yes or `timeout` passes; returns the last answer.
template <typename Done>
json_http::Result wait_for(json_http::Client& client, const std::string& path, Done done, std::chrono::seconds timeout,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  json_http::Result last;
  for (;;) {
    last = client.call("GET", path, "", "", headers);
    if (done(last) || std::chrono::steady_clock::now() > deadline) return last;
    std::this_thread::sleep_for(200ms);
  }
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

class RuntimeObservability : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator.start();
    yaml.base_url = emulator.url();
    yaml.heartbeat_interval_seconds = 1;  // a stopped backend shows within seconds
    std::ofstream(config_path()) << yaml.to_yaml();
  }

  std::string config_path() const { return dir.file("gigent-agent.yaml"); }
  std::string listen_url() const { return "http://127.0.0.1:" + std::to_string(listen_port); }

  std::unique_ptr<ChildProcess> start_runtime(bool wait_ready = true, std::map<std::string, std::string> env = {}) {
    SpawnOptions options;
    options.args = {
        "run", "-c", config_path(), "-u", server.url(), "--listen", "127.0.0.1:" + std::to_string(listen_port)};
    options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL",
                         "NOTIFY_SOCKET",     "WATCHDOG_USEC",  "WATCHDOG_PID"};
    options.env = std::move(env);
    auto child = std::make_unique<ChildProcess>(build_path("gigent-runtime"), options, dir.path());
    if (wait_ready) {
      EXPECT_TRUE(child->wait_for_output("Agent is online and ready", 60s)) << child->output();
    }
    return child;
  }

  TempDir dir;
  ServerProcess server;
  llm_emulator::LlmEmulator emulator;
  AgentYaml yaml;
  std::uint16_t listen_port = free_tcp_port();
};

TEST_F(RuntimeObservability, HealthzGoes503NamingTheHeartbeatWhileTheBackendIsDownAnd200WhenItReturns) {
  auto runtime = start_runtime();
  json_http::Client client(listen_url());
  auto ok = [](const json_http::Result& r) { return r.status == 200; };
  auto healthy = wait_for(client, "/healthz", ok, 60s);
  ASSERT_EQ(healthy.status, 200) << healthy.raw << runtime->output();
  EXPECT_EQ(healthy.raw, "ok\n");

  server.stop();
  auto failing = wait_for(
      client, "/healthz", [](const json_http::Result& r) { return r.status == 503; }, 60s);
  ASSERT_EQ(failing.status, 503) << failing.raw << runtime->output();
  EXPECT_TRUE(contains(failing.raw, "heartbeat: failing since ")) << failing.raw;
  // A backend that is down is not a stuck daemon: only the heartbeat fails.
  EXPECT_FALSE(contains(failing.raw, "poll_loop")) << failing.raw;
  EXPECT_FALSE(contains(failing.raw, "journal")) << failing.raw;
  EXPECT_FALSE(contains(failing.raw, "boot")) << failing.raw;

  auto as_json = client.call("GET", "/healthz", "", "", {{"Accept", "application/json"}});
  EXPECT_EQ(as_json.status, 503);
  ASSERT_TRUE(as_json.body.is_object()) << as_json.raw;
  EXPECT_EQ(as_json.body.value("status", ""), "failing");
  bool heartbeat_named = false;
  for (const auto& check : as_json.body["checks"]) {
    if (check.value("name", "") != "heartbeat") continue;
    heartbeat_named = true;
    EXPECT_FALSE(check.value("ok", true));
    EXPECT_TRUE(check["since"].is_string()) << check.dump();
  }
  EXPECT_TRUE(heartbeat_named) << as_json.raw;

  server.start();
  healthy = wait_for(client, "/healthz", ok, 60s);
  EXPECT_EQ(healthy.status, 200) << healthy.raw << runtime->output();
  runtime->signal(SIGTERM);
  EXPECT_EQ(runtime->wait_exit(30s), 0) << runtime->output();
}

TEST_F(RuntimeObservability, MetricsCountADeliveredOrderAndItsLlmCall) {
  auto runtime = start_runtime();
  auto buyer = register_buyer(server.url());
  const std::string agent_id = read_agent_id(dir.file(".gigent-credentials"));
  auto order = place_order(server.url(), buyer, gig_id_of(server.url(), agent_id, "Blog post writer"), "Write");
  auto done = wait_for_order_status(server.url(), order["id"], "delivered", 30s);
  ASSERT_EQ(done.value("status", ""), "delivered") << runtime->output();

  json_http::Client client(listen_url());
  auto scraped = wait_for(
      client, "/metrics",
      [](const json_http::Result& r) {
        return metric_sample(r.raw, "gigent_runtime_orders_total{outcome=\"delivered\"}") == 1;
      },
      30s);
  const std::string& text = scraped.raw;
  EXPECT_EQ(scraped.status, 200);
  EXPECT_TRUE(contains(scraped.header("content-type"), "text/plain; version=0.0.4")) << scraped.header("content-type");
  EXPECT_EQ(metric_sample(text, "gigent_runtime_orders_total{outcome=\"delivered\"}"), 1) << text;
  for (const char* outcome : {"failed", "rejected", "cancelled", "revised"})
    EXPECT_EQ(metric_sample(text, std::string("gigent_runtime_orders_total{outcome=\"") + outcome + "\"}"), 0)
        << outcome;
  EXPECT_EQ(metric_sample(text, "gigent_runtime_orders_in_flight"), 0) << text;
  EXPECT_EQ(
      metric_sample(text,
                    "gigent_runtime_llm_request_duration_seconds_count{model=\"claude-test\",provider=\"anthropic\"}"),
      1)
      << text;
  EXPECT_GT(metric_sample(text,
                          "gigent_runtime_llm_tokens_total{direction=\"output\",model=\"claude-test\",provider="
                          "\"anthropic\"}"),
            0)
      << text;
  EXPECT_GT(metric_sample(text, "gigent_runtime_heartbeat_last_success_timestamp_seconds"), 1.6e9) << text;
  EXPECT_TRUE(contains(text, "# TYPE gigent_runtime_budget_tokens_used_today gauge")) << text;
  EXPECT_TRUE(contains(text, "gigent_runtime_build_info{commit=")) << text;
  EXPECT_EQ(metric_sample(text, "gigent_runtime_health_check{check=\"heartbeat\"}"), 1) << text;

  if (!have_promtool()) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  auto [code, out] = promtool_check(text, dir);
  EXPECT_EQ(code, 0) << out << text;
}

TEST_F(RuntimeObservability, BackendErrorsAreCountedByRoutePatternWhileTheBackendIsDown) {
  auto runtime = start_runtime();
  server.stop();
  json_http::Client client(listen_url());
  const std::string series =
      "gigent_runtime_backend_request_errors_total{method=\"POST\",route=\"/api/agents/:id/heartbeat\",status=\"0\"}";
  auto scraped = wait_for(
      client, "/metrics", [&](const json_http::Result& r) { return metric_sample(r.raw, series) >= 1; }, 60s);
  EXPECT_GE(metric_sample(scraped.raw, series), 1) << scraped.raw;
  EXPECT_FALSE(contains(scraped.raw, read_agent_id(dir.file(".gigent-credentials")))) << "an id in a label";
  runtime->signal(SIGTERM);
  EXPECT_EQ(runtime->wait_exit(30s), 0) << runtime->output();
}

TEST_F(RuntimeObservability, StatusIsTheReportOfStatusJson) {
  auto runtime = start_runtime();
  json_http::Client client(listen_url());
  auto served = client.get("/status");
  ASSERT_EQ(served.status, 200) << served.raw;
  ASSERT_TRUE(served.body.is_object()) << served.raw;
  auto cli = run_runtime_cli({"status", "-c", config_path(), "-u", server.url(), "--json"}, dir.path());
  auto printed = nlohmann::json::parse(cli.stdout_text, nullptr, false);
  ASSERT_TRUE(printed.is_object()) << cli.output();
  for (const auto& [key, value] : printed.items()) EXPECT_TRUE(served.body.contains(key)) << key << served.raw;
  for (const auto& [key, value] : served.body.items()) EXPECT_TRUE(printed.contains(key)) << key;
  EXPECT_EQ(served.body["agent_id"], printed["agent_id"]);
  EXPECT_TRUE(contains(served.body["daemon"].dump(), std::to_string(runtime->pid())))
      << "the running daemon is in the report: " << served.raw;
}

TEST_F(RuntimeObservability, AnAddressInUseStopsTheDaemonBeforeItRegisters) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(listen_port);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  auto runtime = start_runtime(false);
  auto code = runtime->wait_exit(30s);
  ::close(fd);
  EXPECT_EQ(code, 3) << runtime->output();
  EXPECT_TRUE(
      contains(runtime->output(), "cannot serve /healthz and /metrics on 127.0.0.1:" + std::to_string(listen_port)))
      << runtime->output();
  EXPECT_TRUE(contains(runtime->output(), "in use")) << runtime->output();
  EXPECT_FALSE(std::filesystem::exists(dir.file(".gigent-credentials"))) << "registered despite refusing to start";
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << path_;
  }
  ~NotifySocket() { ::close(fd_); }
  const std::string& path() const { return path_; }

  // Every message received within `wait`, joined.
  std::string drain(std::chrono::milliseconds wait) {
    std::string all;
    timeval tv{0, 100000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) all.append(buffer, static_cast<std::size_t>(n)).push_back('\n');
    }
    return all;
  }

  // Waits until a message containing `needle` arrives.
  bool wait_for(const std::string& needle, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline)
      if (contains(drain(500ms), needle)) return true;
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST_F(RuntimeObservability, ABackendOutageIsReportedButTheWatchdogIsStillFed) {
  NotifySocket notify(dir.file("notify.sock"));
  // A 2 s watchdog: the daemon pings every second while its checks allow it.
  auto runtime = start_runtime(true, {{"NOTIFY_SOCKET", notify.path()}, {"WATCHDOG_USEC", "2000000"}});
  EXPECT_TRUE(notify.wait_for("WATCHDOG=1", 30s)) << runtime->output();
  server.stop();
  ASSERT_TRUE(runtime->wait_for_output("unhealthy", 60s)) << runtime->output();
  // The heartbeat loop keeps trying: restarting the daemon would not bring the
  // backend back, so systemd keeps being fed while STATUS= says what is wrong.
  notify.drain(100ms);
  std::string while_down = notify.drain(3s);
  EXPECT_TRUE(contains(while_down, "WATCHDOG=1")) << while_down;
  EXPECT_TRUE(contains(while_down, "STATUS=unhealthy: heartbeat")) << while_down;
  server.start();
  EXPECT_TRUE(runtime->wait_for_output("healthy again", 60s)) << runtime->output();
  runtime->signal(SIGTERM);
  EXPECT_EQ(runtime->wait_exit(30s), 0) << runtime->output();
}

}  // namespace
