// The poll loop and its page fetcher against a backend that pages the way
// GET /api/orders does (newest first, limit and offset) and a client that
// refuses bodies over its size limit: one bad page or row never blocks the
// other orders, and orders are taken as soon as their page arrives.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "common/status_registry.h"
#include "listener/poll_loop.h"
#include "listener/poller.h"
#include "marketplace/client.h"

using namespace gigent;
using namespace gigent::listener;

namespace {

// Rows are stored newest first; a row is either an order or raw JSON text.
class PagingBackend final : public http::Transport {
 public:
  std::vector<std::string> rows;  // JSON text of each row, newest first
  int list_requests = 0;
  std::vector<int> limits_asked;

  void add_order(const std::string& id, std::size_t brief_bytes = 10) {
    rows.push_back(nlohmann::json{{"id", id}, {"status", "pending"}, {"brief", std::string(brief_bytes, 'b')}}.dump());
  }

  http::ClientResult perform(const http::ClientRequest& request) override {
    http::ClientResult result;
    std::smatch m;
    if (!std::regex_search(request.url, m, std::regex("limit=(\\d+)&offset=(\\d+)"))) {
      result.error = "unexpected request " + request.url;
      return result;
    }
    ++list_requests;
    std::size_t limit = std::stoul(m[1]), offset = std::stoul(m[2]);
    limits_asked.push_back(static_cast<int>(limit));
    std::string body = "{\"orders\":[";
    for (std::size_t i = offset; i < rows.size() && i < offset + limit; ++i) body += (i == offset ? "" : ",") + rows[i];
    body += "]}";
    if (body.size() > request.max_response_bytes) {  // what the libcurl client does
      result.error = "response body larger than " + std::to_string(request.max_response_bytes) + " bytes";
      result.too_large = true;
      return result;
    }
    result.response.status = 200;
    result.response.body = std::move(body);
    return result;
  }
};

struct Fixture {
  std::shared_ptr<PagingBackend> backend = std::make_shared<PagingBackend>();
  marketplace::MarketplaceClient client{{"http://backend", "sk_test"}, backend};
};

std::vector<std::string> ids_of(const std::vector<nlohmann::json>& orders) {
  std::vector<std::string> ids;
  for (const auto& o : orders) ids.push_back(o["id"].get<std::string>());
  return ids;
}

constexpr std::size_t kHuge = 9'500'000;  // two of them pass the client's 16 MB limit

TEST(RuntimePoll, TwoHugeOrdersInOnePageDoNotHideTheOthers) {
  Fixture f;
  f.backend->add_order("newest");
  f.backend->add_order("huge-1", kHuge);
  f.backend->add_order("huge-2", kHuge);
  for (int i = 0; i < 150; ++i) f.backend->add_order("old-" + std::to_string(i));
  Poller poller(f.client, "agent");
  auto result = poller.fetch("pending");
  ASSERT_TRUE(result.ok) << result.error;
  auto ids = ids_of(result.orders);
  EXPECT_EQ(ids.size(), 153u);
  EXPECT_EQ(ids.front(), "old-149") << "oldest first";
  EXPECT_EQ(ids.back(), "newest");
  EXPECT_TRUE(result.unreadable.empty());
}

TEST(RuntimePoll, AnOrderTooLargeOnItsOwnIsSkippedAndDescribed) {
  Fixture f;
  f.backend->add_order("a");
  f.backend->add_order("monster", 17'000'000);
  f.backend->add_order("b");
  f.backend->rows.push_back("\"not an order\"");
  f.backend->rows.push_back(R"({"status":"pending"})");
  f.backend->add_order("c");
  Poller poller(f.client, "agent");
  auto result = poller.fetch("pending");
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(ids_of(result.orders), (std::vector<std::string>{"c", "b", "a"}));
  ASSERT_EQ(result.unreadable.size(), 3u);
  int too_large = 0;
  for (const auto& what : result.unreadable)
    if (what.find("position 2 of the pending list") != std::string::npos &&
        what.find("larger than") != std::string::npos)
      too_large++;
  EXPECT_EQ(too_large, 1) << ::testing::PrintToString(result.unreadable);
}

// Takes what it is given and stops the loop at the first order, noting how
// many list requests had been made by then.
class FirstOrderStops final : public OrderSink {
 public:
  FirstOrderStops(Cancellation& stop, PagingBackend& backend) : stop_(stop), backend_(backend) {}
  void wait_for_free_worker(const Cancellation&) override {}
  bool has_free_worker() override { return true; }
  Taken take(const nlohmann::json& order) override {
    taken.push_back(order["id"].get<std::string>());
    requests_at_first_take = backend_.list_requests;
    stop_.cancel();
    return Taken::Yes;
  }
  std::vector<std::string> taken;
  int requests_at_first_take = -1;

 private:
  Cancellation& stop_;
  PagingBackend& backend_;
};

TEST(RuntimePoll, TheFirstOrderIsTakenAsSoonAsItsPageArrives) {
  Fixture f;
  for (int i = 0; i < 1000; ++i) f.backend->add_order(fmt::format("o{}", i));
  Cancellation stop;
  FirstOrderStops sink(stop, *f.backend);
  StatusRegistry status;
  PollLoop loop(f.client, "agent", sink, status, {});
  loop.run(stop);
  ASSERT_EQ(sink.taken.size(), 1u);
  EXPECT_EQ(sink.requests_at_first_take, 1) << "all ten pages were read before the first order was taken";
  EXPECT_EQ(status.get(PollLoop::kStatusEntry).state, "stopped");
  EXPECT_EQ(status.get(PollLoop::kStatusEntry).successes, 1);
}

// Takes every order until `want` were taken; every taken order leaves the list.
class TakesAll final : public OrderSink {
 public:
  TakesAll(Cancellation& stop, PagingBackend& backend, std::size_t want)
      : stop_(stop), backend_(backend), want_(want) {}
  void wait_for_free_worker(const Cancellation&) override {}
  bool has_free_worker() override { return true; }
  Taken take(const nlohmann::json& order) override {
    std::string id = order["id"].get<std::string>();
    taken.push_back(id);
    auto& rows = backend_.rows;
    for (auto it = rows.begin(); it != rows.end(); ++it)
      if (marketplace::string_field(nlohmann::json::parse(*it, nullptr, false), "id") == id) {
        rows.erase(it);
        break;
      }
    if (taken.size() >= want_) stop_.cancel();
    return Taken::Yes;
  }
  std::vector<std::string> taken;

 private:
  Cancellation& stop_;
  PagingBackend& backend_;
  std::size_t want_;
};

TEST(RuntimePoll, TakingOrdersBetweenPagesSkipsNoneAndTheUnreadableAreReported) {
  Fixture f;
  for (int i = 0; i < 250; ++i) f.backend->add_order(fmt::format("o{}", i));
  f.backend->rows.insert(f.backend->rows.begin() + 120, "[1,2]");
  Cancellation stop;
  TakesAll sink(stop, *f.backend, 250);
  StatusRegistry status;
  PollOptions options;
  options.interval = std::chrono::milliseconds(1);
  PollLoop loop(f.client, "agent", sink, status, options);
  loop.run(stop);
  ASSERT_EQ(sink.taken.size(), 250u);
  std::set<std::string> distinct(sink.taken.begin(), sink.taken.end());
  EXPECT_EQ(distinct.size(), 250u) << "an order was taken twice";
  EXPECT_LE(f.backend->list_requests, 4) << "each page read once, not the list again per order";
  auto problems = status.get(PollLoop::kStatusEntry).problems;
  ASSERT_EQ(problems.size(), 1u) << "the unreadable row is reported in the status";
  EXPECT_NE(problems[0].find("array"), std::string::npos) << problems[0];
}

}  // namespace
