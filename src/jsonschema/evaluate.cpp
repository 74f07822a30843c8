// Validation of one instance against the compiled nodes. One Evaluation per
// validate() call holds all mutable state, so the compiled schema is shared
// read-only between threads.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "jsonschema/compiled.h"
#include "jsonschema/numbers.h"
#include "jsonschema/text.h"
#include "jsonschema/validator.h"

namespace gigent::jsonschema {
namespace {

using nlohmann::json;

// Problems found under one schema. `found` counts past `limit`, so whether a
// subschema failed is known even when its problems are no longer kept.
struct Sink {
  std::size_t limit = kMaxProblems;
  std::size_t found = 0;
  std::vector<Problem> problems;

  bool full() const { return found >= limit; }
};

// "a string", "a string or null", "an object, an array or null".
std::string types_phrase(unsigned types) {
  static const std::pair<unsigned, std::string_view> kPhrases[] = {
      {kObject, "an object"},   {kArray, "an array"},    {kString, "a string"}, {kNumber, "a number"},
      {kInteger, "an integer"}, {kBoolean, "a boolean"}, {kNull, "null"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, phrase] : kPhrases) {
    if ((types & bit) != 0 && !(bit == kInteger && (types & kNumber) != 0)) names.push_back(phrase);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

unsigned value_types(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return kNull;
    case json::value_t::boolean:
      return kBoolean;
    case json::value_t::object:
      return kObject;
    case json::value_t::array:
      return kArray;
    case json::value_t::string:
      return kString;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return is_whole(value) ? (kNumber | kInteger) : kNumber;
    default:
      return 0;
  }
}

// Equal values (1 and 1.0 included) hash alike; used to find duplicate items
// without comparing every pair.
std::size_t hash_value(const json& value) {
  switch (value.type()) {
    case json::value_t::boolean:
      return value.get<bool>() ? 3 : 2;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return std::hash<double>{}(value.get<double>());
    case json::value_t::string:
      return std::hash<std::string>{}(value.get_ref<const std::string&>());
    case json::value_t::array:
    case json::value_t::object: {
      std::size_t seed = value.is_array() ? 5 : 7;
      for (const auto& [key, item] : value.items()) {
        const std::size_t key_hash = value.is_object() ? std::hash<std::string>{}(key) : 0;
        seed = seed * 31 + (key_hash ^ hash_value(item));
      }
      return seed;
    }
    default:
      return 1;
  }
}

class Evaluation {
 public:
  explicit Evaluation(const CompiledSchema& schema) : nodes_(schema.nodes) {}

  std::vector<Problem> run(const json& instance) {
    if (nesting_depth(instance, kMaxInstanceDepth) > kMaxInstanceDepth) {
      return {{"", "depth", fmt::format("the value nests more than {} levels deep", kMaxInstanceDepth)}};
    }
    Sink sink;
    check(0, instance, sink);
    if (aborted_) return {abort_problem_};
    return std::move(sink.problems);
  }

 private:
  // Appends a token to the instance path for as long as it lives.
  class PathScope {
   public:
    PathScope(std::string& path, std::string_view token) : path_(path), size_(path.size()) {
      append_token(path_, token);
    }
    PathScope(std::string& path, std::size_t index) : path_(path), size_(path.size()) {
      fmt::format_to(std::back_inserter(path_), "/{}", index);
    }
    ~PathScope() { path_.resize(size_); }
    PathScope(const PathScope&) = delete;
    PathScope& operator=(const PathScope&) = delete;

   private:
    std::string& path_;
    std::size_t size_;
  };

  void report(Sink& sink, std::string_view keyword, std::string message) const {
    ++sink.found;
    if (sink.problems.size() < sink.limit) {
      sink.problems.push_back({path_, std::string(keyword), std::move(message)});
    }
  }

  void abort(std::string_view keyword, std::string message) {
    aborted_ = true;
    abort_problem_ = {path_, std::string(keyword), std::move(message)};
  }

  bool stop(const Sink& sink) const { return aborted_ || sink.full(); }

  // Whether `value` passes node `id`; problems go to `sink`.
  bool check(NodeId id, const json& value, Sink& sink);
  void check_keywords(const Node& node, const json& value, Sink& sink);
  bool check_type(const Node& node, const json& value, Sink& sink);
  void check_values(const Node& node, const json& value, Sink& sink);
  void check_number(const Node& node, const json& value, Sink& sink);
  void check_string(const Node& node, const std::string& value, Sink& sink);
  void check_array(const Node& node, const json& value, Sink& sink);
  void check_items(const Node& node, const json& value, Sink& sink);
  void check_unique(const json& value, Sink& sink);
  void check_object(const Node& node, const json& value, Sink& sink);
  void check_properties(const Node& node, const json& value, Sink& sink);
  void check_dependencies(const Node& node, const json& value, Sink& sink);
  void check_property_names(const Node& node, const json& value, Sink& sink);
  void check_applicators(const Node& node, const json& value, Sink& sink);
  void check_any_of(const std::vector<NodeId>& branches, const json& value, Sink& sink);
  void check_one_of(const std::vector<NodeId>& branches, const json& value, Sink& sink);
  void explain_no_match(std::string_view keyword, const std::vector<NodeId>& branches, const json& value,
                        std::vector<Sink>& results, Sink& sink);
  bool passes(NodeId id, const json& value) {
    Sink quiet;
    quiet.limit = 1;  // only pass or fail is wanted
    return check(id, value, quiet);
  }
  unsigned declared_types(NodeId id) const;

  const std::vector<Node>& nodes_;
  std::string path_;
  std::size_t depth_ = 0;
  std::size_t steps_ = 0;
  bool aborted_ = false;
  Problem abort_problem_;
};

bool Evaluation::check(NodeId id, const json& value, Sink& sink) {
  if (aborted_) return false;
  if (depth_ >= kMaxEvaluationDepth) {
    // Ends a $ref loop that never moves into the instance, before the stack
    // runs out; the whole validation stops with this one problem.
    abort("$ref", fmt::format("the schema goes more than {} levels deep here (a $ref loop?)", kMaxEvaluationDepth));
    return false;
  }
  if (++steps_ > kMaxEvaluationSteps) {
    // Subschemas that each apply several others twice ({"allOf": [A, A]} with
    // A the same again, 30 deep) take exponential time on any value.
    abort("$ref", fmt::format("the schema needs more than {} steps to check this value", kMaxEvaluationSteps));
    return false;
  }
  ++depth_;
  const std::size_t before = sink.found;
  const Node& node = nodes_[id];
  if (node.constant) {
    if (!*node.constant) report(sink, "false", "no value is allowed here");
  } else if (node.ref != kNoNode) {
    check(node.ref, value, sink);
  } else {
    check_keywords(node, value, sink);
  }
  --depth_;
  return sink.found == before && !aborted_;
}

void Evaluation::check_keywords(const Node& node, const json& value, Sink& sink) {
  // A value of the wrong type gets that one problem: the others would only
  // restate it.
  if (!check_type(node, value, sink)) return;
  check_values(node, value, sink);
  if (stop(sink)) return;
  if (value.is_number()) check_number(node, value, sink);
  if (value.is_string()) check_string(node, value.get_ref<const std::string&>(), sink);
  if (value.is_array()) check_array(node, value, sink);
  if (value.is_object()) check_object(node, value, sink);
  if (stop(sink)) return;
  check_applicators(node, value, sink);
}

bool Evaluation::check_type(const Node& node, const json& value, Sink& sink) {
  if (node.types == 0 || (node.types & value_types(value)) != 0) return true;
  report(sink, "type", fmt::format("expected {}, got {}", types_phrase(node.types), type_phrase(value)));
  return false;
}

void Evaluation::check_values(const Node& node, const json& value, Sink& sink) {
  if (node.const_value && !(*node.const_value == value)) {
    report(sink, "const", fmt::format("must be {}", show(*node.const_value)));
  }
  if (node.enum_values) {
    const json& allowed = *node.enum_values;
    if (std::any_of(allowed.begin(), allowed.end(), [&](const json& option) { return option == value; })) return;
    if (allowed.size() == 1) {
      report(sink, "enum", fmt::format("must be {}", show(allowed[0])));
      return;
    }
    // The list is cut so a long enum does not flood the message.
    constexpr std::size_t kShown = 10;
    std::string options;
    for (std::size_t i = 0; i < allowed.size() && i < kShown; ++i) {
      options += (i == 0 ? "" : ", ") + show(allowed[i], 40);
    }
    if (allowed.size() > kShown) options += fmt::format(" (and {} more)", allowed.size() - kShown);
    report(sink, "enum", fmt::format("must be one of {}", options));
  }
}

void Evaluation::check_number(const Node& node, const json& value, Sink& sink) {
  if (node.minimum && compare_numbers(value, *node.minimum) < 0) {
    report(sink, "minimum", fmt::format("must be at least {}, got {}", show(*node.minimum), show(value)));
  }
  if (node.exclusive_minimum && compare_numbers(value, *node.exclusive_minimum) <= 0) {
    report(sink, "exclusiveMinimum",
           fmt::format("must be greater than {}, got {}", show(*node.exclusive_minimum), show(value)));
  }
  if (node.maximum && compare_numbers(value, *node.maximum) > 0) {
    report(sink, "maximum", fmt::format("must be at most {}, got {}", show(*node.maximum), show(value)));
  }
  if (node.exclusive_maximum && compare_numbers(value, *node.exclusive_maximum) >= 0) {
    report(sink, "exclusiveMaximum",
           fmt::format("must be less than {}, got {}", show(*node.exclusive_maximum), show(value)));
  }
  if (node.multiple_of && !is_multiple_of(value, *node.multiple_of)) {
    report(sink, "multipleOf", fmt::format("must be a multiple of {}, got {}", show(*node.multiple_of), show(value)));
  }
}

void Evaluation::check_string(const Node& node, const std::string& value, Sink& sink) {
  if (node.min_length || node.max_length) {
    const std::size_t length = code_points(value);
    if (node.min_length && length < *node.min_length) {
      report(sink, "minLength",
             fmt::format("{}, at least {} required", count_of(length, "character", "characters"), *node.min_length));
    }
    if (node.max_length && length > *node.max_length) {
      report(sink, "maxLength",
             fmt::format("{}, at most {} allowed", count_of(length, "character", "characters"), *node.max_length));
    }
  }
  if (node.pattern && !node.pattern->search(value)) {
    report(sink, "pattern", fmt::format("does not match the pattern {}", quote(node.pattern->source())));
  }
}

void Evaluation::check_array(const Node& node, const json& value, Sink& sink) {
  const std::size_t size = value.size();
  if (node.min_items && size < *node.min_items) {
    report(sink, "minItems", fmt::format("{}, at least {} required", count_of(size, "item", "items"), *node.min_items));
  }
  if (node.max_items && size > *node.max_items) {
    report(sink, "maxItems", fmt::format("{}, at most {} allowed", count_of(size, "item", "items"), *node.max_items));
  }
  if (node.unique_items) check_unique(value, sink);
  if (stop(sink)) return;
  check_items(node, value, sink);
  if (node.contains != kNoNode && !stop(sink)) {
    const bool any =
        std::any_of(value.begin(), value.end(), [&](const json& item) { return passes(node.contains, item); });
    if (!any && !aborted_) report(sink, "contains", "no item matches the schema in \"contains\"");
  }
}

void Evaluation::check_items(const Node& node, const json& value, Sink& sink) {
  const std::size_t size = value.size();
  if (!node.items_is_tuple) {
    if (node.items == kNoNode) return;
    for (std::size_t i = 0; i < size && !stop(sink); ++i) {
      const PathScope scope(path_, i);
      check(node.items, value[i], sink);
    }
    return;
  }
  const std::size_t listed = node.tuple_items.size();
  for (std::size_t i = 0; i < size && i < listed && !stop(sink); ++i) {
    const PathScope scope(path_, i);
    check(node.tuple_items[i], value[i], sink);
  }
  if (size <= listed || node.additional_items == kNoNode) return;
  if (nodes_[node.additional_items].constant == false) {
    // One problem for the array rather than one "not allowed" per extra item.
    report(sink, "additionalItems", fmt::format("{}, at most {} allowed", count_of(size, "item", "items"), listed));
    return;
  }
  for (std::size_t i = listed; i < size && !stop(sink); ++i) {
    const PathScope scope(path_, i);
    check(node.additional_items, value[i], sink);
  }
}

void Evaluation::check_unique(const json& value, Sink& sink) {
  std::unordered_multimap<std::size_t, std::size_t> seen;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::size_t hash = hash_value(value[i]);
    const auto [first, last] = seen.equal_range(hash);
    for (auto it = first; it != last; ++it) {
      if (value[it->second] == value[i]) {
        report(sink, "uniqueItems", fmt::format("items {} and {} are equal; each item must be unique", it->second, i));
        return;
      }
    }
    seen.emplace(hash, i);
  }
}

void Evaluation::check_object(const Node& node, const json& value, Sink& sink) {
  const std::size_t size = value.size();
  if (node.min_properties && size < *node.min_properties) {
    report(sink, "minProperties",
           fmt::format("{}, at least {} required", count_of(size, "property", "properties"), *node.min_properties));
  }
  if (node.max_properties && size > *node.max_properties) {
    report(sink, "maxProperties",
           fmt::format("{}, at most {} allowed", count_of(size, "property", "properties"), *node.max_properties));
  }
  for (const std::string& name : node.required) {
    if (!value.contains(name)) report(sink, "required", fmt::format("missing required property {}", quote(name)));
  }
  if (stop(sink)) return;
  check_dependencies(node, value, sink);
  if (node.property_names != kNoNode) check_property_names(node, value, sink);
  if (stop(sink)) return;
  check_properties(node, value, sink);
}

void Evaluation::check_properties(const Node& node, const json& value, Sink& sink) {
  const bool closed = node.additional_properties != kNoNode && nodes_[node.additional_properties].constant == false;
  for (const auto& [name, item] : value.items()) {
    if (stop(sink)) return;
    bool matched = false;
    {
      const PathScope scope(path_, name);
      const auto declared = std::lower_bound(
          node.properties.begin(), node.properties.end(), name,
          [](const std::pair<std::string, NodeId>& entry, const std::string& key) { return entry.first < key; });
      if (declared != node.properties.end() && declared->first == name) {
        matched = true;
        check(declared->second, item, sink);
      }
      for (const PatternSchema& entry : node.pattern_properties) {
        if (stop(sink) || !entry.pattern.search(name)) continue;
        matched = true;
        check(entry.schema, item, sink);
      }
      if (!matched && !closed && node.additional_properties != kNoNode) check(node.additional_properties, item, sink);
    }
    // Said at the object, naming the property: the buyer has to remove it.
    if (!matched && closed)
      report(sink, "additionalProperties", fmt::format("property {} is not allowed", quote(name)));
  }
}

void Evaluation::check_dependencies(const Node& node, const json& value, Sink& sink) {
  for (const Dependency& dependency : node.dependencies) {
    if (stop(sink)) return;
    if (!value.contains(dependency.property)) continue;
    for (const std::string& needed : dependency.required) {
      if (!value.contains(needed)) {
        report(sink, "dependencies",
               fmt::format("property {} requires property {}", quote(dependency.property), quote(needed)));
      }
    }
    if (dependency.schema != kNoNode) check(dependency.schema, value, sink);
  }
}

void Evaluation::check_property_names(const Node& node, const json& value, Sink& sink) {
  for (const auto& [name, item] : value.items()) {
    if (stop(sink)) return;
    Sink inner;
    if (check(node.property_names, json(name), inner)) continue;
    for (const Problem& problem : inner.problems) {
      report(sink, "propertyNames", fmt::format("property name {}: {}", quote(name), problem.message));
    }
  }
}

void Evaluation::check_applicators(const Node& node, const json& value, Sink& sink) {
  for (const NodeId branch : node.all_of) {
    if (stop(sink)) return;
    check(branch, value, sink);
  }
  if (!node.any_of.empty() && !stop(sink)) check_any_of(node.any_of, value, sink);
  if (!node.one_of.empty() && !stop(sink)) check_one_of(node.one_of, value, sink);
  if (node.not_schema != kNoNode && !stop(sink) && passes(node.not_schema, value) && !aborted_) {
    report(sink, "not", "matches a schema it must not match (\"not\")");
  }
  if (node.if_schema == kNoNode || stop(sink)) return;
  const bool condition = passes(node.if_schema, value);
  const NodeId branch = condition ? node.then_schema : node.else_schema;
  if (branch != kNoNode && !aborted_) check(branch, value, sink);
}

void Evaluation::check_any_of(const std::vector<NodeId>& branches, const json& value, Sink& sink) {
  std::vector<Sink> results(branches.size());
  for (std::size_t i = 0; i < branches.size(); ++i) {
    if (check(branches[i], value, results[i])) return;
    if (aborted_) return;
  }
  explain_no_match("anyOf", branches, value, results, sink);
}

void Evaluation::check_one_of(const std::vector<NodeId>& branches, const json& value, Sink& sink) {
  std::vector<Sink> results(branches.size());
  std::vector<std::size_t> matching;
  for (std::size_t i = 0; i < branches.size(); ++i) {
    if (check(branches[i], value, results[i])) matching.push_back(i);
    if (aborted_) return;
  }
  if (matching.size() == 1) return;
  if (matching.empty()) {
    explain_no_match("oneOf", branches, value, results, sink);
    return;
  }
  report(sink, "oneOf",
         fmt::format("matches {} of the alternatives (numbers {}) where exactly one must match", matching.size(),
                     fmt::join(matching, ", ")));
}

// No alternative matched. When only one of them has the value's type (the
// usual "a string, or an object with these fields"), its problems say what
// to fix; when every alternative wants another type, one "expected ..." does;
// else one line says that none matched.
void Evaluation::explain_no_match(std::string_view keyword, const std::vector<NodeId>& branches, const json& value,
                                  std::vector<Sink>& results, Sink& sink) {
  std::vector<std::size_t> right_type;
  unsigned wanted = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& problems = results[i].problems;
    const bool type_only = results[i].found == 1 && problems.size() == 1 && problems[0].keyword == "type" &&
                           problems[0].instance_path == path_;
    const unsigned types = declared_types(branches[i]);
    if (type_only && types != 0) {
      wanted |= types;
    } else {
      right_type.push_back(i);
    }
  }
  if (right_type.size() == 1) {
    for (Problem& problem : results[right_type[0]].problems) {
      ++sink.found;
      if (sink.problems.size() < sink.limit) sink.problems.push_back(std::move(problem));
    }
    return;
  }
  if (right_type.empty()) {
    report(sink, keyword, fmt::format("expected {}, got {}", types_phrase(wanted), type_phrase(value)));
    return;
  }
  report(sink, keyword, fmt::format("matches none of the {} allowed alternatives", branches.size()));
}

unsigned Evaluation::declared_types(NodeId id) const {
  // Follows $refs: they cannot loop (the compiler refuses ref-only loops).
  while (nodes_[id].ref != kNoNode) id = nodes_[id].ref;
  return nodes_[id].types;
}

}  // namespace

std::vector<Problem> evaluate(const CompiledSchema& schema, const json& instance) {
  return Evaluation(schema).run(instance);
}

}  // namespace gigent::jsonschema
