// The validator's messages (what a buyer or a model reads), its schema
// errors, and the guards against hostile schemas and instances. Keyword
// semantics are covered case by case by the official suite
// (jsonschema_suite_test.cpp).
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "jsonschema/validator.h"

namespace gigent::jsonschema {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> described(const json& schema, const json& instance) {
  std::vector<std::string> lines;
  for (const Problem& problem : Validator(schema).validate(instance)) lines.push_back(describe(problem));
  return lines;
}

std::string schema_error(const json& schema) {
  try {
    Validator validator(schema);
  } catch (const SchemaError& error) {
    return error.what();
  }
  return "no SchemaError";
}

const json kGigInput = json::parse(R"({
  "type": "object",
  "required": ["title", "items"],
  "additionalProperties": false,
  "properties": {
    "title": {"type": "string", "minLength": 3, "maxLength": 10},
    "tags": {"type": "array", "maxItems": 5, "uniqueItems": true, "items": {"type": "string"}},
    "items": {"type": "array", "items": {"type": "object", "required": ["name"],
              "properties": {"name": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}}},
    "tone": {"enum": ["formal", "casual"]},
    "ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.25},
    "code": {"type": "string", "pattern": "^[A-Z]{3}$"}
  }
})");

TEST(JsonSchemaMessages, ValidInstanceHasNoProblems) {
  const json order = {{"title", "Logo"}, {"items", {{{"name", "a"}, {"count", 2.0}}}}, {"tags", {"x", "y"}}};
  EXPECT_TRUE(Validator(kGigInput).validate(order).empty());
}

TEST(JsonSchemaMessages, TypeRequiredAndCountsReadAsPlainWords) {
  const json order = {{"items", {{{"name", 5}}}}, {"tags", {"a", "b", "c", "d", "e", "f", "g"}}};
  EXPECT_THAT(described(kGigInput, order),
              ElementsAre("/: missing required property \"title\"", "/items/0/name: expected a string, got a number",
                          "/tags: 7 items, at most 5 allowed"));
}

TEST(JsonSchemaMessages, ProblemCarriesPointerAndKeyword) {
  const std::vector<Problem> problems =
      Validator(kGigInput).validate({{"title", "Logo"}, {"items", json::array({json::object()})}});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].instance_path, "/items/0");
  EXPECT_EQ(problems[0].keyword, "required");
  EXPECT_EQ(problems[0].message, "missing required property \"name\"");
}

TEST(JsonSchemaMessages, EachKeywordHasItsMessage) {
  const json base = {{"title", "Logo"}, {"items", json::array()}};
  auto with = [&](const char* key, const json& value) {
    json order = base;
    order[key] = value;
    return described(kGigInput, order);
  };
  EXPECT_THAT(with("title", "ab"), ElementsAre("/title: 2 characters, at least 3 required"));
  // Code points, not bytes: 10 characters of 2 bytes each are allowed.
  EXPECT_THAT(with("title", "éééééééééé"), ElementsAre());
  EXPECT_THAT(with("title", "ééééééééééé"), ElementsAre("/title: 11 characters, at most 10 allowed"));
  EXPECT_THAT(with("tone", "rude"), ElementsAre("/tone: must be one of \"formal\", \"casual\""));
  EXPECT_THAT(with("ratio", 1), ElementsAre("/ratio: must be less than 1, got 1"));
  EXPECT_THAT(with("ratio", 0.3), ElementsAre("/ratio: must be a multiple of 0.25, got 0.3"));
  EXPECT_THAT(with("code", "abc"), ElementsAre("/code: does not match the pattern \"^[A-Z]{3}$\""));
  EXPECT_THAT(with("tags", {"a", "b", "a"}), ElementsAre("/tags: items 0 and 2 are equal; each item must be unique"));
  EXPECT_THAT(with("colour", "red"), ElementsAre("/: property \"colour\" is not allowed"));
  EXPECT_THAT(with("items", {{{"name", "n"}, {"count", 0}}}), ElementsAre("/items/0/count: must be at least 1, got 0"));
  EXPECT_THAT(with("items", {{{"name", "n"}, {"count", 1.5}}}),
              ElementsAre("/items/0/count: expected an integer, got a number"));
}

TEST(JsonSchemaMessages, RootIsSlashAndKeysAreEscaped) {
  EXPECT_THAT(described({{"type", {"string", "null"}}}, 3), ElementsAre("/: expected a string or null, got a number"));
  const json schema = {{"additionalProperties", {{"type", "integer"}}}};
  EXPECT_THAT(described(schema, {{"a/b~c", "x"}}), ElementsAre("/a~1b~0c: expected an integer, got a string"));
}

TEST(JsonSchemaMessages, AnyOfExplainsTheAlternativeOfTheRightType) {
  const json schema = json::parse(R"({"anyOf": [{"type": "string"},
      {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}]})");
  EXPECT_THAT(described(schema, json::object()), ElementsAre("/: missing required property \"url\""));
  EXPECT_THAT(described(schema, 4), ElementsAre("/: expected an object or a string, got a number"));
  const json two_objects = json::parse(R"({"oneOf": [{"type": "object", "required": ["a"]},
      {"type": "object", "required": ["b"]}]})");
  EXPECT_THAT(described(two_objects, json::object()), ElementsAre("/: matches none of the 2 allowed alternatives"));
  EXPECT_THAT(described(two_objects, {{"a", 1}, {"b", 2}}),
              ElementsAre("/: matches 2 of the alternatives (numbers 0, 1) where exactly one must match"));
}

TEST(JsonSchemaMessages, OtherKeywords) {
  EXPECT_THAT(described(false, 1), ElementsAre("/: no value is allowed here"));
  EXPECT_THAT(described({{"const", "x"}}, "y"), ElementsAre("/: must be \"x\""));
  EXPECT_THAT(described({{"not", {{"type", "null"}}}}, nullptr),
              ElementsAre("/: matches a schema it must not match (\"not\")"));
  EXPECT_THAT(described({{"items", {{{"type", "integer"}}}}, {"additionalItems", false}}, {1, 2, 3}),
              ElementsAre("/: 3 items, at most 1 allowed"));
  EXPECT_THAT(described({{"minProperties", 2}}, {{"a", 1}}), ElementsAre("/: 1 property, at least 2 required"));
  EXPECT_THAT(described({{"dependencies", {{"a", {"b"}}}}}, {{"a", 1}}),
              ElementsAre("/: property \"a\" requires property \"b\""));
  EXPECT_THAT(described({{"propertyNames", {{"maxLength", 2}}}}, {{"abc", 1}}),
              ElementsAre("/: property name \"abc\": 3 characters, at most 2 allowed"));
  EXPECT_THAT(described({{"contains", {{"type", "null"}}}}, {1}),
              ElementsAre("/: no item matches the schema in \"contains\""));
  const json conditional = {{"if", {{"type", "string"}}}, {"then", {{"minLength", 2}}}, {"else", {{"minimum", 0}}}};
  EXPECT_THAT(described(conditional, "a"), ElementsAre("/: 1 character, at least 2 required"));
  EXPECT_THAT(described(conditional, -1), ElementsAre("/: must be at least 0, got -1"));
}

TEST(JsonSchemaMessages, LongEnumIsCut) {
  json values = json::array();
  for (int i = 0; i < 15; ++i) values.push_back(i);
  const std::vector<std::string> lines = described({{"enum", values}}, "x");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], "/: must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 (and 5 more)");
}

TEST(JsonSchemaRefs, PointersEscapesAndRecursion) {
  const json schema = json::parse(R"({
    "definitions": {"a b": {"type": "integer"}, "t~/x": {"type": "string"},
      "node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/definitions/node"}},
               "value": {"$ref": "#/definitions/a%20b"}, "label": {"$ref": "#/definitions/t~0~1x"}}}},
    "$ref": "#/definitions/node"
  })");
  const json tree =
      json::parse(R"({"value": 1, "children": [{"value": 2, "children": [{"value": "x", "label": 3}]}]})");
  EXPECT_THAT(described(schema, tree), ElementsAre("/children/0/children/0/label: expected a string, got a number",
                                                   "/children/0/children/0/value: expected an integer, got a string"));
  const json whole = {{"properties", {{"next", {{"$ref", "#"}}}}}, {"type", "object"}};
  EXPECT_THAT(described(whole, {{"next", {{"next", 1}}}}), ElementsAre("/next/next: expected an object, got a number"));
}

TEST(JsonSchemaErrors, NameTheSchemaLocation) {
  EXPECT_EQ(schema_error({{"properties", {{"age", {{"minimum", "3"}}}}}}),
            "#/properties/age/minimum: must be a number, got a string");
  EXPECT_THAT(schema_error({{"pattern", "(unclosed"}}), HasSubstr("#/pattern: invalid regular expression"));
  EXPECT_THAT(schema_error({{"type", "text"}}), HasSubstr("#/type: \"text\" is not a type name"));
  EXPECT_THAT(schema_error({{"$ref", "http://example.com/s.json"}}), HasSubstr("points outside this schema"));
  EXPECT_THAT(schema_error({{"$ref", "#/definitions/missing"}}), HasSubstr("points to nothing"));
  EXPECT_THAT(schema_error({{"$ref", "#anchor"}}), HasSubstr("only JSON Pointer references"));
  EXPECT_THAT(schema_error({{"exclusiveMinimum", true}}), HasSubstr("draft-04"));
  EXPECT_THAT(schema_error({{"multipleOf", 0}}), HasSubstr("#/multipleOf: must be greater than 0"));
  EXPECT_THAT(schema_error({{"maxLength", -1}}), HasSubstr("#/maxLength: must be a non-negative integer"));
  EXPECT_THAT(schema_error({{"required", {1}}}), HasSubstr("#/required/0: must be a property name"));
  EXPECT_THAT(schema_error({{"anyOf", json::array()}}), HasSubstr("#/anyOf: must be a non-empty array"));
  EXPECT_THAT(schema_error({{"items", {{"type", 3}}}}), HasSubstr("#/items/type: 3 is not a type name"));
  EXPECT_THAT(schema_error(3), HasSubstr("#: a schema must be an object or a boolean"));
  EXPECT_THAT(schema_error({{"pattern", "(a)\\1"}}), HasSubstr("back-references are not supported"));
  EXPECT_THAT(schema_error({{"definitions", {{"x", {{"minItems", 1.5}}}}}}),
              HasSubstr("#/definitions/x/minItems: must be a non-negative integer"));
}

TEST(JsonSchemaErrors, UnknownKeywordsAreIgnored) {
  EXPECT_TRUE(Validator(json{{"x-note", "anything"}, {"format", "email"}, {"title", 3}}).validate(5).empty());
}

TEST(JsonSchemaGuards, RefOnlyLoopIsASchemaError) {
  const json schema = {{"definitions", {{"a", {{"$ref", "#/definitions/b"}}}, {"b", {{"$ref", "#/definitions/a"}}}}},
                       {"$ref", "#/definitions/a"}};
  EXPECT_THAT(schema_error(schema), HasSubstr("$ref loop"));
  EXPECT_THAT(schema_error({{"$ref", "#"}}), HasSubstr("$ref loop"));
}

TEST(JsonSchemaGuards, LoopThroughApplicatorsEndsInOneProblem) {
  // Legal, but it never moves into the instance: the evaluation depth stops it.
  const Validator validator(json{{"anyOf", {{{"$ref", "#"}}}}});
  const std::vector<Problem> problems = validator.validate(1);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].keyword, "$ref");
  EXPECT_THAT(problems[0].message, HasSubstr("more than 1000 levels deep"));
}

TEST(JsonSchemaGuards, ExponentialSchemaEndsInOneProblem) {
  // Each level applies the next one twice: 2^40 steps if nothing stopped it.
  json definitions = {{"d40", true}};
  for (int i = 0; i < 40; ++i) {
    const json next = {{"$ref", fmt::format("#/definitions/d{}", i + 1)}};
    definitions[fmt::format("d{}", i)] = {{"allOf", {next, next}}};
  }
  const Validator validator(json{{"definitions", definitions}, {"$ref", "#/definitions/d0"}});
  const std::vector<Problem> problems = validator.validate(1);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0].message, HasSubstr("more than 5000000 steps"));
}

json nested_arrays(std::size_t depth) {
  json value = 1;
  for (std::size_t i = 0; i < depth; ++i) value = json::array({std::move(value)});
  return value;
}

TEST(JsonSchemaGuards, DeepInstanceIsOneProblemNotACrash) {
  const Validator validator(json{{"items", {{"$ref", "#"}}}});
  EXPECT_TRUE(validator.validate(nested_arrays(kMaxInstanceDepth)).empty());
  const std::vector<Problem> problems = validator.validate(nested_arrays(100000));
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(describe(problems[0]), "/: the value nests more than 128 levels deep");
}

TEST(JsonSchemaGuards, DeepSchemaIsASchemaError) {
  json schema = json::object();
  for (int i = 0; i < 100000; ++i) schema = {{"not", std::move(schema)}};
  EXPECT_THAT(schema_error(schema), HasSubstr("nests more than 256 levels deep"));
}

TEST(JsonSchemaGuards, ProblemsAreBounded) {
  json values = json::array();
  for (int i = 0; i < 1000; ++i) values.push_back("x");
  EXPECT_EQ(Validator(json{{"items", {{"type", "integer"}}}}).validate(values).size(), kMaxProblems);
}

TEST(JsonSchemaGuards, LongStringAgainstPatternNeedsNoDeepStack) {
  // The default std::regex matcher recurses per character and overflows on
  // this; the validator's does not, and the search stays linear.
  const Validator validator(json{{"pattern", "(a|b)*c"}});
  EXPECT_THAT(described({{"pattern", "(a|b)*c"}}, std::string(200000, 'a')),
              ElementsAre("/: does not match the pattern \"(a|b)*c\""));
  EXPECT_TRUE(validator.validate(std::string(200000, 'a') + "c").empty());
}

TEST(JsonSchemaGuards, PatternGroupNesting) {
  EXPECT_THAT(schema_error({{"pattern", std::string(100, '(') + std::string(100, ')')}}), HasSubstr("nest"));
}

TEST(JsonSchemaValidator, ConcurrentValidateSharesOneSchema) {
  const Validator validator(kGigInput);
  const json bad = {{"items", {{{"name", 5}}}}};
  std::vector<std::thread> threads;
  std::vector<std::size_t> counts(4);
  for (std::size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) counts[t] += validator.validate(bad).size();
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::size_t count : counts) EXPECT_EQ(count, 400U);
}

TEST(JsonSchemaValidator, NumbersCompareExactlyAndAcrossKinds) {
  EXPECT_TRUE(Validator(json{{"const", 1}}).validate(1.0).empty());
  EXPECT_TRUE(Validator(json{{"enum", {json::array({1.0, json::object()})}}})
                  .validate(json::array({1, json::object()}))
                  .empty());
  EXPECT_FALSE(Validator(json{{"maximum", 9007199254740992ULL}}).validate(9007199254740993ULL).empty());
  EXPECT_TRUE(Validator(json{{"minimum", -1}}).validate(18446744073709551615ULL).empty());
  EXPECT_TRUE(Validator(json{{"type", "integer"}}).validate(1.0).empty());
  EXPECT_FALSE(Validator(json{{"uniqueItems", true}}).validate({1, 1.0}).empty());
  // 2^63 - 1 is 7 * 1317624576693539401: checked without overflow or rounding.
  EXPECT_TRUE(Validator(json{{"multipleOf", 7}}).validate(json(INT64_MIN + 1)).empty());
  EXPECT_FALSE(Validator(json{{"multipleOf", 7}}).validate(json(INT64_MIN)).empty());
}

}  // namespace
}  // namespace gigent::jsonschema
