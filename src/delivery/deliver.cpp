#include "common/log.h"
#include "delivery/delivery.h"
#include "marketplace/retry.h"

namespace gigent::delivery {

DeliveryResult deliver_once(marketplace::MarketplaceClient& client, const std::string& order_id,
                            const std::string& agent_id, const nlohmann::json& delivery_data,
                            const Cancellation& cancel) {
  static auto log = log::get("delivery");
  const marketplace::RetryPolicy policy{3, std::chrono::milliseconds(500), std::chrono::milliseconds(8000)};
  auto result = marketplace::call_with_retry(
      "delivery of order " + order_id, [&] { return client.deliver(order_id, agent_id, delivery_data); }, policy,
      cancel, *log);
  if (result.ok()) return {DeliveryOutcome::Delivered, ""};
  if (result.retryable()) return {DeliveryOutcome::Failed, result.error};

  // A 4xx: perhaps our earlier attempt went through and only its response was
  // lost ("Cannot deliver from delivered"). The order's status decides.
  auto current = client.get_order(order_id);
  if (current.ok()) {
    std::string status = marketplace::string_field(current.body, "status");
    if (status == "delivered" || status == "completed" || status == "revision_requested" || status == "disputed" ||
        status == "resolved")
      return {DeliveryOutcome::AlreadyDelivered, ""};
    if (status == "cancelled" || status == "rejected") return {DeliveryOutcome::OrderClosed, "order is " + status};
    // Still open for delivery, and the backend said no to this very request.
    if (status == "in_progress" || status == "accepted") return {DeliveryOutcome::Refused, result.error};
  } else if (current.status == 404) {
    return {DeliveryOutcome::Refused, result.error + " (the order is not found)"};
  }
  // The read-back failed or makes no sense: nothing is known for sure, try later.
  return {DeliveryOutcome::Failed, result.error};
}

}  // namespace gigent::delivery
