// libFuzzer target: arbitrary bytes as the body (and the first byte as the
// status) of every backend answer, through MarketplaceClient and the code that
// reads its results: the poller (order lists), the agent check, the heartbeat,
// delivery with its read-back, plus decode_embedded_json and format_result.
// The contract: no exception escapes, nothing crashes, and a call reported ok()
// always carries a JSON object or array.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "boot/boot.h"
#include "common/cancel.h"
#include "common/log.h"
#include "common/status_registry.h"
#include "delivery/delivery.h"
#include "heartbeat/heartbeat.h"
#include "listener/poller.h"
#include "marketplace/client.h"

namespace {

// Answers every request with the fuzz input; never touches the network.
class FuzzTransport final : public gigent::http::Transport {
 public:
  FuzzTransport(int status, std::string body) : status_(status), body_(std::move(body)) {}
  gigent::http::ClientResult perform(const gigent::http::ClientRequest&) override {
    gigent::http::ClientResult result;
    if (status_ == 0) {
      result.error = "connection refused";
      return result;
    }
    result.response.status = status_;
    result.response.body = body_;
    return result;
  }

 private:
  int status_;
  std::string body_;
};

const int kStatuses[] = {200, 201, 200, 204, 400, 401, 404, 409, 429, 500, 502, 503, 0, 200, 200, 302};

// Sleeps nothing: retries run at once so one input costs microseconds.
class NoSleep final : public gigent::Sleeper {
 public:
  bool sleep_for(std::chrono::milliseconds, const gigent::Cancellation& cancel) override { return !cancel.cancelled(); }
};

void check(const gigent::marketplace::ApiResult& r) {
  if (r.ok() && !r.body.is_object() && !r.body.is_array()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static bool quiet = [] {
    gigent::log::Options options;
    options.level = spdlog::level::off;
    gigent::log::init(options);
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto transport = std::make_shared<FuzzTransport>(status, body);
  gigent::marketplace::MarketplaceClient client({"http://fuzz", "sk_fuzz"}, transport);

  check(client.list_orders("agent", "seller", "pending", {100, 0}));
  check(client.get_agent("agent"));
  check(client.register_agent({{"name", "x"}}));
  check(client.get_order("order"));

  gigent::StatusRegistry registry;
  gigent::listener::Poller poller(client, "agent");
  auto polled = poller.fetch("pending", 0);
  for (const auto& order : polled.orders)
    if (!order.is_object() || !order["id"].is_string()) std::abort();
  poller.server_supports_long_poll();

  gigent::Cancellation cancel;
  cancel.cancel();  // one attempt each: the retry loops stop at once
  gigent::delivery::deliver_once(client, "order", "agent", {{"content", "x"}}, cancel);
  try {
    gigent::boot::verify_agent(client, {"agent", "sk_fuzz", ""}, cancel);
  } catch (const gigent::boot::BootError&) {
  }
  NoSleep no_sleep;
  gigent::heartbeat::HeartbeatLoop heartbeat(client, "agent", std::chrono::milliseconds(1), registry, no_sleep);
  heartbeat.beat_once();

  auto decoded = gigent::marketplace::decode_embedded_json(nlohmann::json(body));
  (void)decoded;
  for (auto format : {gigent::config::DeliveryFormat::Markdown, gigent::config::DeliveryFormat::Text,
                      gigent::config::DeliveryFormat::Json}) {
    auto formatted = gigent::delivery::format_result(body, format);
    // The delivery must serialise for the wire whatever the model wrote.
    (void)formatted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
