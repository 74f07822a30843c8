#pragma once
// A tiny HTTP proxy for the fault suite: the runtime talks to it instead of
// gigent-server; it forwards every request to the real server, except that a
// test-supplied rule may answer instead (500, HTML, garbage, wrong types),
// forward and then garble the answer (a lost response), hold the request
// unanswered, or drop the connection. It counts, per order, the delivery
// POSTs sent and the deliveries the backend accepted, so "delivered exactly
// once" is measured, not assumed.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/cancel.h"
#include "http/client.h"
#include "http/server.h"

namespace gigent::testing {

struct ProxyDecision {
  enum Kind { Forward, Respond, ForwardThenRespond, ForwardThenHold, Hold, Drop } kind = Forward;
  http::Response response;  // for Respond and ForwardThenRespond
};

inline ProxyDecision forward() {
  return {};
}
inline ProxyDecision respond(int status, std::string body, std::string content_type = "application/json") {
  ProxyDecision d;
  d.kind = ProxyDecision::Respond;
  d.response.status = status;
  d.response.body = std::move(body);
  d.response.content_type = std::move(content_type);
  return d;
}
inline ProxyDecision garble_after_forwarding(int status, std::string body) {
  auto d = respond(status, std::move(body), "text/html");
  d.kind = ProxyDecision::ForwardThenRespond;
  return d;
}
inline ProxyDecision hold() {
  ProxyDecision d;
  d.kind = ProxyDecision::Hold;
  return d;
}

// "POST /api/orders/ID/deliver" → ID, else "".
inline std::string delivered_order_id(const http::Request& r) {
  const std::string prefix = "/api/orders/", suffix = "/deliver";
  if (r.method != "POST" || r.path.rfind(prefix, 0) != 0 || r.path.size() <= prefix.size() + suffix.size() ||
      r.path.compare(r.path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return "";
  return r.path.substr(prefix.size(), r.path.size() - prefix.size() - suffix.size());
}

class FaultProxy {
 public:
  using Rule = std::function<ProxyDecision(const http::Request&)>;

  explicit FaultProxy(std::string upstream)
      : upstream_(std::move(upstream)),
        server_(http::ServerOptions{"127.0.0.1", 0, 2, 20u << 20, std::chrono::seconds(30)},
                [this](http::Request&& request, http::Reply reply) { handle(std::move(request), std::move(reply)); }) {
    server_.start();
  }
  ~FaultProxy() {
    release_held();
    stop_.cancel();
    server_.stop();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

  // nullptr: forward everything.
  void set_rule(Rule rule) {
    std::lock_guard lock(mutex_);
    rule_ = std::move(rule);
  }

  // Deliveries the backend answered 2xx, by order id.
  int deliveries(const std::string& order_id) const {
    std::lock_guard lock(mutex_);
    auto it = deliveries_.find(order_id);
    return it == deliveries_.end() ? 0 : it->second;
  }
  int deliver_attempts() const { return deliver_attempts_.load(); }
  // Every POST /deliver of the order that reached the proxy, whatever the
  // answer: the backend accepts one delivery at most, so a duplicate shows
  // here, never in deliveries().
  int deliver_posts(const std::string& order_id) const {
    std::lock_guard lock(mutex_);
    auto it = deliver_posts_.find(order_id);
    return it == deliver_posts_.end() ? 0 : it->second;
  }
  int upstream_failures() const { return upstream_failures_.load(); }
  int faults_injected() const { return faults_.load(); }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Held requests get their connection closed, unanswered.
  void release_held() {
    std::vector<http::Reply> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    held.clear();
  }
  // Waits until `condition` holds (checked every 10 ms) or `timeout` passes.
  static bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  void handle(http::Request&& request, http::Reply reply) {
    ProxyDecision decision;
    bool respond_now = false;
    {
      std::lock_guard lock(mutex_);
      if (rule_) decision = rule_(request);
      if (decision.kind != ProxyDecision::Forward) faults_++;
      if (auto id = delivered_order_id(request); !id.empty()) {
        deliver_attempts_++;
        deliver_posts_[id]++;
      }
      switch (decision.kind) {
        case ProxyDecision::Respond:
          respond_now = true;  // outside the lock
          break;
        case ProxyDecision::Hold:
          held_.push_back(std::move(reply));
          return;
        case ProxyDecision::Drop:
          return;  // the Reply dies unanswered: the connection is closed
        default:
          // Forwarding blocks (long-polls do for seconds): never on the server's threads.
          threads_.emplace_back([this, request = std::move(request), reply = std::move(reply), decision]() mutable {
            forward_request(request, reply, decision);
          });
      }
    }
    if (respond_now) reply(std::move(decision.response));
  }

  void forward_request(const http::Request& request, http::Reply& reply, const ProxyDecision& decision) {
    http::Client client(&stop_);
    http::ClientRequest out;
    out.method = request.method;
    out.url = upstream_ + request.target;
    out.body = request.body;
    out.total_timeout = std::chrono::seconds(60);
    for (const auto& [name, value] : request.headers)
      if (name == "x-api-key" || name == "content-type" || name == "accept") out.headers.push_back({name, value});
    auto result = client.perform(out);
    if (!result.ok()) {
      upstream_failures_++;
      return;  // the backend is down: the runtime sees its connection closed
    }
    std::string order_id = delivered_order_id(request);
    if (!order_id.empty() && result.response.status >= 200 && result.response.status < 300) {
      std::lock_guard lock(mutex_);
      deliveries_[order_id]++;
    }
    if (decision.kind == ProxyDecision::ForwardThenRespond) {
      reply(decision.response);
      return;
    }
    if (decision.kind == ProxyDecision::ForwardThenHold) {
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(reply));
      return;
    }
    http::Response response;
    response.status = result.response.status;
    response.body = std::move(result.response.body);
    response.content_type = result.response.header("content-type").value_or("application/json");
    reply(std::move(response));
  }

  std::string upstream_;
  Cancellation stop_;
  mutable std::mutex mutex_;
  Rule rule_;
  std::map<std::string, int> deliveries_;
  std::map<std::string, int> deliver_posts_;
  std::vector<http::Reply> held_;
  std::vector<std::thread> threads_;
  std::atomic<int> deliver_attempts_{0};
  std::atomic<int> upstream_failures_{0};
  std::atomic<int> faults_{0};
  http::Server server_;  // last: stopped (in the destructor) before the rest goes
};

}  // namespace gigent::testing
