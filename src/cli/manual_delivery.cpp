#include "cli/manual_delivery.h"

#include <iostream>

#include "boot/credentials.h"
#include "common/cancel.h"
#include "delivery/delivery.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "marketplace/client.h"

namespace gigent::cli {

int deliver_kept_result(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                        bool show_only) {
  auto paths = engine::RuntimePaths::for_config(config.path);
  std::optional<boot::Credentials> creds;
  try {
    creds = boot::load_credentials(paths.credentials);
  } catch (const boot::CredentialsError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return engine::kExitBootFailed;
  }
  if (!creds) {
    std::cerr << "error: no " << paths.credentials << ": this agent has not been registered yet\n";
    return engine::kExitBootFailed;
  }
  try {
    engine::Journal journal(paths.journal);
    auto record = journal.get(order_id);
    if (!record ||
        (record->state != engine::JobState::AwaitingDelivery && record->state != engine::JobState::ResultReady)) {
      std::cerr << "error: no result kept for order " << order_id
                << " (state: " << (record ? engine::to_string(record->state) : std::string("unknown to this runtime"))
                << ")\n";
      return engine::kExitFailure;
    }
    auto data = nlohmann::json::parse(record->delivery_data, nullptr, false);
    if (data.is_discarded()) data = {{"content", record->delivery_data}, {"format", "text"}};
    if (show_only) {
      std::cout << data.dump(2) << "\n";
      return engine::kExitOk;
    }
    Cancellation never;
    marketplace::MarketplaceClient client({backend_url, creds->api_key});
    auto outcome = delivery::deliver_once(client, order_id, creds->agent_id, data, never);
    switch (outcome.outcome) {
      case delivery::DeliveryOutcome::Delivered:
      case delivery::DeliveryOutcome::AlreadyDelivered:
        record->state = engine::JobState::Delivered;
        journal.put(*record);
        std::cout << "order " << order_id << " delivered\n";
        return engine::kExitOk;
      case delivery::DeliveryOutcome::OrderClosed:
        record->state = engine::JobState::Closed;
        journal.put(*record);
        std::cerr << "order " << order_id << " was closed meanwhile (" << outcome.error << "); nothing delivered\n";
        return engine::kExitFailure;
      case delivery::DeliveryOutcome::Failed:
        std::cerr << "error: delivery of order " << order_id << " failed: " << outcome.error
                  << "; the result stays kept, try again\n";
        return engine::kExitFailure;
      case delivery::DeliveryOutcome::Refused:
        std::cerr << "error: the marketplace refused the delivery of order " << order_id << ": " << outcome.error
                  << "; the result stays kept in the journal, but sending it again would be refused the same way\n";
        return engine::kExitFailure;
    }
  } catch (const engine::JournalError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return engine::kExitFailure;
  }
  return engine::kExitFailure;
}

}  // namespace gigent::cli
