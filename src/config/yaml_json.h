#pragma once
// A YAML node as JSON, for the JSON Schemas a gig carries (`input_schema`,
// `output_schema`), which operators write as YAML mappings or as JSON text.
// Internal to config/.
#include <yaml-cpp/yaml.h>

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

namespace gigent::config {

// The node converted: mappings to objects, sequences to arrays, plain scalars
// to null, booleans and numbers where YAML's core schema reads them so, every
// other scalar to a string. A scalar string holding a JSON document (`'{...}'`
// or a `|` block) is parsed as JSON. The error, on failure, says what is wrong
// (keys that are not scalars, JSON that does not parse, a node too large).
std::variant<nlohmann::json, std::string> yaml_to_json(const YAML::Node& node);

}  // namespace gigent::config
