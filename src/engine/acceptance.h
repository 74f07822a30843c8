#pragma once
// runtime.auto_accept as a rule: which new orders the daemon accepts by
// itself. An order outside the rule stays pending for the operator
// (`gigent-runtime accept ORDER_ID`); `status` lists it with the reason.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace gigent::engine {

// Why the pending `order` is left for the operator: auto_accept is false, or
// the order fails a condition of the rule. nullopt when the daemon takes it.
std::optional<std::string> left_for_operator(const config::Config& config, const nlohmann::json& order);

// The order's price in USD as the backend sent it (a number, or a numeric
// string as the deployed service sends it); nullopt when it has none.
std::optional<double> order_price(const nlohmann::json& order);

}  // namespace gigent::engine
