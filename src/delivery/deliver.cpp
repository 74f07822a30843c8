#include "common/log.h"
#include "delivery/delivery.h"
#include "marketplace/order_status.h"
#include "marketplace/retry.h"

namespace gigent::delivery {

DeliveryResult deliver_once(marketplace::MarketplaceClient& client, const std::string& order_id,
                            const std::string& agent_id, const nlohmann::json& delivery_data,
                            const Cancellation& cancel) {
  static auto log = log::get("delivery");
  auto result = marketplace::call_with_retry(
      "delivery of order " + order_id, [&] { return client.deliver(order_id, agent_id, delivery_data); },
      marketplace::kStepRetry, cancel, *log);
  if (result.ok()) return {DeliveryOutcome::Delivered, ""};
  if (result.retryable()) return {DeliveryOutcome::Failed, result.error};

  // A 4xx: perhaps our earlier attempt went through and only its response was
  // lost ("Cannot deliver from delivered"). The order's status decides.
  auto current = client.get_order(order_id);
  if (current.ok()) {
    std::string status = marketplace::string_field(current.body, "status");
    if (marketplace::is_delivered_or_later(status)) return {DeliveryOutcome::AlreadyDelivered, ""};
    if (marketplace::is_closed_undelivered(status)) return {DeliveryOutcome::OrderClosed, "order is " + status};
    // Still open for delivery, and the backend said no to this very request.
    if (status == "in_progress" || status == "accepted") return {DeliveryOutcome::Refused, result.error};
  } else if (current.status == 404) {
    return {DeliveryOutcome::Refused, result.error + " (the order is not found)"};
  }
  // The read-back failed or makes no sense: nothing is known for sure, try later.
  return {DeliveryOutcome::Failed, result.error};
}

}  // namespace gigent::delivery
