// Schema JSON → nodes. Every keyword value is checked here, once, so the
// evaluator can trust the nodes; what is unusable is a SchemaError naming its
// location in the schema ("#/properties/age/minimum").
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "jsonschema/compiled.h"
#include "jsonschema/text.h"
#include "jsonschema/validator.h"

namespace gigent::jsonschema {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& location, std::string_view message) {
  throw SchemaError(fmt::format("{}: {}", location, message));
}

std::string child(const std::string& location, std::string_view token) {
  std::string out = location;
  append_token(out, token);
  return out;
}

std::string index_child(const std::string& location, std::size_t index) {
  return fmt::format("{}/{}", location, index);
}

unsigned type_bit(const json& name, const std::string& location) {
  static const std::pair<std::string_view, unsigned> kNames[] = {
      {"null", kNull},     {"boolean", kBoolean}, {"object", kObject}, {"array", kArray},
      {"number", kNumber}, {"integer", kInteger}, {"string", kString},
  };
  if (name.is_string()) {
    for (const auto& [text, bit] : kNames) {
      if (name.get_ref<const std::string&>() == text) return bit;
    }
  }
  fail(location,
       fmt::format("{} is not a type name (null, boolean, object, array, number, integer, string)", show(name)));
}

unsigned read_types(const json& value, const std::string& location) {
  if (!value.is_array()) return type_bit(value, location);
  unsigned types = 0;
  for (std::size_t i = 0; i < value.size(); ++i) types |= type_bit(value[i], index_child(location, i));
  if (types == 0) fail(location, "an empty list of types allows nothing; leave \"type\" out to allow anything");
  return types;
}

json read_number(const json& value, const std::string& location) {
  if (value.is_boolean()) fail(location, "must be a number (the boolean form is draft-04, not draft-07)");
  if (!value.is_number()) fail(location, fmt::format("must be a number, got {}", type_phrase(value)));
  return value;
}

std::uint64_t read_count(const json& value, const std::string& location) {
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return value.get<std::uint64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    // 2^63: every whole double below it fits in a uint64_t.
    if (d >= 0 && d == std::floor(d) && d < 9223372036854775808.0) return static_cast<std::uint64_t>(d);
  }
  fail(location, fmt::format("must be a non-negative integer, got {}", show(value)));
}

std::vector<std::string> read_names(const json& value, const std::string& location) {
  if (!value.is_array()) fail(location, fmt::format("must be an array of property names, got {}", type_phrase(value)));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      fail(index_child(location, i), fmt::format("must be a property name (a string), got {}", type_phrase(value[i])));
    }
    names.push_back(value[i].get<std::string>());
  }
  return names;
}

Pattern read_pattern(const json& value, const std::string& location) {
  if (!value.is_string())
    fail(location, fmt::format("must be a regular expression string, got {}", type_phrase(value)));
  try {
    return Pattern(value.get<std::string>());
  } catch (const std::exception& error) {  // std::regex_error or a refused pattern
    fail(location, fmt::format("invalid regular expression {}: {}", show(value), error.what()));
  }
}

// "#/definitions/a%20b" → the tokens of its JSON Pointer, unescaped.
std::vector<std::string> ref_tokens(const std::string& ref, const std::string& location) {
  if (ref.empty() || ref[0] != '#') {
    fail(location,
         fmt::format("$ref {} points outside this schema; only \"#...\" references are supported", quote(ref)));
  }
  std::string pointer;
  for (std::size_t i = 1; i < ref.size(); ++i) {
    if (ref[i] != '%') {
      pointer += ref[i];
      continue;
    }
    if (i + 2 >= ref.size() || !std::isxdigit(static_cast<unsigned char>(ref[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
      fail(location, fmt::format("$ref {} has a bad percent escape", quote(ref)));
    }
    pointer += static_cast<char>(std::stoi(ref.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  if (pointer.empty()) return {};
  if (pointer[0] != '/') {
    fail(location,
         fmt::format("$ref {} names an \"$id\" anchor; only JSON Pointer references are supported", quote(ref)));
  }
  std::vector<std::string> tokens(1);
  for (std::size_t i = 1; i < pointer.size(); ++i) {
    if (pointer[i] == '/') {
      tokens.emplace_back();
    } else if (pointer[i] != '~') {
      tokens.back() += pointer[i];
    } else if (i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
      tokens.back() += pointer[++i] == '0' ? '~' : '/';
    } else {
      fail(location, fmt::format("$ref {} has a \"~\" not followed by 0 or 1", quote(ref)));
    }
  }
  return tokens;
}

bool is_array_index(const std::string& token) {
  if (token.empty() || token.size() > 9 || (token.size() > 1 && token[0] == '0')) return false;
  for (const char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class Compiler {
 public:
  explicit Compiler(const json& root) : root_(root) {}

  CompiledSchema run() {
    compile(root_, "#");
    while (!pending_refs_.empty()) {
      const NodeId id = pending_refs_.back();
      pending_refs_.pop_back();
      const NodeId target = resolve(nodes_[id].ref_text, nodes_[id].location);
      nodes_[id].ref = target;
    }
    check_ref_loops();
    return CompiledSchema{std::move(nodes_)};
  }

 private:
  NodeId compile(const json& schema, const std::string& location);
  void read_object_keywords(Node& node, const json& schema);
  void read_array_keywords(Node& node, const json& schema);
  void read_value_keywords(Node& node, const json& schema);
  void read_applicators(Node& node, const json& schema);
  void read_dependencies(Node& node, const json& value, const std::string& location);

  NodeId sub(const json& schema, const std::string& parent, std::string_view keyword) {
    return compile(schema, child(parent, keyword));
  }

  std::vector<NodeId> sub_list(const json& value, const std::string& location) {
    if (!value.is_array() || value.empty()) fail(location, "must be a non-empty array of schemas");
    std::vector<NodeId> ids;
    for (std::size_t i = 0; i < value.size(); ++i) ids.push_back(compile(value[i], index_child(location, i)));
    return ids;
  }

  // The node a "#..." reference names, compiled on first use.
  NodeId resolve(const std::string& ref, const std::string& location) {
    const json* target = &root_;
    std::string target_location = "#";
    for (const std::string& token : ref_tokens(ref, location)) {
      if (target->is_object() && target->contains(token)) {
        target = &(*target)[token];
      } else if (target->is_array() && is_array_index(token) && std::stoul(token) < target->size()) {
        target = &(*target)[std::stoul(token)];
      } else {
        fail(location, fmt::format("$ref {} points to nothing in this schema", quote(ref)));
      }
      append_token(target_location, token);
    }
    return compile(*target, target_location);
  }

  // A $ref that leads only through other $refs back to itself would never
  // look at the instance. Each node is walked once (linear in the schema).
  void check_ref_loops() const {
    enum : char { kUnseen, kOnWalk, kEnds };
    std::vector<char> state(nodes_.size(), kUnseen);
    std::vector<NodeId> walk;
    for (std::size_t start = 0; start < nodes_.size(); ++start) {
      walk.clear();
      NodeId at = static_cast<NodeId>(start);
      while (at != kNoNode && state[at] == kUnseen) {
        state[at] = kOnWalk;
        walk.push_back(at);
        at = nodes_[at].ref;
      }
      if (at != kNoNode && state[at] == kOnWalk) {
        fail(nodes_[at].location, "$ref loop: these references lead back to themselves without a schema");
      }
      for (const NodeId id : walk) state[id] = kEnds;
    }
  }

  const json& root_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, NodeId> by_location_;
  std::vector<NodeId> pending_refs_;
};

NodeId Compiler::compile(const json& schema, const std::string& location) {
  if (const auto found = by_location_.find(location); found != by_location_.end()) return found->second;
  if (!schema.is_object() && !schema.is_boolean()) {
    fail(location, fmt::format("a schema must be an object or a boolean, got {}", type_phrase(schema)));
  }
  const auto id = static_cast<NodeId>(nodes_.size());
  nodes_.emplace_back();
  by_location_.emplace(location, id);
  // Children are compiled into nodes_ (which may reallocate), so this node is
  // built aside and stored at the end.
  Node node;
  node.location = location;
  if (schema.is_boolean()) {
    node.constant = schema.get<bool>();
  } else if (const auto ref = schema.find("$ref"); ref != schema.end()) {
    // draft-07: "All other properties in a "$ref" object MUST be ignored."
    if (!ref->is_string()) fail(child(location, "$ref"), "must be a string");
    node.ref_text = ref->get<std::string>();
    pending_refs_.push_back(id);
  } else {
    if (const auto types = schema.find("type"); types != schema.end()) {
      node.types = read_types(*types, child(location, "type"));
    }
    read_object_keywords(node, schema);
    read_array_keywords(node, schema);
    read_value_keywords(node, schema);
    read_applicators(node, schema);
    if (const auto defs = schema.find("definitions"); defs != schema.end()) {
      // Compiled even when unused, so a mistake there is found up front.
      if (!defs->is_object()) fail(child(location, "definitions"), "must be an object of schemas");
      const std::string defs_location = child(location, "definitions");
      for (const auto& [name, def] : defs->items()) compile(def, child(defs_location, name));
    }
  }
  nodes_[id] = std::move(node);
  return id;
}

void Compiler::read_object_keywords(Node& node, const json& schema) {
  const std::string& at = node.location;
  if (const auto it = schema.find("properties"); it != schema.end()) {
    if (!it->is_object()) fail(child(at, "properties"), "must be an object of schemas");
    const std::string base = child(at, "properties");
    for (const auto& [name, sub_schema] : it->items()) {
      node.properties.emplace_back(name, compile(sub_schema, child(base, name)));
    }
  }
  if (const auto it = schema.find("patternProperties"); it != schema.end()) {
    if (!it->is_object()) fail(child(at, "patternProperties"), "must be an object of schemas");
    const std::string base = child(at, "patternProperties");
    for (const auto& [source, sub_schema] : it->items()) {
      const std::string location = child(base, source);
      Pattern pattern = read_pattern(json(source), location);
      node.pattern_properties.push_back({std::move(pattern), compile(sub_schema, location)});
    }
  }
  if (const auto it = schema.find("additionalProperties"); it != schema.end()) {
    node.additional_properties = sub(*it, at, "additionalProperties");
  }
  if (const auto it = schema.find("propertyNames"); it != schema.end()) {
    node.property_names = sub(*it, at, "propertyNames");
  }
  if (const auto it = schema.find("required"); it != schema.end())
    node.required = read_names(*it, child(at, "required"));
  if (const auto it = schema.find("dependencies"); it != schema.end()) {
    read_dependencies(node, *it, child(at, "dependencies"));
  }
  if (const auto it = schema.find("minProperties"); it != schema.end()) {
    node.min_properties = read_count(*it, child(at, "minProperties"));
  }
  if (const auto it = schema.find("maxProperties"); it != schema.end()) {
    node.max_properties = read_count(*it, child(at, "maxProperties"));
  }
}

void Compiler::read_dependencies(Node& node, const json& value, const std::string& location) {
  if (!value.is_object()) fail(location, "must be an object");
  for (const auto& [name, dependency] : value.items()) {
    Dependency entry{name, {}, kNoNode};
    if (dependency.is_array()) {
      entry.required = read_names(dependency, child(location, name));
    } else {
      entry.schema = compile(dependency, child(location, name));
    }
    node.dependencies.push_back(std::move(entry));
  }
}

void Compiler::read_array_keywords(Node& node, const json& schema) {
  const std::string& at = node.location;
  if (const auto it = schema.find("items"); it != schema.end()) {
    if (it->is_array()) {
      node.items_is_tuple = true;
      for (std::size_t i = 0; i < it->size(); ++i) {
        node.tuple_items.push_back(compile((*it)[i], index_child(child(at, "items"), i)));
      }
    } else {
      node.items = sub(*it, at, "items");
    }
  }
  if (const auto it = schema.find("additionalItems"); it != schema.end()) {
    node.additional_items = sub(*it, at, "additionalItems");
  }
  if (const auto it = schema.find("contains"); it != schema.end()) node.contains = sub(*it, at, "contains");
  if (const auto it = schema.find("minItems"); it != schema.end())
    node.min_items = read_count(*it, child(at, "minItems"));
  if (const auto it = schema.find("maxItems"); it != schema.end())
    node.max_items = read_count(*it, child(at, "maxItems"));
  if (const auto it = schema.find("uniqueItems"); it != schema.end()) {
    if (!it->is_boolean()) fail(child(at, "uniqueItems"), "must be true or false");
    node.unique_items = it->get<bool>();
  }
}

void Compiler::read_value_keywords(Node& node, const json& schema) {
  const std::string& at = node.location;
  if (const auto it = schema.find("enum"); it != schema.end()) {
    if (!it->is_array()) fail(child(at, "enum"), "must be an array of the allowed values");
    node.enum_values = *it;
  }
  if (const auto it = schema.find("const"); it != schema.end()) node.const_value = *it;
  const std::pair<const char*, std::optional<json>*> numbers[] = {
      {"minimum", &node.minimum},
      {"maximum", &node.maximum},
      {"exclusiveMinimum", &node.exclusive_minimum},
      {"exclusiveMaximum", &node.exclusive_maximum},
      {"multipleOf", &node.multiple_of},
  };
  for (const auto& [keyword, slot] : numbers) {
    if (const auto it = schema.find(keyword); it != schema.end()) *slot = read_number(*it, child(at, keyword));
  }
  if (node.multiple_of && !(node.multiple_of->get<double>() > 0)) {
    fail(child(at, "multipleOf"), fmt::format("must be greater than 0, got {}", show(*node.multiple_of)));
  }
  if (const auto it = schema.find("minLength"); it != schema.end()) {
    node.min_length = read_count(*it, child(at, "minLength"));
  }
  if (const auto it = schema.find("maxLength"); it != schema.end()) {
    node.max_length = read_count(*it, child(at, "maxLength"));
  }
  if (const auto it = schema.find("pattern"); it != schema.end())
    node.pattern = read_pattern(*it, child(at, "pattern"));
}

void Compiler::read_applicators(Node& node, const json& schema) {
  const std::string& at = node.location;
  if (const auto it = schema.find("allOf"); it != schema.end()) node.all_of = sub_list(*it, child(at, "allOf"));
  if (const auto it = schema.find("anyOf"); it != schema.end()) node.any_of = sub_list(*it, child(at, "anyOf"));
  if (const auto it = schema.find("oneOf"); it != schema.end()) node.one_of = sub_list(*it, child(at, "oneOf"));
  if (const auto it = schema.find("not"); it != schema.end()) node.not_schema = sub(*it, at, "not");
  if (const auto it = schema.find("if"); it != schema.end()) {
    // Without "if", "then" and "else" are ignored (draft-07); they are still
    // schemas, so they are checked either way.
    node.if_schema = sub(*it, at, "if");
  }
  if (const auto it = schema.find("then"); it != schema.end()) node.then_schema = sub(*it, at, "then");
  if (const auto it = schema.find("else"); it != schema.end()) node.else_schema = sub(*it, at, "else");
  if (node.if_schema == kNoNode) node.then_schema = node.else_schema = kNoNode;
}

}  // namespace

CompiledSchema compile_schema(const json& schema) {
  if (nesting_depth(schema, kMaxSchemaDepth) > kMaxSchemaDepth) {
    fail("#", fmt::format("the schema nests more than {} levels deep", kMaxSchemaDepth));
  }
  return Compiler(schema).run();
}

}  // namespace gigent::jsonschema
