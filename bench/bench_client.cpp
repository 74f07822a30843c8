// gigent-bench-client: the buyer side of the runtime benchmarks, in C++ because
// bash + curl cannot place thousands of orders quickly nor time a pickup to the
// millisecond.
//
//   gigent-bench-client place  URL BUYER_ID BUYER_KEY GIG_ID COUNT [THREADS]
//       places COUNT orders over kept-alive connections; prints the order ids
//   gigent-bench-client pickup URL BUYER_ID BUYER_KEY GIG_ID COUNT [GAP_MS]
//       places one order at a time and polls it (1 ms sleep) until it leaves
//       "pending"; prints one latency per line in ms, then a summary on stderr.
//       The pause between orders is uniform in [0, 2 * GAP_MS), so orders land
//       at random points of a polling daemon's cycle.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "marketplace/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using gigent::marketplace::MarketplaceClient;

struct Args {
  std::string url, buyer_id, buyer_key, gig_id;
  int count = 0;
  int extra = 0;
};

nlohmann::json order_body(const Args& a, int n) {
  return {{"gig_id", a.gig_id},
          {"buyer_id", a.buyer_id},
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
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      MarketplaceClient client({a.url, a.buyer_key});
      for (int n = next++; n < a.count; n = next++) {
        auto r = client.place_order(order_body(a, n));
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

int pickup(const Args& a) {
  int gap_ms = a.extra > 0 ? a.extra : 100;
  MarketplaceClient buyer({a.url, a.buyer_key});
  MarketplaceClient watcher({a.url, ""});
  std::vector<double> latencies;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pause(0, 2 * gap_ms - 1);
  for (int n = 0; n < a.count; ++n) {
    auto sent = Clock::now();  // conservative: includes the POST itself
    auto placed = buyer.place_order(order_body(a, n));
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
    if (!picked) {
      std::fprintf(stderr, "order %s still pending after 60 s\n", id.c_str());
      return 1;
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    latencies.push_back(ms);
    std::printf("%.2f\n", ms);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))];
  };
  std::fprintf(stderr, "pickup over %zu orders: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n", latencies.size(),
               pct(0.50), pct(0.90), pct(0.99), latencies.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: %s place|pickup URL BUYER_ID BUYER_KEY GIG_ID COUNT [THREADS|GAP_MS]\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  Args a{argv[2], argv[3], argv[4], argv[5], std::atoi(argv[6]), argc > 7 ? std::atoi(argv[7]) : 0};
  if (mode == "place") return place(a);
  if (mode == "pickup") return pickup(a);
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
