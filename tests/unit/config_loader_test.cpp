// Loading gigent-agent.yaml: defaults, ${ENV} interpolation, and a table of
// broken files with the exact position and field of every problem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/listen_address.h"
#include "config/config.h"
#include "config/interpolate.h"
#include "support/config_text.h"
#include "support/process.h"

namespace gigent::config {
namespace {

const std::string kDataDir = std::string(GIGENT_SOURCE_DIR) + "/tests/data/configs/";

const std::string& kValid = testing::kValidTenLineConfig;

// kValid with its basic tier (line 10) replaced by `basic`.
std::string with_basic(const std::string& basic) {
  std::string text = kValid;
  const std::size_t start = text.find("      basic:");
  return text.substr(0, start) + "      basic: " + basic + "\n";
}

// "LINE:COL: field" of each problem, in order.
std::vector<std::string> positions(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const Problem& problem : problems) {
    out.push_back(std::to_string(problem.line) + ":" + std::to_string(problem.column) + ": " + problem.field);
  }
  return out;
}

std::vector<std::string> positions(const LoadResult& result) {
  return positions(result.problems);
}

std::string all_messages(const LoadResult& result) {
  std::string out;
  for (const Problem& problem : result.problems) out += problem.to_string() + "\n";
  for (const Problem& warning : result.warnings) out += warning.to_string() + "\n";
  return out;
}

LoadResult load_with_env(const std::string& text, std::map<std::string, std::string> env = {},
                         const LoadOptions& options = {}) {
  return load_string_with_env(
      text, "agent.yaml",
      [env](const std::string& name) {
        const auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      options);
}

LoadResult load_strict(const std::string& text) {
  return load_with_env(text, {}, {.strict = true});
}

std::string read_data(const std::string& name) {
  std::ifstream in(kDataDir + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ConfigLoader, StreamAndFallbackAreRead) {
  const LoadResult result = load_with_env(kValid +
                                              "execution:\n"
                                              "  stream: \"true\"\n"
                                              "  fallback:\n"
                                              "    - provider: openai\n"
                                              "      model: gpt-4o\n"
                                              "      api_key: ${FALLBACK_KEY}\n"
                                              "      base_url: http://127.0.0.1:9/\n"
                                              "    - provider: anthropic\n"
                                              "      model: claude-haiku-4-5\n",
                                          {{"FALLBACK_KEY", "sk-fallback-123"}});
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const ExecutionSection& execution = result.config.execution;
  EXPECT_EQ(execution.stream, "true");
  ASSERT_EQ(execution.fallback.size(), 2u);
  EXPECT_EQ(execution.fallback[0].provider, "openai");
  EXPECT_EQ(execution.fallback[0].model, "gpt-4o");
  EXPECT_EQ(execution.fallback[0].api_key, "sk-fallback-123");
  EXPECT_EQ(execution.fallback[0].base_url, "http://127.0.0.1:9/");
  EXPECT_EQ(execution.fallback[1].provider, "anthropic");
  EXPECT_EQ(execution.fallback[1].api_key, "");
  EXPECT_EQ(load_with_env(kValid).config.execution.stream, "auto");
  EXPECT_TRUE(load_with_env(kValid).config.execution.fallback.empty());
}

TEST(ConfigLoader, AFallbackWithoutAKeyIsWhatValidateReports) {
  const std::string text = kValid +
                           "execution:\n"
                           "  api_key: sk-primary\n"
                           "  fallback:\n"
                           "    - provider: openai\n"
                           "      model: gpt-4o\n";
  const LoadResult result = load_with_env(text, {}, {.require_llm_key = true});
  ASSERT_EQ(positions(result), std::vector<std::string>{"14:7: execution.fallback[0].api_key"}) << all_messages(result);
  EXPECT_NE(result.problems[0].message.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_TRUE(load_with_env(text, {{"OPENAI_API_KEY", "sk-o"}}, {.require_llm_key = true}).ok());
}

TEST(ConfigLoader, AnOpenAiTemperatureAboveOneWarnsForAnAnthropicFallback) {
  const LoadResult result = load_with_env(kValid +
                                          "execution:\n"
                                          "  provider: openai\n"
                                          "  temperature: 1.5\n"
                                          "  fallback:\n"
                                          "    - provider: anthropic\n"
                                          "      model: claude-haiku-4-5\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  ASSERT_EQ(result.warnings.size(), 1u) << all_messages(result);
  EXPECT_EQ(result.warnings[0].field, "execution.fallback[0]");
  EXPECT_NE(result.warnings[0].message.find("called with 1"), std::string::npos);
}

TEST(ConfigLoader, ValidBaseHasNoProblems) {
  const LoadResult result = load_with_env(kValid);
  EXPECT_TRUE(result.ok()) << all_messages(result);
}

TEST(ConfigLoader, DefaultsApplyWhenFieldsAreAbsent) {
  const LoadResult result = load_with_env(kValid);
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Config& config = result.config;
  EXPECT_EQ(config.agent.name, "Bot");
  EXPECT_EQ(config.agent.category, "ai");
  EXPECT_EQ(config.owner.wallet, "0x00000000000000000000000000000000000000aa");
  ASSERT_EQ(config.gigs.size(), 1u);
  const Gig& gig = config.gigs[0];
  EXPECT_EQ(gig.title, "Blog");
  EXPECT_EQ(gig.category, "writing");
  EXPECT_DOUBLE_EQ(gig.basic.price, 5);
  EXPECT_EQ(gig.basic.description, "500 words");
  EXPECT_FALSE(gig.standard.has_value());
  EXPECT_FALSE(gig.premium.has_value());
  EXPECT_EQ(gig.delivery_time_hours, 24);
  EXPECT_EQ(gig.max_revisions, 1);
  EXPECT_EQ(config.runtime.poll_interval_seconds, 10);
  EXPECT_TRUE(config.runtime.auto_accept);
  EXPECT_EQ(config.runtime.max_concurrent_orders, 3);
  EXPECT_EQ(config.runtime.failed_order_action, FailedOrderAction::Leave);
  EXPECT_EQ(config.execution.provider, "anthropic");
  EXPECT_EQ(config.execution.model, "claude-sonnet-4-5");
  EXPECT_DOUBLE_EQ(config.execution.temperature, 0.7);
  EXPECT_EQ(config.execution.max_tokens, 4096);
  EXPECT_EQ(config.execution.api_key, "");
  EXPECT_EQ(config.execution.timeout_seconds, 120);
  EXPECT_EQ(config.execution.max_retries, 3);
  EXPECT_EQ(config.delivery.format, DeliveryFormat::Markdown);
  EXPECT_TRUE(config.delivery.auto_deliver);
  EXPECT_TRUE(config.heartbeat.enabled);
  EXPECT_EQ(config.heartbeat.interval_seconds, 30);
  EXPECT_EQ(config.logging.level, "info");
  EXPECT_EQ(config.logging.format, "text");
  EXPECT_EQ(config.backend.url, "");
}

TEST(ConfigLoader, ReadsEveryField) {
  const std::string text = kValid +
                           "      standard: { price: 15, description: \"1500 words\" }\n"
                           "      premium: { price: 30.5, description: \"3000 words\" }\n"
                           "    subcategory: blog\n"
                           "    tags: [blog, seo]\n"
                           "    delivery_time_hours: 48\n"
                           "    max_revisions: 0\n"
                           "    example_input: in\n"
                           "    example_output: out\n"
                           "runtime:\n"
                           "  poll_interval_seconds: 5\n"
                           "  auto_accept: no\n"
                           "  max_concurrent_orders: 8\n"
                           "  shutdown_grace_seconds: 0\n"
                           "  max_order_attempts: 7\n"
                           "  failed_order_action: cancel\n"
                           "  allow_replicas: true\n"
                           "  long_poll_seconds: 0\n"
                           "execution:\n"
                           "  provider: openai\n"
                           "  model: gpt-4o\n"
                           "  system_prompt: |\n"
                           "    Be brief.\n"
                           "  temperature: 1.5\n"
                           "  max_tokens: 200000\n"
                           "  api_key: sk-test\n"
                           "  base_url: https://llm.example/v1\n"
                           "  timeout_seconds: 3600\n"
                           "  connect_timeout_seconds: 3\n"
                           "  max_retries: 0\n"
                           "delivery:\n"
                           "  format: json\n"
                           "  auto_deliver: false\n"
                           "  truncation_marker: \"[cut]\"\n"
                           "heartbeat:\n"
                           "  enabled: false\n"
                           "  interval_seconds: 5\n"
                           "logging:\n"
                           "  level: debug\n"
                           "  format: json\n"
                           "backend:\n"
                           "  url: http://127.0.0.1:3000\n";
  const LoadResult result = load_with_env(text);
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Config& config = result.config;
  const Gig& gig = config.gigs.at(0);
  ASSERT_TRUE(gig.standard.has_value());
  EXPECT_DOUBLE_EQ(gig.standard->price, 15);
  ASSERT_TRUE(gig.premium.has_value());
  EXPECT_DOUBLE_EQ(gig.premium->price, 30.5);
  EXPECT_EQ(gig.premium->description, "3000 words");
  EXPECT_EQ(gig.subcategory, "blog");
  EXPECT_EQ(gig.tags, (std::vector<std::string>{"blog", "seo"}));
  EXPECT_EQ(gig.delivery_time_hours, 48);
  EXPECT_EQ(gig.max_revisions, 0);
  EXPECT_EQ(gig.example_input, "in");
  EXPECT_EQ(gig.example_output, "out");
  EXPECT_EQ(config.runtime.poll_interval_seconds, 5);
  EXPECT_FALSE(config.runtime.auto_accept);
  EXPECT_EQ(config.runtime.max_concurrent_orders, 8);
  EXPECT_EQ(config.runtime.shutdown_grace_seconds, 0);
  EXPECT_EQ(config.runtime.max_order_attempts, 7);
  EXPECT_EQ(config.runtime.failed_order_action, FailedOrderAction::Cancel);
  EXPECT_TRUE(config.runtime.allow_replicas);
  EXPECT_EQ(config.runtime.long_poll_seconds, 0);
  EXPECT_EQ(config.execution.provider, "openai");
  EXPECT_EQ(config.execution.model, "gpt-4o");
  EXPECT_EQ(config.execution.system_prompt, "Be brief.\n");
  EXPECT_DOUBLE_EQ(config.execution.temperature, 1.5);  // fine for openai
  EXPECT_EQ(config.execution.max_tokens, 200000);
  EXPECT_EQ(config.execution.api_key, "sk-test");
  EXPECT_EQ(config.execution.base_url, "https://llm.example/v1");
  EXPECT_EQ(config.execution.timeout_seconds, 3600);
  EXPECT_EQ(config.execution.connect_timeout_seconds, 3);
  EXPECT_EQ(config.execution.max_retries, 0);
  EXPECT_EQ(config.delivery.format, DeliveryFormat::Json);
  EXPECT_FALSE(config.delivery.auto_deliver);
  EXPECT_EQ(config.delivery.truncation_marker, "[cut]");
  EXPECT_FALSE(config.heartbeat.enabled);
  EXPECT_EQ(config.heartbeat.interval_seconds, 5);
  EXPECT_EQ(config.logging.level, "debug");
  EXPECT_EQ(config.logging.format, "json");
  EXPECT_EQ(config.backend.url, "http://127.0.0.1:3000");
}

TEST(ConfigLoader, WindowsLineEndingsAndByteOrderMarkAreAccepted) {
  std::string crlf;
  for (char c : kValid) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  const LoadResult result = load_with_env("\xEF\xBB\xBF" + crlf + "runtime:\r\n  poll_interval_seconds: x\r\n");
  EXPECT_EQ(positions(result), (std::vector<std::string>{"12:26: runtime.poll_interval_seconds"}))
      << all_messages(result);
  EXPECT_EQ(result.config.agent.name, "Bot");
}

TEST(ConfigLoader, EmptySectionsMeanDefaults) {
  const LoadResult result = load_with_env(kValid + "runtime:\nheartbeat: {}\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.runtime.poll_interval_seconds, 10);
}

// --- ${ENV} interpolation ----------------------------------------------------

TEST(ConfigEnv, SetVariableIsSubstituted) {
  const std::string text = kValid + "backend:\n  url: ${API}/v1\nexecution:\n  max_tokens: ${TOKENS}\n";
  const LoadResult result = load_with_env(text, {{"API", "https://api.example"}, {"TOKENS", "512"}});
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.backend.url, "https://api.example/v1");
  EXPECT_EQ(result.config.execution.max_tokens, 512);
}

TEST(ConfigEnv, UnsetVariableIsReportedAtTheReference) {
  // "  url: https://${HOST}" -- the `${` is at column 16.
  const LoadResult result = load_with_env(kValid + "backend:\n  url: https://${HOST}\n");
  EXPECT_EQ(positions(result), (std::vector<std::string>{"12:16: backend.url"}));
  EXPECT_NE(all_messages(result).find("HOST is not set"), std::string::npos);
}

TEST(ConfigEnv, UnsetVariableInQuotedValueIsReportedAtTheReference) {
  const LoadResult result = load_with_env(kValid + "execution:\n  model: \"x-${MODEL}\"\n");
  EXPECT_EQ(positions(result), (std::vector<std::string>{"12:13: execution.model"}));
}

TEST(ConfigEnv, DefaultIsUsedWhenUnsetOrEmpty) {
  const std::string text = kValid + "execution:\n  model: ${MODEL:-gpt-4o-mini}\n";
  EXPECT_EQ(load_with_env(text).config.execution.model, "gpt-4o-mini");
  EXPECT_EQ(load_with_env(text, {{"MODEL", ""}}).config.execution.model, "gpt-4o-mini");
  EXPECT_EQ(load_with_env(text, {{"MODEL", "o3"}}).config.execution.model, "o3");
}

TEST(ConfigEnv, DoubleDollarEscapesALiteralReference) {
  const LoadResult result = load_with_env(kValid + "execution:\n  system_prompt: \"Use $${name} and $5\"\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.execution.system_prompt, "Use ${name} and $5");
}

TEST(ConfigEnv, UnsetApiKeyIsAllowedAndLeftEmpty) {
  const LoadResult result = load_with_env(kValid + "execution:\n  api_key: ${MY_LLM_KEY}\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.execution.api_key, "");
  EXPECT_EQ(load_with_env(kValid + "execution:\n  api_key: ${MY_LLM_KEY}\n", {{"MY_LLM_KEY", "sk-1"}})
                .config.execution.api_key,
            "sk-1");
}

TEST(ConfigEnv, ValueCannotInjectYamlStructure) {
  // The variable's text stays one string; it does not become a second key.
  const LoadResult result = load_with_env(kValid + "execution:\n  model: ${EVIL}\n", {{"EVIL", "m\n  max_tokens: 1"}});
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.execution.model, "m\n  max_tokens: 1");
  EXPECT_EQ(result.config.execution.max_tokens, 4096);
}

TEST(ConfigEnv, ProcessEnvironmentIsUsedByLoadString) {
  ::setenv("GIGENT_CONFIG_TEST_MODEL", "from-env", 1);
  const LoadResult result = load_string(kValid + "execution:\n  model: ${GIGENT_CONFIG_TEST_MODEL}\n", "a.yaml");
  ::unsetenv("GIGENT_CONFIG_TEST_MODEL");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.execution.model, "from-env");
}

// --- Broken configs: every problem, at its exact position ---------------------

// Every case fails `validate --strict` at exactly these positions. Without
// --strict, the cases marked `warning_only` are files the TypeScript runtime
// accepts: they load, with these as warnings.
struct BrokenCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> expected;  // "LINE:COL: field" of each problem, in order
  std::string message_contains;       // in the first problem's message
  bool warning_only = false;
};

std::vector<BrokenCase> broken_cases() {
  return {
      {"wrong_type_integer",
       kValid + "runtime:\n  poll_interval_seconds: \"ten\"\n",
       {"12:26: runtime.poll_interval_seconds"},
       "\"ten\" is not an integer; expected an integer"},
      {"wrong_type_fraction",
       kValid + "runtime:\n  max_concurrent_orders: 2.5\n",
       {"12:26: runtime.max_concurrent_orders"},
       "is not an integer"},
      {"wrong_type_bool",
       kValid + "heartbeat:\n  enabled: sometimes\n",
       {"12:12: heartbeat.enabled"},
       "expected true or false"},
      {"wrong_type_section", kValid + "runtime: 5\n", {"11:10: runtime"}, "expected a mapping"},
      {"wrong_type_list", kValid + "agent2: x\n", {"11:1: agent2"}, "unknown key; did you mean `agent`?", true},
      {"unknown_key_with_suggestion",
       kValid + "runtime:\n  poll_intervall_seconds: 5\n",
       {"12:3: runtime.poll_intervall_seconds"},
       "did you mean `poll_interval_seconds`?",
       true},
      {"unknown_key_truncated",
       kValid + "heartbeat:\n  interval: 5\n",
       {"12:3: heartbeat.interval"},
       "did you mean `interval_seconds`?",
       true},
      {"unknown_key_without_suggestion",
       kValid + "logging:\n  colour: red\n",
       {"12:3: logging.colour"},
       "expected one of: level, format",
       true},
      {"poll_interval_too_small",
       kValid + "runtime:\n  poll_interval_seconds: 0\n",
       {"12:26: runtime.poll_interval_seconds"},
       "0 is out of range; expected an integer from 1 to 3600"},
      {"poll_interval_too_large",
       kValid + "runtime:\n  poll_interval_seconds: 3601\n",
       {"12:26: runtime.poll_interval_seconds"},
       "out of range"},
      {"concurrency_too_large",
       kValid + "runtime:\n  max_concurrent_orders: 257\n",
       {"12:26: runtime.max_concurrent_orders"},
       "from 1 to 256"},
      {"temperature_above_anthropic_range",
       kValid + "execution:\n  temperature: 1.5\n",
       {"12:16: execution.temperature"},
       "from 0 to 1 (Anthropic's API refuses any other"},
      {"temperature_above_openai_range",
       kValid + "execution:\n  provider: openai\n  temperature: 2.5\n",
       {"13:16: execution.temperature"},
       "from 0 to 2"},
      {"max_tokens_too_large",
       kValid + "execution:\n  max_tokens: 200001\n",
       {"12:15: execution.max_tokens"},
       "from 1 to 200000"},
      {"heartbeat_too_fast",
       kValid + "heartbeat:\n  interval_seconds: 4\n",
       {"12:21: heartbeat.interval_seconds"},
       "from 5 to 3600",
       true},
      {"stream_not_a_choice",
       kValid + "execution:\n  stream: always\n",
       {"12:11: execution.stream"},
       "expected one of: auto, true, false"},
      {"fallback_not_a_list",
       kValid + "execution:\n  fallback: openai\n",
       {"12:13: execution.fallback"},
       "expected a list of providers"},
      {"fallback_entry_incomplete",
       kValid + "execution:\n  fallback:\n    - provider: openia\n      model: m\n    - provider: openai\n",
       {"13:17: execution.fallback[0].provider", "15:7: execution.fallback[1].model"},
       "(did you mean `openai`?)"},
      {"fallback_too_many",
       kValid +
           "execution:\n  fallback: [{provider: openai, model: a}, {provider: openai, model: b}, {provider: openai, "
           "model: c}, {provider: openai, model: d}, {provider: openai, model: e}, {provider: openai, model: f}]\n",
       {"12:13: execution.fallback"},
       "expected at most 5"},
      {"timeout_and_retries",
       kValid + "execution:\n  timeout_seconds: 0\n  max_retries: 11\n",
       {"12:20: execution.timeout_seconds", "13:16: execution.max_retries"},
       "from 1 to 3600"},
      {"bad_enums",
       kValid + "execution:\n  provider: openia\ndelivery:\n  format: yaml\nlogging:\n  level: "
                "warning\n  format: xml\nruntime:\n  failed_order_action: retry\n",
       {"12:13: execution.provider", "14:11: delivery.format", "16:10: logging.level", "17:11: logging.format",
        "19:24: runtime.failed_order_action"},
       "(did you mean `openai`?)"},
      {"bad_wallet",
       "agent:\n  name: Bot\nowner:\n  wallet: 0x1234\n" + kValid.substr(kValid.find("gigs:")),
       {"4:11: owner.wallet"},
       "\"0x1234\" is not a wallet address; expected 0x followed by 40 hex digits"},
      {"wallet_with_non_hex",
       "agent:\n  name: Bot\nowner:\n  wallet: \"0x000000000000000000000000000000000000000g\"\n" +
           kValid.substr(kValid.find("gigs:")),
       {"4:11: owner.wallet"},
       "not a wallet address"},
      {"missing_sections",
       "runtime:\n  poll_interval_seconds: 5\n",
       {"1:1: agent", "1:1: owner", "1:1: gigs"},
       "section is missing"},
      {"missing_required_fields",
       "agent:\n  description: no name\nowner: {}\ngigs:\n  - description: d\n    pricing:\n      "
       "basic: { description: x }\n",
       {"1:1: agent.name", "3:1: owner.wallet", "5:5: gigs[0].title", "5:5: gigs[0].category",
        "7:7: gigs[0].pricing.basic.price"},
       "is missing"},
      {"missing_pricing",
       kValid.substr(0, kValid.find("    pricing:")),
       {"6:5: gigs[0].pricing"},
       "section is missing"},
      {"empty_gig_list",
       "agent:\n  name: Bot\nowner:\n  wallet: \"0x00000000000000000000000000000000000000aa\"\ngigs: []\n",
       {"5:7: gigs"},
       "has no gigs"},
      {"gig_not_a_mapping", kValid + "  - just a title\n", {"11:5: gigs[1]"}, "expected a mapping"},
      {"bad_prices",
       kValid + "      standard: { price: -1, description: s }\n      premium: { price: free, description: p }\n",
       {"11:26: gigs[0].pricing.standard.price", "12:25: gigs[0].pricing.premium.price"},
       "-1 is out of range; expected a price in USD greater than 0"},
      {"zero_price",
       "agent:\n  name: Bot\nowner:\n  wallet: \"0x00000000000000000000000000000000000000aa\"\n"
       "gigs:\n  - title: T\n    description: D\n    category: code\n    pricing:\n"
       "      basic: { price: 0, description: x }\n",
       {"10:23: gigs[0].pricing.basic.price"},
       "0 is not a price"},
      {"bad_gig_category",
       kValid + "  - title: Other\n    description: d\n    category: painting\n"
                "    pricing: { basic: { price: 1, description: x } }\n",
       {"13:15: gigs[1].category"},
       "expected one of: data, code, writing"},
      {"duplicate_gig_titles",
       kValid + "  - title: blog\n    description: d\n    category: code\n"
                "    pricing: { basic: { price: 1, description: x } }\n",
       {"11:12: gigs[1].title"},
       "duplicate gig title (same as gigs[0] at line 6)"},
      {"duplicate_key",
       kValid + "runtime:\n  auto_accept: true\n  auto_accept: false\n",
       {"13:3: runtime.auto_accept"},
       "duplicate key (first set at line 12)"},
      {"empty_required_string",
       "agent:\n  name: \"\"\n" + kValid.substr(kValid.find("owner:")),
       {"2:9: agent.name"},
       "is empty"},
      {"value_without_number",
       kValid + "runtime:\n  max_order_attempts:\n",
       {"12:3: runtime.max_order_attempts"},
       "has no value"},
      {"bad_url",
       kValid + "backend:\n  url: localhost:3000\n",
       {"12:8: backend.url"},
       "expected an http:// or https:// URL"},
      {"too_many_tags",
       kValid + "    tags: [a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u]\n",
       {"11:11: gigs[0].tags"},
       "expected at most 20"},
      {"unclosed_quote",
       read_data("unclosed_quote.yaml"),
       {"4:12: "},
       "the `\"` at line 2 column 9 is probably never closed"},
      {"unclosed_quote_swallowing_the_rest",
       kValid + "execution:\n  model: \"gpt\n  max_tokens: 5\n",
       {"12:10: execution.model"},
       "quoted string is never closed"},
      {"bad_indentation", read_data("bad_indentation.yaml"), {"3:2: "}, "end of map not found"},
      {"bad_list_indentation", "gigs:\n  - title: a\n   description: b\n", {"3:4: "}, "YAML syntax error"},
      {"unclosed_flow_list", kValid + "    tags: [a, b\n", {"12:1: "}, "never closed"},
      {"tab_indentation",
       read_data("tab_indentation.yaml"),
       {"2:1: "},
       "tab character in indentation; YAML indentation must use spaces"},
      {"tab_after_spaces", kValid + "runtime:\n  \tauto_accept: true\n", {"12:3: "}, "tab character in indentation"},
      {"non_utf8", read_data("non_utf8.yaml"), {"2:10: "}, "invalid UTF-8 byte 0xff at byte offset 16"},
      {"overlong_utf8", "agent:\n  name: \xC0\xAF\n", {"2:9: "}, "invalid UTF-8 byte 0xc0"},
      {"truncated_utf8_at_end", "agent:\n  name: \xE2\x82", {"2:9: "}, "invalid UTF-8"},
      {"nul_byte", std::string("agent:\n  na\0me: x\n", 17), {"2:5: "}, "control character 0x00"},
      {"empty_file", "", {"1:1: "}, "file has no settings"},
      {"whitespace_only", "  \n\n   \n", {"1:1: "}, "file has no settings"},
      {"comments_only", "# nothing here\n", {"1:1: "}, "file has no settings"},
      {"scalar_root", "hello", {"1:1: "}, "the document is a single value; expected a mapping"},
      {"list_root", read_data("list_root.yaml"), {"1:1: "}, "the document is a list"},
      {"deep_nesting", std::string(10000, '['), {"1:1: "}, "nesting is too deep"},
      {"deep_block_nesting",
       [] {
         std::string text;
         for (int depth = 0; depth < 1000; ++depth) text += std::string(depth, ' ') + "a:\n";
         return text;
       }(),
       {"499:501: "},
       "nesting is too deep"},
      {"huge_file",
       std::string(1024 * 1024 + 1, '#'),
       {"1:1: "},
       "file is 1048577 bytes; expected at most 1048576 bytes"},
      {"non_scalar_key", kValid + "[a, b]: 1\n", {"11:1: "}, "a key is a list"},
      {"malformed_reference",
       kValid + "execution:\n  model: ${1BAD}\n",
       {"12:10: execution.model"},
       "not a valid variable reference"},
      {"delivery_time_disagrees_with_basic_days",
       with_basic("{ price: 5, description: d, delivery_days: 2 }") + "    delivery_time_hours: 24\n",
       {"11:26: gigs[0].delivery_time_hours"},
       "24 hours disagrees with pricing.basic.delivery_days: 2 (48 hours, line 10)"},
      {"bad_delivery_days",
       with_basic("{ price: 5, description: d, delivery_days: 0 }") +
           "      standard: { price: 6, description: s, delivery_days: soon }\n"
           "      premium: { price: 7, description: p, delivery_days: 366 }\n",
       {"10:57: gigs[0].pricing.basic.delivery_days", "11:60: gigs[0].pricing.standard.delivery_days",
        "12:59: gigs[0].pricing.premium.delivery_days"},
       "0 is not a delivery time; expected a number of days greater than 0 and at most 365"},
      {"empty_replaces", kValid + "    replaces: \"\"\n", {"11:15: gigs[0].replaces"}, "is empty"},
      {"replaces_a_title_still_in_the_file",
       kValid + "  - title: Blog v2\n    description: d\n    category: writing\n    replaces: blog\n"
                "    pricing: { basic: { price: 1, description: x } }\n",
       {"14:15: gigs[1].replaces"},
       "\"blog\" is still the title of gigs[0] (line 6)"},
      {"two_gigs_replace_one_title",
       kValid + "    replaces: Old\n  - title: Other\n    description: d\n    category: code\n"
                "    replaces: old\n    pricing: { basic: { price: 1, description: x } }\n",
       {"15:15: gigs[1].replaces"},
       "is already replaced by gigs[0]"},
      {"agent_category_empty",
       "agent:\n  name: Bot\n  category: \"\"\n" + kValid.substr(kValid.find("owner:")),
       {"3:13: agent.category"},
       "has no value"},
      {"heartbeat_zero",
       kValid + "heartbeat:\n  enabled: false\n  interval_seconds: 0\n",
       {"13:21: heartbeat.interval_seconds"},
       "0 is out of range"},
      {"half_second_poll",
       kValid + "runtime:\n  poll_interval_seconds: 0.5\n",
       {"12:26: runtime.poll_interval_seconds"},
       "0.5 is below the advised range (an integer from 1 to 3600)",
       true},
      {"template_wallet",
       "agent:\n  name: Bot\nowner:\n  wallet: \"" + std::string(kTemplateWallet) + "\"\n" +
           kValid.substr(kValid.find("gigs:")),
       {"4:11: owner.wallet"},
       "is an example address",
       true},
      {"unterminated_reference",
       kValid + "execution:\n  model: abc${MODEL\n",
       {"12:13: execution.model"},
       "`${` is never closed"},
  };
}

class BrokenConfig : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenConfig, ReportsEveryProblemAtItsPosition) {
  const BrokenCase& c = GetParam();
  const LoadResult result = load_strict(c.yaml);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(positions(result), c.expected) << all_messages(result);
  ASSERT_FALSE(result.problems.empty());
  EXPECT_NE(result.problems[0].message.find(c.message_contains), std::string::npos) << all_messages(result);
  for (const Problem& problem : result.problems) {
    EXPECT_EQ(problem.file, "agent.yaml");
    EXPECT_FALSE(problem.message.empty());
    EXPECT_EQ(problem.severity, Severity::Error);
  }
}

TEST_P(BrokenConfig, WithoutStrictOnlyWhatCannotWorkFails) {
  const BrokenCase& c = GetParam();
  const LoadResult result = load_with_env(c.yaml);
  if (c.warning_only) {
    EXPECT_TRUE(result.ok()) << all_messages(result);
    EXPECT_EQ(positions(result.warnings), c.expected) << all_messages(result);
    ASSERT_FALSE(result.warnings.empty());
    EXPECT_NE(result.warnings[0].message.find(c.message_contains), std::string::npos) << all_messages(result);
    for (const Problem& warning : result.warnings) EXPECT_EQ(warning.severity, Severity::Warning);
  } else {
    EXPECT_EQ(positions(result), c.expected) << all_messages(result);
    EXPECT_TRUE(result.warnings.empty()) << all_messages(result);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenConfig, ::testing::ValuesIn(broken_cases()),
                         [](const ::testing::TestParamInfo<BrokenCase>& info) { return info.param.name; });

TEST(ConfigLoader, MultipleProblemsInOneFileAreAllReported) {
  const LoadResult result = load_strict(read_data("multiple_problems.yaml"));
  EXPECT_EQ(positions(result), (std::vector<std::string>{
                                   "3:3: agent.naem",
                                   "5:11: owner.wallet",
                                   "9:15: gigs[0].category",
                                   "11:23: gigs[0].pricing.basic.price",
                                   "11:39: gigs[0].pricing.basic.description",
                                   "12:7: gigs[0].pricing.standard.description",
                                   "12:26: gigs[0].pricing.standard.price",
                                   "13:5: gigs[1].description",
                                   "13:5: gigs[1].category",
                                   "13:12: gigs[1].title",
                                   "14:14: gigs[1].pricing",
                                   "16:26: runtime.poll_interval_seconds",
                                   "17:3: runtime.poll_intervall_seconds",
                                   "18:26: runtime.max_concurrent_orders",
                                   "20:16: execution.temperature",
                                   "22:10: execution.model",
                                   "24:11: delivery.format",
                                   "25:10: logging",
                                   "27:3: heartbeat.interval_seconds",
                               }))
      << all_messages(result);
  // Without --strict the two unknown keys are warnings; the rest still fails.
  const LoadResult lenient = load_with_env(read_data("multiple_problems.yaml"));
  EXPECT_EQ(positions(lenient.warnings),
            (std::vector<std::string>{"3:3: agent.naem", "17:3: runtime.poll_intervall_seconds"}))
      << all_messages(lenient);
  EXPECT_EQ(lenient.problems.size(), result.problems.size() - 2) << all_messages(lenient);
}

TEST(ConfigLoader, ProblemFormatIsFileLineColumnFieldMessage) {
  const LoadResult result = load_with_env(kValid + "runtime:\n  poll_interval_seconds: \"ten\"\n");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].to_string(),
            "agent.yaml:12:26: runtime.poll_interval_seconds: \"ten\" is not an integer; expected "
            "an integer from 1 to 3600");
  Problem no_field{"f.yaml", 1, 1, "", "file has no settings"};
  EXPECT_EQ(no_field.to_string(), "f.yaml:1:1: file has no settings");
  const LoadResult warned = load_with_env(kValid + "runtime:\n  poll_intervall_seconds: 5\n");
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_EQ(warned.warnings[0].to_string(),
            "agent.yaml:12:3: warning: runtime.poll_intervall_seconds: unknown key; did you mean "
            "`poll_interval_seconds`? (ignored)");
}

TEST(ConfigLoader, ApiKeyIsNeverEchoedInProblems) {
  const std::string secret = "sk-ant-SUPERSECRET-0123456789";
  for (const std::string& value : {"[" + secret + "]", "{k: " + secret + "}", "\"" + secret + "\n  extra: 1",
                                   "${" + secret + "}", "\"x${" + secret + "\""}) {
    const LoadResult result = load_with_env(kValid + "execution:\n  api_key: " + value + "\n");
    EXPECT_FALSE(result.ok()) << value;
    EXPECT_EQ(all_messages(result).find("SUPERSECRET"), std::string::npos) << all_messages(result);
  }
}

TEST(ConfigLoader, ManyProblemsAreCapped) {
  std::string text = kValid + "runtime:\n";
  for (int i = 0; i < 1000; ++i) text += "  unknown_" + std::to_string(i) + ": 1\n";
  const LoadResult result = load_strict(text);
  ASSERT_EQ(result.problems.size(), 201u);
  EXPECT_NE(result.problems.back().message.find("too many problems"), std::string::npos);
  // As warnings they are capped too, and a capped list of warnings is still no error.
  const LoadResult lenient = load_with_env(text);
  EXPECT_TRUE(lenient.ok());
  ASSERT_EQ(lenient.warnings.size(), 201u);
  EXPECT_NE(lenient.warnings.back().message.find("too many warnings"), std::string::npos);
}

TEST(ConfigLoader, AliasesDoNotMultiplyWork) {
  // A "billion laughs" shape: each gig list entry is the same aliased gig.
  std::string text =
      "agent: {name: Bot}\nowner: {wallet: \"0x00000000000000000000000000000000000000aa\"}\n"
      "x: &g {title: A, description: d, category: code, pricing: {basic: {price: 1, description: x}}}\n"
      "gigs: [";
  for (int i = 0; i < 5000; ++i) text += "*g,";
  text += "*g]\n";
  const LoadResult result = load_with_env(text);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(all_messages(result).find("expected at most 100"), std::string::npos);
}

// --- Files written for the TypeScript runtime --------------------------------

// Each loads (exit 0 from `validate`) exactly as the TypeScript runtime's
// users have it on disk; `warnings` lists the positions of the warnings.
struct TypeScriptCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> warnings;
};

const std::string kTypeScriptFull =
    "agent:\n"                                                            // 1
    "  name: \"Acme Research Agent\"\n"                                   // 2
    "  description: \"Deep research reports on any topic\"\n"             // 3
    "  category: research\n"                                              // 4
    "  tags: [research, reports]\n"                                       // 5
    "owner:\n"                                                            // 6
    "  wallet: \"0x1234567890abcdef1234567890abcdef12345678\"\n"          // 7
    "gigs:\n"                                                             // 8
    "  - title: \"Research report\"\n"                                    // 9
    "    description: \"A sourced report on your question\"\n"            // 10
    "    category: research\n"                                            // 11
    "    subcategory: \"market-research\"\n"                              // 12
    "    tags: [\"research\", \"analysis\"]\n"                            // 13
    "    max_revisions: 2\n"                                              // 14
    "    example_input: \"What is the market for e-bikes in Europe?\"\n"  // 15
    "    example_output: \"# E-bikes in Europe\\n...\"\n"                 // 16
    "    pricing:\n"                                                      // 17
    "      basic:\n"                                                      // 18
    "        price: 10\n"                                                 // 19
    "        description: \"2-page summary\"\n"                           // 20
    "        delivery_days: 1\n"                                          // 21
    "      standard:\n"                                                   // 22
    "        price: 25\n"                                                 // 23
    "        description: \"5-page report\"\n"                            // 24
    "        delivery_days: 2\n"                                          // 25
    "      premium:\n"                                                    // 26
    "        price: 50\n"                                                 // 27
    "        description: \"10-page report with sources\"\n"              // 28
    "        delivery_days: 3\n"                                          // 29
    "runtime:\n"                                                          // 30
    "  poll_interval_seconds: 10\n"                                       // 31
    "  auto_accept: true\n"                                               // 32
    "  max_concurrent_orders: 3\n"                                        // 33
    "execution:\n"                                                        // 34
    "  provider: anthropic\n"                                             // 35
    "  model: claude-sonnet-4-20250514\n"                                 // 36
    "  api_key: ${ANTHROPIC_API_KEY}\n"                                   // 37
    "  system_prompt: |\n"                                                // 38
    "    You are a research analyst.\n"                                   // 39
    "  max_tokens: 4096\n"                                                // 40
    "  temperature: 0.7\n"                                                // 41
    "delivery:\n"                                                         // 42
    "  format: markdown\n"                                                // 43
    "  auto_deliver: true\n"                                              // 44
    "heartbeat:\n"                                                        // 45
    "  enabled: true\n"                                                   // 46
    "  interval_seconds: 30\n"                                            // 47
    "logging:\n"                                                          // 48
    "  level: info\n";                                                    // 49

std::vector<TypeScriptCase> typescript_cases() {
  const std::string owner_and_gig =
      "owner:\n  wallet: \"0x1234567890abcdef1234567890abcdef12345678\"\n"        // 4-5
      "gigs:\n  - title: Post\n    description: A post\n    category: writing\n"  // 6-9
      "    pricing:\n      basic: { price: 5, description: \"500 words\" }\n";    // 10-11
  const std::string agent = "agent:\n  name: Bot\n  description: Writes\n";       // 1-3
  return {
      {"full_template_style", kTypeScriptFull, {}},
      {"minimal", agent + "  category: writing\n" + owner_and_gig, {}},
      {"quoted_scalars",
       "agent:\n  name: 'Bot'\n  description: \"Writes\"\n  category: \"writing\"\n"
       "owner:\n  wallet: '0x1234567890abcdef1234567890abcdef12345678'\n"
       "gigs:\n  - title: \"Post\"\n    description: 'A post'\n    category: 'writing'\n    pricing:\n"
       "      basic: { price: \"5\", description: '500 words', delivery_days: \"2\" }\n"
       "      standard: { price: '12.5', description: \"more\" }\n"
       "runtime:\n  poll_interval_seconds: \"10\"\n  auto_accept: \"true\"\n  max_concurrent_orders: '2'\n"
       "execution:\n  provider: \"openai\"\n  model: 'gpt-4o'\n  max_tokens: \"1024\"\n  temperature: '1.5'\n"
       "delivery:\n  format: \"json\"\n  auto_deliver: 'false'\n"
       "heartbeat:\n  enabled: \"true\"\n  interval_seconds: '30'\n"
       "logging:\n  level: \"debug\"\n",
       {}},
      {"tiers_with_and_without_delivery_days",
       agent + "  category: writing\n" + owner_and_gig +
           "      standard: { price: 10, description: more, delivery_days: 4 }\n"
           "      premium: { price: 20, description: most }\n",
       {}},
      {"agent_category_general", agent + "  category: general\n" + owner_and_gig, {"4:13: agent.category"}},
      {"agent_category_of_its_own", agent + "  category: marketing\n" + owner_and_gig, {"4:13: agent.category"}},
      {"one_second_heartbeat_even_when_disabled",
       agent + owner_and_gig + "heartbeat:\n  enabled: false\n  interval_seconds: 1\n",
       {"14:21: heartbeat.interval_seconds"}},
      {"half_second_poll",
       agent + owner_and_gig + "runtime:\n  poll_interval_seconds: 0.5\n",
       {"13:26: runtime.poll_interval_seconds"}},
      {"keys_it_ignores",
       agent + owner_and_gig + "execution:\n  top_p: 0.9\nmcp:\n  enabled: true\n",
       {"13:3: execution.top_p", "14:1: mcp"}},
  };
}

class TypeScriptConfig : public ::testing::TestWithParam<TypeScriptCase> {};

TEST_P(TypeScriptConfig, LoadsUnchanged) {
  const TypeScriptCase& c = GetParam();
  const LoadResult result = load_with_env(c.yaml);
  EXPECT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(positions(result.warnings), c.warnings) << all_messages(result);
  EXPECT_FALSE(result.config.gigs.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, TypeScriptConfig, ::testing::ValuesIn(typescript_cases()),
                         [](const ::testing::TestParamInfo<TypeScriptCase>& info) { return info.param.name; });

TEST(ConfigTypeScript, FullFileReadsEveryField) {
  const LoadResult result = load_with_env(kTypeScriptFull, {{"ANTHROPIC_API_KEY", "sk-ant-1"}});
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Config& config = result.config;
  EXPECT_EQ(config.agent.category, "research");
  const Gig& gig = config.gigs.at(0);
  EXPECT_EQ(gig.basic.delivery_days, 1);
  ASSERT_TRUE(gig.standard && gig.premium);
  EXPECT_EQ(gig.standard->delivery_days, 2);
  EXPECT_EQ(gig.premium->delivery_days, 3);
  EXPECT_EQ(gig.delivery_time_hours, 24);
  EXPECT_EQ(gig.max_revisions, 2);
  EXPECT_EQ(config.execution.api_key, "sk-ant-1");
  EXPECT_EQ(config.execution.system_prompt, "You are a research analyst.\n");
}

TEST(ConfigTypeScript, QuotedScalarsHaveTheirValues) {
  const LoadResult result = load_with_env(typescript_cases()[2].yaml);
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Config& config = result.config;
  EXPECT_DOUBLE_EQ(config.gigs.at(0).basic.price, 5);
  EXPECT_DOUBLE_EQ(config.gigs.at(0).standard->price, 12.5);
  EXPECT_EQ(config.gigs.at(0).delivery_time_hours, 48);
  EXPECT_FALSE(config.delivery.auto_deliver);
  EXPECT_EQ(config.runtime.max_concurrent_orders, 2);
  EXPECT_DOUBLE_EQ(config.execution.temperature, 1.5);
}

TEST(ConfigTypeScript, TierDeliveryDaysDefaultToOneTwoThree) {
  const LoadResult result = load_with_env(kValid +
                                          "      standard: { price: 10, description: s }\n"
                                          "      premium: { price: 20, description: p }\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Gig& gig = result.config.gigs.at(0);
  EXPECT_EQ(gig.basic.delivery_days, 1);
  EXPECT_EQ(gig.standard->delivery_days, 2);
  EXPECT_EQ(gig.premium->delivery_days, 3);
  EXPECT_EQ(gig.delivery_time_hours, 24);
}

TEST(ConfigTypeScript, BasicDeliveryDaysSetThePublishedDeliveryTime) {
  const auto hours = [](const std::string& basic, const std::string& extra = "") {
    const LoadResult result = load_with_env(with_basic(basic) + extra);
    EXPECT_TRUE(result.ok()) << all_messages(result);
    return result.config.gigs.empty() ? -1 : result.config.gigs[0].delivery_time_hours;
  };
  EXPECT_EQ(hours("{ price: 5, description: d, delivery_days: 3 }"), 72);
  EXPECT_EQ(hours("{ price: 5, description: d, delivery_days: 0.5 }"), 12);
  EXPECT_EQ(hours("{ price: 5, description: d }", "    delivery_time_hours: 6\n"), 6);
  // Both set and agreeing is fine.
  EXPECT_EQ(hours("{ price: 5, description: d, delivery_days: 2 }", "    delivery_time_hours: 48\n"), 48);
  // Only basic's days count, as in the TypeScript runtime.
  EXPECT_EQ(hours("{ price: 5, description: d }\n      standard: { price: 9, description: s, delivery_days: 7 }"), 24);
}

TEST(ConfigTypeScript, FractionalSecondsAreRoundedUpWithAWarning) {
  LoadResult result = load_with_env(kValid + "runtime:\n  poll_interval_seconds: 0.5\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.runtime.poll_interval_seconds, 1);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].message.find("recommend 10"), std::string::npos) << all_messages(result);
  EXPECT_NE(result.warnings[0].message.find("used as 1"), std::string::npos) << all_messages(result);

  result = load_with_env(kValid + "runtime:\n  poll_interval_seconds: 2.5\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.runtime.poll_interval_seconds, 3);
  EXPECT_EQ(positions(result.warnings), (std::vector<std::string>{"12:26: runtime.poll_interval_seconds"}));

  result = load_with_env(kValid + "heartbeat:\n  interval_seconds: 2\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.heartbeat.interval_seconds, 2);
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].message.find("recommend 30"), std::string::npos) << all_messages(result);
}

TEST(ConfigTypeScript, AgentCategoryIsKeptAsWritten) {
  LoadResult result =
      load_with_env("agent:\n  name: Bot\n  category: general\n" + kValid.substr(kValid.find("owner:")));
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.agent.category, "general");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].message.find("default agent category"), std::string::npos) << all_messages(result);

  result = load_with_env("agent:\n  name: Bot\n  category: writting\n" + kValid.substr(kValid.find("owner:")));
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.agent.category, "writting");
  ASSERT_EQ(result.warnings.size(), 1u);
  EXPECT_NE(result.warnings[0].message.find("did you mean `writing`?"), std::string::npos) << all_messages(result);
}

TEST(ConfigTypeScript, StrictMakesEveryWarningAnError) {
  const std::string text = "agent:\n  name: Bot\n  category: general\n" + kValid.substr(kValid.find("owner:")) +
                           "runtime:\n  poll_interval_seconds: 0.5\n  colour: red\n";
  const LoadResult strict = load_strict(text);
  EXPECT_EQ(positions(strict), (std::vector<std::string>{"3:13: agent.category", "13:26: runtime.poll_interval_seconds",
                                                         "14:3: runtime.colour"}))
      << all_messages(strict);
  EXPECT_TRUE(strict.warnings.empty());
}

// --- Renames, placeholder wallet, LLM key ----------------------------------------

TEST(ConfigGig, ReplacesNamesTheOldTitle) {
  const LoadResult result = load_with_env(kValid + "    replaces: \"  Old blog \"\n");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.gigs.at(0).replaces, "Old blog");
  EXPECT_FALSE(load_with_env(kValid).config.gigs.at(0).replaces.has_value());
}

TEST(ConfigOwner, TemplateWalletLoadsWithAWarning) {
  for (const std::string& wallet : {std::string(kTemplateWallet), "0x" + std::string(40, '0')}) {
    const LoadResult result = load_with_env("agent:\n  name: Bot\nowner:\n  wallet: \"" + wallet + "\"\n" +
                                            kValid.substr(kValid.find("gigs:")));
    ASSERT_TRUE(result.ok()) << all_messages(result);
    EXPECT_EQ(positions(result.warnings), (std::vector<std::string>{"4:11: owner.wallet"})) << all_messages(result);
    EXPECT_NE(result.warnings[0].message.find("replace it with your own"), std::string::npos);
  }
}

TEST(ConfigLlmKey, MissingKeyIsAProblemWhenRequired) {
  const LoadOptions required{.require_llm_key = true};
  LoadResult result = load_with_env(kValid, {}, required);
  EXPECT_EQ(positions(result), (std::vector<std::string>{"1:1: execution.api_key"})) << all_messages(result);
  EXPECT_NE(all_messages(result).find("export ANTHROPIC_API_KEY"), std::string::npos) << all_messages(result);

  result = load_with_env(kValid + "execution:\n  provider: openai\n", {}, required);
  EXPECT_EQ(positions(result), (std::vector<std::string>{"11:1: execution.api_key"})) << all_messages(result);
  EXPECT_NE(all_messages(result).find("OPENAI_API_KEY"), std::string::npos) << all_messages(result);

  result = load_with_env(kValid + "execution:\n  api_key: ${MY_LLM_KEY}\n", {}, required);
  EXPECT_EQ(positions(result), (std::vector<std::string>{"12:12: execution.api_key"})) << all_messages(result);

  // Loading for `run`, `status` and `deliver` does not ask.
  EXPECT_TRUE(load_with_env(kValid).ok());
}

TEST(ConfigLlmKey, KeyFromTheFileTheEnvironmentOrNoneForACustomEndpoint) {
  const LoadOptions required{.require_llm_key = true};
  EXPECT_TRUE(load_with_env(kValid, {{"ANTHROPIC_API_KEY", "sk-ant-1"}}, required).ok());
  EXPECT_FALSE(load_with_env(kValid, {{"OPENAI_API_KEY", "sk-1"}}, required).ok()) << "the other provider's key";
  EXPECT_TRUE(load_with_env(kValid + "execution:\n  api_key: sk-ant-1\n", {}, required).ok());
  EXPECT_TRUE(load_with_env(kValid + "execution:\n  api_key: ${MY_LLM_KEY}\n", {{"MY_LLM_KEY", "k"}}, required).ok());
  EXPECT_TRUE(load_with_env(kValid + "execution:\n  base_url: http://127.0.0.1:8080\n", {}, required).ok());
}

// --- load_file ------------------------------------------------------------------

TEST(ConfigFile, MissingFileSaysHowToCreateOne) {
  ::gigent::testing::TempDir dir;
  const LoadResult result = load_file(dir.file("gigent-agent.yaml"));
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].to_string(),
            dir.file("gigent-agent.yaml") + ":1:1: file not found; run `gigent-runtime init` to create one");
}

TEST(ConfigFile, PathIsMadeAbsolute) {
  ::gigent::testing::TempDir dir;
  {
    std::ofstream out(dir.file("gigent-agent.yaml"));
    out << kValid;
  }
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  const LoadResult result = load_file("gigent-agent.yaml");
  std::filesystem::current_path(previous);
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.path, (std::filesystem::canonical(dir.path()) / "gigent-agent.yaml").string());
  EXPECT_TRUE(std::filesystem::path(result.config.path).is_absolute());
}

TEST(ConfigFile, ProblemsNameTheFileAsGiven) {
  const LoadResult result = load_file(kDataDir + "bad_indentation.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].file, kDataDir + "bad_indentation.yaml");
  EXPECT_EQ(result.problems[0].line, 3);
}

TEST(ConfigFile, ValidMinimalFileLoads) {
  const LoadResult result = load_file(kDataDir + "valid_minimal.yaml");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.agent.name, "Minimal Bot");
}

TEST(ConfigFile, DirectoryIsRefused) {
  ::gigent::testing::TempDir dir;
  const LoadResult result = load_file(dir.path());
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].message.find("is a directory"), std::string::npos);
}

TEST(ConfigFile, HugeFileIsRefusedWithoutReadingItAll) {
  ::gigent::testing::TempDir dir;
  {
    std::ofstream out(dir.file("big.yaml"));
    const std::string line(1023, '#');
    for (int i = 0; i < 3 * 1024; ++i) out << line << '\n';  // 3 MiB
  }
  const LoadResult result = load_file(dir.file("big.yaml"));
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].line, 1);
  EXPECT_NE(result.problems[0].message.find("larger than 1 MiB"), std::string::npos);
}

TEST(ConfigFile, EmptyFileIsReported) {
  const LoadResult result = load_file(kDataDir + "empty.yaml");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].message.find("file has no settings"), std::string::npos);
}

TEST(ConfigEnums, ToString) {
  EXPECT_EQ(to_string(DeliveryFormat::Markdown), "markdown");
  EXPECT_EQ(to_string(DeliveryFormat::Text), "text");
  EXPECT_EQ(to_string(DeliveryFormat::Json), "json");
  EXPECT_EQ(to_string(FailedOrderAction::Leave), "leave");
  EXPECT_EQ(to_string(FailedOrderAction::Reject), "reject");
  EXPECT_EQ(to_string(FailedOrderAction::Cancel), "cancel");
}

// --- observability.listen ------------------------------------------------------

TEST(ConfigObservability, ListenIsOffByDefaultAndReadWhenSet) {
  EXPECT_EQ(load_with_env(kValid).config.observability.listen, "");
  for (const char* address : {"127.0.0.1:9464", "[::1]:9464", ":9464", "localhost:0"}) {
    const LoadResult result = load_with_env(kValid + "observability:\n  listen: \"" + address + "\"\n");
    ASSERT_TRUE(result.ok()) << address << ": " << all_messages(result);
    EXPECT_EQ(result.config.observability.listen, address);
  }
}

TEST(ConfigObservability, ListenAddressesAreSplitIntoAnIpAndAPort) {
  std::string error;
  auto v6 = parse_listen_address("[::1]:9464", error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9464);
  auto all = parse_listen_address(":80", error);
  ASSERT_TRUE(all) << error;
  EXPECT_EQ(all->host, "0.0.0.0");
  EXPECT_EQ(parse_listen_address("localhost:1", error)->host, "127.0.0.1");
}

TEST(ConfigObservability, AnAddressThatCannotBeListenedOnIsAnErrorAtItsValue) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"9464", "HOST:PORT"},
      {"127.0.0.1:http", "the port must be a number"},
      {"127.0.0.1:70000", "the port must be a number"},
      {"::1:9464", "in brackets"},
      {"example.com:9464", "must be an IP address"},
  };
  for (const auto& [address, message] : cases) {
    const LoadResult result = load_with_env(kValid + "observability:\n  listen: \"" + address + "\"\n");
    EXPECT_EQ(positions(result), (std::vector<std::string>{"12:11: observability.listen"})) << address;
    EXPECT_NE(all_messages(result).find(message), std::string::npos) << all_messages(result);
  }
}

}  // namespace
}  // namespace gigent::config
