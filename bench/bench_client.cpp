// gigent-bench-client: the buyer side of the runtime benchmarks, in C++ because
// bash + curl cannot place thousands of orders quickly nor time a pickup to the
// millisecond.
//
//   gigent-bench-client place  URL BUYER_ID BUYER_KEY GIG_ID COUNT [THREADS]
//       places COUNT orders over kept-alive connections; prints the order ids
//   gigent-bench-client pickup URL BUYER_ID BUYER_KEY GIG_ID COUNT [GAP_MS]
//       places one order at a time and polls it (1 ms sleep) until it leaves
//       "pending"; prints one latency per line in ms, then a summary on stderr.
//       The pause between orders is uniform in [0, 2 * GAP_MS).
//   gigent-bench-client pickup-wait URL GIGS_FILE COUNT [GAP_MS]
//       the same for many sellers: each order goes to a random gig of GIGS_FILE
//       (one gig id per line) and is placed by a buyer of its own, registered
//       first, whose long-poll on its orders out of "pending" is parked before the
//       POST: the server answers it the moment the seller accepts, where a 1 ms
//       polling loop would add up to a millisecond and a request per millisecond.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "http/client.h"
#include "marketplace/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using gigent::marketplace::MarketplaceClient;

struct Args {
  std::string url, buyer_id, buyer_key, gig_id;
  int count = 0;
  int extra = 0;
};

nlohmann::json order_body(const std::string& gig_id, const std::string& buyer_id, int n) {
  return {{"gig_id", gig_id},
          {"buyer_id", buyer_id},
          {"tier", "basic"},
          {"pay_now", false},
          {"brief", "Benchmark order " + std::to_string(n) + ": write two sentences about write-ahead logs."}};
}

int place(const Args& a) {
  int threads = std::max(1, a.extra);
  std::atomic<int> next{0}, failed{0};
  std::mutex out;
  auto start = Clock::now();
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      MarketplaceClient client({a.url, a.buyer_key});
      for (int n = next++; n < a.count; n = next++) {
        auto r = client.place_order(order_body(a.gig_id, a.buyer_id, n));
        if (!r.ok()) {
          failed++;
          std::fprintf(stderr, "place failed: %s\n", r.error.c_str());
          continue;
        }
        std::lock_guard lock(out);
        std::printf("%s\n", r.body.value("id", "").c_str());
      }
    });
  }
  for (auto& t : pool) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "placed %d orders in %.3f s (%.0f/s), %d failed\n", a.count - failed.load(), secs,
               (a.count - failed.load()) / secs, failed.load());
  return failed.load() == 0 ? 0 : 1;
}

// The figures of a pickup run: each order's latency printed as it comes, a
// random pause after it (uniform in [0, 2 * gap_ms), so orders land at random
// points of a polling daemon's cycle), the percentiles at the end.
class Pickups {
 public:
  explicit Pickups(int gap_ms) : pause_(0, 2 * std::max(1, gap_ms) - 1) {}

  void record(Clock::time_point sent, Clock::time_point seen) {
    double ms = std::chrono::duration<double, std::milli>(seen - sent).count();
    latencies_.push_back(ms);
    std::printf("%.2f\n", ms);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_(rng_)));
  }

  static int missed(const std::string& order_id) {
    std::fprintf(stderr, "order %s still pending after 60 s\n", order_id.c_str());
    return 1;
  }

  int summarize() {
    std::sort(latencies_.begin(), latencies_.end());
    auto pct = [&](double p) {
      return latencies_[std::min(latencies_.size() - 1, static_cast<std::size_t>(p * latencies_.size()))];
    };
    std::fprintf(stderr, "pickup over %zu orders: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                 latencies_.size(), pct(0.50), pct(0.90), pct(0.99), latencies_.back());
    return 0;
  }

 private:
  std::vector<double> latencies_;
  std::mt19937 rng_{42};
  std::uniform_int_distribution<int> pause_;
};

int pickup(const Args& a) {
  Pickups pickups(a.extra > 0 ? a.extra : 100);
  MarketplaceClient buyer({a.url, a.buyer_key});
  MarketplaceClient watcher({a.url, a.buyer_key});  // reading an order takes a party's key
  for (int n = 0; n < a.count; ++n) {
    auto sent = Clock::now();  // conservative: includes the POST itself
    auto placed = buyer.place_order(order_body(a.gig_id, a.buyer_id, n));
    if (!placed.ok()) {
      std::fprintf(stderr, "place failed: %s\n", placed.error.c_str());
      return 1;
    }
    std::string id = placed.body.value("id", "");
    auto deadline = sent + std::chrono::seconds(60);
    bool picked = false;
    while (Clock::now() < deadline) {
      auto r = watcher.get_order(id);
      if (r.ok() && r.body.value("status", "pending") != "pending") {
        picked = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!picked) return Pickups::missed(id);
    pickups.record(sent, Clock::now());
  }
  return pickups.summarize();
}

struct Buyer {
  std::string id, key;
};

// Every status an order can move to from "pending".
constexpr const char* kLeftPending =
    "accepted,in_progress,delivered,completed,rejected,cancelled,revision_requested,disputed,resolved";

int pickup_wait(const std::string& url, const std::string& gigs_file, int count, int gap_ms) {
  std::vector<std::string> gigs;
  std::ifstream in(gigs_file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) gigs.push_back(line);
  if (gigs.empty()) {
    std::fprintf(stderr, "no gig ids in %s\n", gigs_file.c_str());
    return 1;
  }
  // One buyer per order keeps each buyer's list empty until its one order is
  // taken, so the long-poll is held exactly until then.
  std::vector<Buyer> buyers;
  buyers.reserve(static_cast<std::size_t>(std::max(0, count)));
  MarketplaceClient registrar({url, ""});
  for (int n = 0; n < count; ++n) {
    auto r = registrar.register_agent(
        {{"name", "Bench Buyer " + std::to_string(n)}, {"owner_wallet", "0x00000000000000000000000000000000000000b1"}});
    if (!r.ok()) {
      std::fprintf(stderr, "registering a buyer failed: %s\n", r.error.c_str());
      return 1;
    }
    buyers.push_back({r.body.value("id", ""), r.body.value("api_key", "")});
  }
  gigent::Cancellation stop;
  // Kept-alive connections across orders: one for the POSTs, one for the long-polls.
  auto post_transport = std::make_shared<gigent::http::Client>();
  auto wait_transport = std::make_shared<gigent::http::Client>(&stop);
  Pickups pickups(gap_ms);
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, gigs.size() - 1);
  for (int n = 0; n < count; ++n) {
    const Buyer& b = buyers[static_cast<std::size_t>(n)];
    MarketplaceClient poster({url, b.key}, post_transport);
    MarketplaceClient watcher({url, b.key}, wait_transport);
    std::optional<Clock::time_point> seen;
    auto sent = Clock::now();  // conservative: includes the POST itself
    std::thread watch([&] {
      auto deadline = sent + std::chrono::seconds(60);
      while (!stop.cancelled() && Clock::now() < deadline) {
        auto r = watcher.list_orders(b.id, "buyer", kLeftPending, {1, 0}, 30);
        if (r.ok() && r.body.contains("orders") && !r.body["orders"].empty()) {
          seen = Clock::now();
          return;
        }
        if (!r.ok()) stop.wait_for(std::chrono::milliseconds(10));
      }
    });
    auto placed = poster.place_order(order_body(gigs[pick(rng)], b.id, n));
    if (!placed.ok()) {
      stop.cancel();
      watch.join();
      std::fprintf(stderr, "place failed: %s\n", placed.error.c_str());
      return 1;
    }
    watch.join();
    if (!seen) return Pickups::missed(placed.body.value("id", ""));
    pickups.record(sent, *seen);
  }
  return pickups.summarize();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "pickup-wait")
    return pickup_wait(argv[2], argv[3], std::atoi(argv[4]), argc > 5 ? std::atoi(argv[5]) : 100);
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: %s place|pickup URL BUYER_ID BUYER_KEY GIG_ID COUNT [THREADS|GAP_MS]\n"
                 "       %s pickup-wait URL GIGS_FILE COUNT [GAP_MS]\n",
                 argv[0], argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  Args a{argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]), argc > 7 ? std::atoi(argv[7]) : 0};
  if (mode == "place") return place(a);
  if (mode == "pickup") return pickup(a);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
