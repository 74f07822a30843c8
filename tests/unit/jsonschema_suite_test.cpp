// The official JSON-Schema-Test-Suite (Debian's json-schema-test-suite
// package), every draft7 keyword file and the optional ones except "format"
// (an annotation here): one test per case, named
// <file>__<group>__<case>. Cases needing what the validator leaves out are
// skipped by the list below, each with its reason; Summary prints how many
// ran and fails when a skip entry no longer matches any case.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "jsonschema/validator.h"

#ifndef GIGENT_JSON_SCHEMA_SUITE_DIR
#define GIGENT_JSON_SCHEMA_SUITE_DIR ""
#endif

namespace gigent::jsonschema {
namespace {

using nlohmann::json;

struct Skip {
  const char* file;   // without .json
  const char* group;  // the group's description
  const char* item;   // a case's description; "" = the whole group
  const char* reason;
};

// What the validator does not do, on purpose (see jsonschema/validator.h).
const Skip kSkips[] = {
    {"refRemote", "", "", "remote $ref (http://localhost:1234/...) is not supported"},
    {"definitions", "", "", "validates against the draft-07 meta-schema, a remote $ref"},
    {"ref", "remote ref, containing refs itself", "", "remote $ref to the meta-schema"},
    {"ref", "Recursive references between schemas", "",
     "refs to $id names (\"tree\", \"node\") resolved against base URIs that nested $ids change"},
    {"content", "", "", "contentMediaType and contentEncoding are annotations only (optional in draft-07)"},
    {"ecmascript-regex", "ECMA 262 regex non-compliance", "",
     "std::regex (libstdc++) does not read \\Z as ECMA-262 does (optional test)"},
};

struct Case {
  std::string name;  // gtest-safe: letters, digits, _
  std::string file, group, item;
  json schema, data;
  bool valid = false;
  std::string skip;  // why it is skipped, or ""
};

const Skip* find_skip(const std::string& file, const std::string& group, const std::string& item) {
  for (const Skip& skip : kSkips) {
    if (file == skip.file && (*skip.group == '\0' || group == skip.group) &&
        (*skip.item == '\0' || item == skip.item)) {
      return &skip;
    }
  }
  return nullptr;
}

std::string identifier(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "x" : out;
}

std::vector<std::filesystem::path> suite_files() {
  const std::filesystem::path dir = std::filesystem::path(GIGENT_JSON_SCHEMA_SUITE_DIR) / "draft7";
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir / "optional", error)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void add_file(const std::filesystem::path& path, std::vector<Case>& cases, std::set<std::string>& names) {
  std::ifstream in(path);
  const json groups = json::parse(in);
  const std::string file = path.stem().string();
  for (const json& group : groups) {
    const std::string group_name = group.at("description").get<std::string>();
    for (const json& test : group.at("tests")) {
      Case item{"",
                file,
                group_name,
                test.at("description").get<std::string>(),
                group.at("schema"),
                test.at("data"),
                test.at("valid").get<bool>(),
                ""};
      std::string name = identifier(file) + "__" + identifier(group_name) + "__" + identifier(item.item);
      while (!names.insert(name).second) name += "_";  // two cases may read alike once cleaned
      item.name = name;
      if (const Skip* skip = find_skip(file, item.group, item.item)) item.skip = skip->reason;
      cases.push_back(std::move(item));
    }
  }
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = [] {
    std::vector<Case> out;
    std::set<std::string> names;
    for (const auto& path : suite_files()) add_file(path, out, names);
    return out;
  }();
  return cases;
}

// When the package is missing one placeholder case says so.
std::vector<Case> cases_or_placeholder() {
  if (!all_cases().empty()) return all_cases();
  Case missing;
  missing.name = "suite_not_installed";
  missing.skip = "the JSON-Schema-Test-Suite is not installed (apt-get install json-schema-test-suite)";
  return {missing};
}

// What gtest prints for a failed case instead of the parameter's bytes.
void PrintTo(const Case& item, std::ostream* out) {
  *out << item.file << ".json: " << item.group << " / " << item.item;
}

class JsonSchemaSuite : public ::testing::TestWithParam<Case> {};

TEST_P(JsonSchemaSuite, Case) {
  const Case& item = GetParam();
  if (!item.skip.empty()) GTEST_SKIP() << item.skip;
  SCOPED_TRACE(item.file + ".json: " + item.group + " / " + item.item + "\nschema: " + item.schema.dump() +
               "\ndata: " + item.data.dump());
  std::vector<Problem> problems;
  try {
    problems = Validator(item.schema).validate(item.data);
  } catch (const SchemaError& error) {
    FAIL() << "SchemaError: " << error.what();
  }
  if (item.valid) {
    EXPECT_TRUE(problems.empty()) << "expected valid, got: " << (problems.empty() ? "" : describe(problems[0]));
  } else {
    EXPECT_FALSE(problems.empty()) << "expected invalid, got valid";
    for (const Problem& problem : problems) EXPECT_FALSE(problem.message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Draft7, JsonSchemaSuite, ::testing::ValuesIn(cases_or_placeholder()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(JsonSchemaSuiteSummary, CountsAndSkipList) {
  const std::vector<Case>& cases = all_cases();
  if (cases.empty())
    GTEST_SKIP() << "the JSON-Schema-Test-Suite is not installed (apt-get install json-schema-test-suite)";
  const auto skipped = static_cast<std::size_t>(
      std::count_if(cases.begin(), cases.end(), [](const Case& item) { return !item.skip.empty(); }));
  std::cout << "JSON-Schema-Test-Suite draft7: " << cases.size() - skipped << " cases run, " << skipped << " skipped\n";
  // A skip entry that matches nothing is stale (the suite changed or the
  // validator learned the feature): remove it.
  for (const Skip& skip : kSkips) {
    EXPECT_STRNE(skip.reason, "") << "a skip needs its reason: " << skip.file << " / " << skip.group;
    const bool used = std::any_of(cases.begin(), cases.end(), [&](const Case& item) {
      return item.file == skip.file && (*skip.group == '\0' || item.group == skip.group) &&
             (*skip.item == '\0' || item.item == skip.item);
    });
    EXPECT_TRUE(used) << "skip entry matches no case: " << skip.file << " / " << skip.group << " / " << skip.item;
  }
  EXPECT_GT(cases.size() - skipped, 350U);
}

}  // namespace
}  // namespace gigent::jsonschema
