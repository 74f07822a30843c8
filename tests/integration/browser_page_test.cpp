// The marketplace page in a real browser: headless Chromium loads it from a
// seeded gigent-server, runs its JavaScript, and the rendered DOM is checked.
// Skipped when Chromium is not installed, unless GIGENT_REQUIRE_BROWSER=1
// (CI sets it, so the check can never pass by being skipped there).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "support/json_client.h"
#include "support/process.h"

namespace {

using gigent::testing::ChildProcess;
using gigent::testing::ServerProcess;
using gigent::testing::TempDir;
using gigent::testing::json_http::Client;
using json = nlohmann::json;

std::optional<std::string> find_chromium() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
      if (std::string candidate = dir + "/" + name; ::access(candidate.c_str(), X_OK) == 0) return candidate;
  return std::nullopt;
}

bool browser_required() {
  const char* required = std::getenv("GIGENT_REQUIRE_BROWSER");
  return required && std::string(required) == "1";
}

// Headless Chromium on `url`; the extra flag says what to produce
// (--dump-dom prints the DOM after the page's scripts ran).
std::string run_chromium(const std::string& chromium, const std::string& url, const std::string& what,
                         const TempDir& dir) {
  gigent::testing::SpawnOptions options;
  options.args = {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--hide-scrollbars", "--user-data-dir=" + dir.file("profile"),
                  // Enough page time for the first load and at least one refresh.
                  "--virtual-time-budget=6000", "--window-size=1280,900", what, url};
  options.env = {{"HOME", dir.path()}};
  ChildProcess browser(chromium, options, dir.path());
  auto code = browser.wait_exit(std::chrono::minutes(2));
  EXPECT_TRUE(code.has_value()) << "chromium did not finish: " << browser.stderr_text();
  EXPECT_EQ(code.value_or(-1), 0) << browser.stderr_text();
  return browser.stdout_text();
}

struct Agent {
  std::string id, key;
};

Agent register_agent(Client& api, const std::string& name, int n) {
  auto r = api.post("/api/agents/register", {{"name", name}, {"owner_wallet", fmt::format("0x{:040x}", 0xb0 + n)}});
  EXPECT_EQ(r.status, 201) << r.raw;
  return {r.body.value("id", ""), r.body.value("api_key", "")};
}

// Two sellers (one online, one never seen) with a gig each, a buyer and one
// pending order on the online seller's gig.
struct Market {
  Agent online, offline, buyer;
  std::string order_id;
};

Market seed(Client& api) {
  Market m;
  m.online = register_agent(api, "Aurora Copywriter", 1);
  m.offline = register_agent(api, "Dormant Analyst", 2);
  // Hostile names are shown as text, never run or parsed as markup.
  m.buyer = register_agent(api, "<img src=x onerror=alert(1)>Buyer", 3);
  EXPECT_EQ(api.post("/api/agents/" + m.online.id + "/heartbeat", json::object(), m.online.key).status, 200);
  std::string gig_id;
  for (const auto& [agent, title] : {std::pair{m.online, "Landing page copy"}, {m.offline, "Quarterly data digest"}}) {
    auto gig = api.post("/api/gigs",
                        {{"agent_id", agent.id},
                         {"title", title},
                         {"description", "A gig for the page test"},
                         {"category", "writing"},
                         {"price_basic", 12.5},
                         {"desc_basic", "One page"},
                         {"price_premium", 40}},
                        agent.key);
    EXPECT_EQ(gig.status, 201) << gig.raw;
    if (gig_id.empty()) gig_id = gig.body.value("id", "");
  }
  auto order = api.post(
      "/api/orders", {{"gig_id", gig_id}, {"buyer_id", m.buyer.id}, {"brief", "Copy for a bakery"}, {"pay_now", false}},
      m.buyer.key);
  EXPECT_EQ(order.status, 201) << order.raw;
  m.order_id = order.body.value("id", "");
  return m;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string screenshot_path() {
  std::filesystem::create_directories(std::string(GIGENT_BUILD_DIR) + "/artifacts");
  return std::string(GIGENT_BUILD_DIR) + "/artifacts/marketplace.png";
}

TEST(BrowserPage, ShowsAgentsGigsAndAnOrderChangingStatusAfterDelivery) {
  auto chromium = find_chromium();
  if (!chromium) {
    if (browser_required()) FAIL() << "GIGENT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)";
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium); the browser test is skipped";
  }
  ServerProcess server({"--allow-unauthenticated"});  // the open mode: every order is visible
  Client api(server.url());
  Market m = seed(api);
  TempDir dir;

  std::string dom = run_chromium(*chromium, server.url() + "/", "--dump-dom", dir);
  EXPECT_TRUE(has(dom, "Aurora Copywriter")) << dom;
  EXPECT_TRUE(has(dom, "Dormant Analyst")) << dom;
  EXPECT_TRUE(std::regex_search(dom, std::regex("data-agent-id=\"" + m.online.id + "\" data-online=\"true\""))) << dom;
  EXPECT_TRUE(std::regex_search(dom, std::regex("data-agent-id=\"" + m.offline.id + "\" data-online=\"false\"")))
      << dom;
  EXPECT_TRUE(has(dom, "Landing page copy") && has(dom, "$12.50") && has(dom, "$40.00")) << dom;
  EXPECT_TRUE(has(dom, "data-order-id=\"" + m.order_id + "\" data-status=\"pending\"")) << dom;
  // The hostile name is text: escaped in the serialised DOM, no <img> element.
  EXPECT_TRUE(has(dom, "&lt;img src=x onerror=alert(1)&gt;Buyer")) << dom;
  EXPECT_FALSE(has(dom, "<img")) << dom;

  ASSERT_EQ(api.patch("/api/orders/" + m.order_id + "/status", {{"status", "accepted"}, {"agent_id", m.online.id}},
                      m.online.key)
                .status,
            200);
  const std::string result = "Fresh bread, every morning: the bakery's new landing page.";
  auto delivered =
      api.post("/api/orders/" + m.order_id + "/deliver",
               {{"agent_id", m.online.id}, {"delivery_data", {{"content", result}, {"format", "text"}}}}, m.online.key);
  ASSERT_EQ(delivered.status, 200) << delivered.raw;

  const std::string order_url = server.url() + "/#order=" + m.order_id;
  dom = run_chromium(*chromium, order_url, "--dump-dom", dir);
  EXPECT_TRUE(has(dom, "data-order-id=\"" + m.order_id + "\" data-status=\"delivered\"")) << dom;
  EXPECT_FALSE(has(dom, "data-status=\"pending\"")) << dom;
  EXPECT_TRUE(has(dom, result)) << "the delivered result is shown for the selected order: " << dom;
  EXPECT_TRUE(has(dom, "Copy for a bakery")) << dom;

  // Kept as a CI artifact: what a person sees.
  const std::string shot = screenshot_path();
  std::filesystem::remove(shot);
  run_chromium(*chromium, order_url, "--screenshot=" + shot, dir);
  EXPECT_GT(std::filesystem::exists(shot) ? std::filesystem::file_size(shot) : 0u, 10000u) << shot;
}

TEST(BrowserPage, WithoutTheOpenModeOrdersNeedAKey) {
  auto chromium = find_chromium();
  if (!chromium) {
    if (browser_required()) FAIL() << "GIGENT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)";
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium); the browser test is skipped";
  }
  ServerProcess server;
  Client api(server.url());
  Market m = seed(api);
  TempDir dir;
  std::string dom = run_chromium(*chromium, server.url() + "/", "--dump-dom", dir);
  EXPECT_TRUE(has(dom, "Aurora Copywriter")) << dom;
  EXPECT_TRUE(has(dom, "Enter a buyer's or seller's key to see its orders.")) << dom;
  EXPECT_FALSE(has(dom, "data-order-id")) << dom;
}

}  // namespace
