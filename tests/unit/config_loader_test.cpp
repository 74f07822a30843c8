// Loading gigent-agent.yaml: defaults, ${ENV} interpolation, and a table of
// broken files with the exact position and field of every problem.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/interpolate.h"
#include "support/process.h"

namespace gigent::config {
namespace {

const std::string kDataDir = std::string(GIGENT_SOURCE_DIR) + "/tests/data/configs/";

// A valid config of exactly 10 lines; broken cases append to it, so their
// problems sit at line 11 and below.
const std::string kValid =
    "agent:\n"                                                    // 1
    "  name: Bot\n"                                               // 2
    "owner:\n"                                                    // 3
    "  wallet: \"0x00000000000000000000000000000000000000aa\"\n"  // 4
    "gigs:\n"                                                     // 5
    "  - title: Blog\n"                                           // 6
    "    description: Writes posts\n"                             // 7
    "    category: writing\n"                                     // 8
    "    pricing:\n"                                              // 9
    "      basic: { price: 5, description: \"500 words\" }\n";    // 10

// "LINE:COL: field" of each problem, in order.
std::vector<std::string> positions(const LoadResult& result) {
  std::vector<std::string> out;
  for (const Problem& problem : result.problems) {
    out.push_back(std::to_string(problem.line) + ":" + std::to_string(problem.column) + ": " + problem.field);
  }
  return out;
}

std::string all_messages(const LoadResult& result) {
  std::string out;
  for (const Problem& problem : result.problems) out += problem.to_string() + "\n";
  return out;
}

LoadResult load_with_env(const std::string& text, std::map<std::string, std::string> env = {}) {
  return load_string_with_env(text, "agent.yaml", [env](const std::string& name) {
    const auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

std::string read_data(const std::string& name) {
  std::ifstream in(kDataDir + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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

struct BrokenCase {
  std::string name;
  std::string yaml;
  std::vector<std::string> expected;  // "LINE:COL: field" of each problem, in order
  std::string message_contains;       // in the first problem's message
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
      {"wrong_type_list", kValid + "agent2: x\n", {"11:1: agent2"}, "unknown key; did you mean `agent`?"},
      {"unknown_key_with_suggestion",
       kValid + "runtime:\n  poll_intervall_seconds: 5\n",
       {"12:3: runtime.poll_intervall_seconds"},
       "did you mean `poll_interval_seconds`?"},
      {"unknown_key_truncated",
       kValid + "heartbeat:\n  interval: 5\n",
       {"12:3: heartbeat.interval"},
       "did you mean `interval_seconds`?"},
      {"unknown_key_without_suggestion",
       kValid + "logging:\n  colour: red\n",
       {"12:3: logging.colour"},
       "expected one of: level, format"},
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
       "from 0 to 1"},
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
       "from 5 to 3600"},
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
      {"unterminated_reference",
       kValid + "execution:\n  model: abc${MODEL\n",
       {"12:13: execution.model"},
       "`${` is never closed"},
  };
}

class BrokenConfig : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenConfig, ReportsEveryProblemAtItsPosition) {
  const BrokenCase& c = GetParam();
  const LoadResult result = load_with_env(c.yaml);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(positions(result), c.expected) << all_messages(result);
  ASSERT_FALSE(result.problems.empty());
  EXPECT_NE(result.problems[0].message.find(c.message_contains), std::string::npos) << all_messages(result);
  for (const Problem& problem : result.problems) {
    EXPECT_EQ(problem.file, "agent.yaml");
    EXPECT_FALSE(problem.message.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BrokenConfig, ::testing::ValuesIn(broken_cases()),
                         [](const ::testing::TestParamInfo<BrokenCase>& info) { return info.param.name; });

TEST(ConfigLoader, MultipleProblemsInOneFileAreAllReported) {
  const LoadResult result = load_with_env(read_data("multiple_problems.yaml"));
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
}

TEST(ConfigLoader, ProblemFormatIsFileLineColumnFieldMessage) {
  const LoadResult result = load_with_env(kValid + "runtime:\n  poll_interval_seconds: \"ten\"\n");
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].to_string(),
            "agent.yaml:12:26: runtime.poll_interval_seconds: \"ten\" is not an integer; expected "
            "an integer from 1 to 3600");
  Problem no_field{"f.yaml", 1, 1, "", "file has no settings"};
  EXPECT_EQ(no_field.to_string(), "f.yaml:1:1: file has no settings");
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
  const LoadResult result = load_with_env(text);
  ASSERT_EQ(result.problems.size(), 201u);
  EXPECT_NE(result.problems.back().message.find("too many problems"), std::string::npos);
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

}  // namespace
}  // namespace gigent::config
