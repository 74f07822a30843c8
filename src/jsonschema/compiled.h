#pragma once
// The compiled form of a schema: every subschema is one Node in a flat vector
// and refers to others by index, so a $ref cycle is just an index that points
// back (no ownership cycle) and validation never looks a keyword up by name.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "jsonschema/pattern.h"
#include "jsonschema/validator.h"

namespace gigent::jsonschema {

using NodeId = int;
inline constexpr NodeId kNoNode = -1;

// One bit per JSON Schema type name.
enum TypeBit : unsigned {
  kNull = 1U << 0,
  kBoolean = 1U << 1,
  kObject = 1U << 2,
  kArray = 1U << 3,
  kNumber = 1U << 4,
  kInteger = 1U << 5,
  kString = 1U << 6,
};

struct PatternSchema {
  Pattern pattern;
  NodeId schema = kNoNode;
};

struct Dependency {
  std::string property;
  std::vector<std::string> required;  // the array form
  NodeId schema = kNoNode;            // the schema form
};

struct Node {
  std::string location;                                    // "#/properties/a", for messages about the schema
  std::optional<bool> constant;                            // a boolean schema (true/false)
  NodeId ref = kNoNode;                                    // draft-07: $ref replaces every sibling keyword
  std::string ref_text;                                    // as written, until resolved
  unsigned types = 0;                                      // TypeBit mask; 0 = any type
  std::vector<std::pair<std::string, NodeId>> properties;  // sorted by name
  std::vector<PatternSchema> pattern_properties;
  NodeId additional_properties = kNoNode;
  NodeId property_names = kNoNode;
  std::vector<std::string> required;
  std::vector<Dependency> dependencies;
  std::optional<std::uint64_t> min_properties, max_properties;
  NodeId items = kNoNode;           // one schema for every item
  std::vector<NodeId> tuple_items;  // the array form of "items"
  bool items_is_tuple = false;
  NodeId additional_items = kNoNode;
  NodeId contains = kNoNode;
  std::optional<std::uint64_t> min_items, max_items;
  bool unique_items = false;
  std::optional<nlohmann::json> enum_values;  // an array
  std::optional<nlohmann::json> const_value;
  std::optional<nlohmann::json> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::optional<std::uint64_t> min_length, max_length;
  std::optional<Pattern> pattern;
  std::vector<NodeId> all_of, any_of, one_of;
  NodeId not_schema = kNoNode;
  NodeId if_schema = kNoNode, then_schema = kNoNode, else_schema = kNoNode;
};

struct CompiledSchema {
  std::vector<Node> nodes;  // nodes[0] is the root
};

// Builds the nodes for `schema`; throws SchemaError.
CompiledSchema compile_schema(const nlohmann::json& schema);

// Validates against the compiled schema (evaluate.cpp).
std::vector<Problem> evaluate(const CompiledSchema& schema, const nlohmann::json& instance);

}  // namespace gigent::jsonschema
