#pragma once
// Checks of an order's input and of the model's reply against a gig's JSON
// Schemas (`input_schema`, `output_schema`), worded for the buyer and the log.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace gigent::executor {

// Each way `instance` fails `schema`, as "<where>: <what>"; empty when it
// satisfies it. At most `limit` problems (the rest are counted in a last line).
std::vector<std::string> schema_problems(const nlohmann::json& schema, const nlohmann::json& instance,
                                         std::size_t limit = 20);

// An order's input_data as the schema sees it: JSON text decoded, anything
// else as it is; null when empty. Nullopt when it is text that is not JSON.
std::optional<nlohmann::json> input_as_json(const nlohmann::json& input_data);

// The JSON document in a reply: the whole reply, else its first ```json
// block (as delivery/format.cpp reads it); nullopt when neither parses.
std::optional<nlohmann::json> reply_as_json(const std::string& reply);

}  // namespace gigent::executor
