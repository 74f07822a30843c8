#pragma once
// Step 8-9 of the order loop: turn the model's text into the contract's
// delivery_data shape, and deliver it exactly once.
#include <string>

#include <nlohmann/json.hpp>

#include "common/cancel.h"
#include "config/config.h"
#include "marketplace/client.h"

namespace gigent::delivery {

// markdown/text: {"content": text, "format": ..}. json: {"result": <parsed>,
// "format": "json"}, from the whole reply or its first ```json fence; when
// nothing parses, {"result": text, "format": "text"}.
nlohmann::json format_result(const std::string& text, config::DeliveryFormat format);

enum class DeliveryOutcome {
  Delivered,         // this call delivered it
  AlreadyDelivered,  // a previous call did (its response was lost) or the order is past delivery
  OrderClosed,       // cancelled/rejected meanwhile: nothing to deliver
  Failed,            // could not deliver now (transient): keep the result and try later
  Refused,           // the backend will never take it (413, 403, 404, an unexplained 400): give up
};

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::Failed;
  std::string error;  // for Failed and Refused
};

// POST /api/orders/:id/deliver with a few retries; a 4xx is resolved by
// reading the order back, so a delivery whose response was lost is not
// mistaken for a failure. A 4xx that the read-back does not explain is
// Refused: retrying the same request would be refused the same way forever.
DeliveryResult deliver_once(marketplace::MarketplaceClient& client, const std::string& order_id,
                            const std::string& agent_id, const nlohmann::json& delivery_data,
                            const Cancellation& cancel);

}  // namespace gigent::delivery
