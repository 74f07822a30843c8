#include "cli/accept_order.h"

#include <optional>

#include "boot/credentials.h"
#include "engine/engine.h"
#include "engine/order_processor.h"
#include "marketplace/client.h"

namespace gigent::cli {

namespace {

constexpr const char* kDaemonTakesIt =
    "; a daemon running for this config works it within about 15 s (see `gigent-runtime status`)";

// True when the order is accepted or in progress with this agent as seller.
bool ours_and_accepted(const marketplace::ApiResult& order, const std::string& agent_id) {
  const std::string status = marketplace::string_field(order.body, "status");
  return order.ok() && marketplace::string_field(order.body, "seller_id") == agent_id &&
         (status == "accepted" || status == "in_progress");
}

}  // namespace

int accept_order(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                 std::ostream& out, std::ostream& err) {
  if (!engine::valid_order_id(order_id)) {
    err << "error: \"" << order_id.substr(0, 80)
        << "\" is not an order id (1 to 64 characters of A-Z a-z 0-9 - _; see `gigent-runtime status`)\n";
    return engine::kExitBadConfig;
  }
  const auto paths = engine::RuntimePaths::for_config(config.path);
  std::optional<boot::Credentials> creds;
  try {
    creds = boot::load_credentials(paths.credentials);
  } catch (const boot::CredentialsError& e) {
    err << "error: " << e.what() << "\n";
    return engine::kExitBootFailed;
  }
  if (!creds) {
    err << "error: no " << paths.credentials << ": this agent has not been registered yet\n";
    return engine::kExitBootFailed;
  }
  marketplace::MarketplaceClient client({backend_url, creds->api_key});
  auto order = client.get_order(order_id);
  if (!order.ok()) {
    err << "error: cannot read order " << order_id << ": " << order.error << "\n";
    return order.status == 401 ? engine::kExitBootFailed : engine::kExitFailure;
  }
  const std::string status = marketplace::string_field(order.body, "status");
  if (marketplace::string_field(order.body, "seller_id") != creds->agent_id) {
    err << "error: order " << order_id << " is not an order of this agent (" << creds->agent_id << ")\n";
    return engine::kExitFailure;
  }
  if (ours_and_accepted(order, creds->agent_id)) {
    out << "order " << order_id << " is already " << status << kDaemonTakesIt << "\n";
    return engine::kExitOk;
  }
  if (status != "pending") {
    err << "error: order " << order_id << " is " << status << "; only a pending order can be accepted\n";
    return engine::kExitFailure;
  }
  auto accepted = client.set_order_status(order_id, "accepted", creds->agent_id);
  // A lost answer may hide an accept that went through: the order decides.
  if (!accepted.ok() && !ours_and_accepted(client.get_order(order_id), creds->agent_id)) {
    err << "error: could not accept order " << order_id << ": " << accepted.error << "\n";
    return engine::kExitFailure;
  }
  out << "order " << order_id << " accepted (\"" << marketplace::string_field(order.body, "gig_title") << "\")"
      << kDaemonTakesIt << "\n";
  return engine::kExitOk;
}

}  // namespace gigent::cli
