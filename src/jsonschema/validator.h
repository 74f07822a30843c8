#pragma once
// A JSON Schema (draft-07) validator: a gig's input_schema checks an order's
// input_data, its output_schema checks a model's JSON reply. Problems are
// written for the buyer or the model that has to fix the value.
//
// Supported: boolean schemas; type (one or a list; "integer" accepts 1.0);
// properties, required, additionalProperties, patternProperties,
// propertyNames, dependencies, min/maxProperties; items (one schema or a list)
// with additionalItems, contains, min/maxItems, uniqueItems; enum and const
// (JSON equality: 1 == 1.0); minimum, maximum, exclusiveMinimum and
// exclusiveMaximum (numbers, as draft-07 has them), multipleOf; min/maxLength
// in Unicode code points; pattern (std::regex ECMAScript, searched, not
// anchored); allOf, anyOf, oneOf, not, if/then/else; $ref to a JSON Pointer in
// the same document ("#", "#/definitions/x", percent and ~0/~1 escapes),
// recursion included.
//
// Not supported: remote refs and refs to "$id" names (SchemaError); "$id"
// never changes what "#..." names (always this document); "format" and the
// content* keywords are annotations only. Unknown keywords are ignored, as the specification says.
// A pattern is matched byte by byte, so "." is one byte of a multi-byte
// character and \w, \d are ASCII classes.
//
// Limits, so hostile input ends in a problem or a SchemaError, never in a
// stack overflow: schema documents nest at most kMaxSchemaDepth levels,
// instances kMaxInstanceDepth; a validation descends at most
// kMaxEvaluationDepth schemas (a $ref loop ends there) and applies at most
// kMaxEvaluationSteps of them (a schema exponential in its size ends there);
// at most kMaxProblems problems are reported. A pattern is matched in time
// proportional to the text's length times the pattern's size (never
// exponential, never a stack overflow); back-references are refused.
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gigent::jsonschema {

inline constexpr std::size_t kMaxSchemaDepth = 256;
inline constexpr std::size_t kMaxInstanceDepth = 128;
inline constexpr std::size_t kMaxEvaluationDepth = 1000;
inline constexpr std::size_t kMaxEvaluationSteps = 5'000'000;
inline constexpr std::size_t kMaxProblems = 20;

struct Problem {
  std::string instance_path;  // JSON Pointer, "" = the root
  std::string keyword;        // the schema keyword that failed, e.g. "type", "required"; a limit
                              // reached is "depth" (instance nesting) or "$ref" (schema depth, steps)
  std::string message;        // plain words, e.g. "expected a string, got a number"
};

class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CompiledSchema;

// Compiled once, then validate() may run on any number of threads at once.
// Copies share the compiled schema.
class Validator {
 public:
  // Throws SchemaError naming the schema location ("#/properties/age/minimum")
  // of what is unusable.
  explicit Validator(const nlohmann::json& schema);
  // Empty when the instance is valid; else at most kMaxProblems problems.
  std::vector<Problem> validate(const nlohmann::json& instance) const;

 private:
  std::shared_ptr<const CompiledSchema> compiled_;
};

// "/items/0/name: expected a string, got a number" ("/" for the root).
std::string describe(const Problem& problem);

}  // namespace gigent::jsonschema
