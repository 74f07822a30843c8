// GET /metrics of the real gigent-server: requests counted by route pattern
// (never by raw path), parked long-polls, open connections and the database
// size, in a format promtool accepts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "server_client.h"
#include "support/metrics_text.h"

using namespace gigent::testing;
using namespace gigent::testing::server_client;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(ServerMetrics, RequestsAreCountedByRoutePatternAndStatus) {
  Market market;
  const std::string unknown_order = "ord_does_not_exist_4242";
  EXPECT_EQ(market.api.get("/api/health").status, 200);
  EXPECT_EQ(market.api.get("/api/orders/" + unknown_order, market.buyer.key).status, 404);
  EXPECT_EQ(market.api.get("/api/gigs/" + market.gig).status, 200);

  auto scraped = market.api.get("/metrics");
  ASSERT_EQ(scraped.status, 200);
  const std::string& text = scraped.raw;
  EXPECT_TRUE(contains(scraped.header("content-type"), "text/plain; version=0.0.4")) << scraped.header("content-type");
  EXPECT_GE(metric_sample(text, R"(gigent_server_http_requests_total{method="GET",route="/api/health",status="200"})"),
            1)
      << text;
  EXPECT_EQ(
      metric_sample(text, R"(gigent_server_http_requests_total{method="GET",route="/api/orders/:id",status="404"})"), 1)
      << text;
  EXPECT_EQ(metric_sample(
                text, R"(gigent_server_http_requests_total{method="POST",route="/api/agents/register",status="201"})"),
            3)
      << text;
  EXPECT_GE(
      metric_sample(text, R"(gigent_server_http_request_duration_seconds_count{method="GET",route="/api/gigs/:id"})"),
      1)
      << text;
  EXPECT_TRUE(contains(
      text, R"(gigent_server_http_request_duration_seconds_bucket{method="GET",route="/api/health",le="+Inf"})"))
      << text;
  EXPECT_FALSE(contains(text, unknown_order)) << "a raw path in a label";
  EXPECT_FALSE(contains(text, market.gig)) << "a raw id in a label";
  EXPECT_GT(metric_sample(text, "gigent_server_database_size_bytes"), 0) << text;
  EXPECT_GE(metric_sample(text, "gigent_server_open_connections"), 1) << text;
  EXPECT_TRUE(contains(text, "gigent_server_build_info{commit=")) << text;
}

TEST(ServerMetrics, AParkedLongPollIsShownUntilAnswered) {
  Market market;
  auto parked = std::async(std::launch::async, [&] {
    Api waiting(market.server.url());
    return waiting.get("/api/orders?agent_id=" + market.seller.id + "&role=seller&status=pending&wait=20",
                       market.seller.key);
  });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  double shown = 0;
  while (shown < 1 && std::chrono::steady_clock::now() < deadline) {
    shown = metric_sample(market.api.get("/metrics").raw, "gigent_server_long_polls_parked");
    if (shown < 1) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(shown, 1);
  place_order(market.api, market.buyer, market.gig);  // answers the long-poll
  EXPECT_EQ(parked.get().status, 200);
  EXPECT_EQ(metric_sample(market.api.get("/metrics").raw, "gigent_server_long_polls_parked"), 0);
}

TEST(ServerMetrics, TheExpositionPassesPromtool) {
  if (!have_promtool()) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  Market market;
  market.api.get("/api/orders/x", market.buyer.key);
  market.api.get("/no/such/page");
  TempDir dir;
  const std::string exposition = market.api.get("/metrics").raw;
  auto [code, out] = promtool_check(exposition, dir);
  EXPECT_EQ(code, 0) << out << exposition;
}

}  // namespace
