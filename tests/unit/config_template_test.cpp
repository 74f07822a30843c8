// The template `gigent-runtime init` writes: it must load cleanly as written,
// show every field, and show the real defaults where it says it does.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config/interpolate.h"

namespace gigent::config {
namespace {

std::string all_messages(const LoadResult& result) {
  std::string out;
  for (const Problem& problem : result.problems) out += problem.to_string() + "\n";
  for (const Problem& warning : result.warnings) out += warning.to_string() + "\n";
  return out;
}

TEST(ConfigTemplate, LoadsWithZeroProblemsInAnEmptyEnvironment) {
  const LoadResult result =
      load_string_with_env(template_yaml(), "gigent-agent.yaml",
                           [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  EXPECT_TRUE(result.ok()) << all_messages(result);
  EXPECT_EQ(result.config.gigs.size(), 1u);
  EXPECT_FALSE(result.config.agent.name.empty());
}

TEST(ConfigTemplate, LoadsWithZeroProblemsInTheProcessEnvironment) {
  const LoadResult result = load_string(template_yaml(), "gigent-agent.yaml");
  EXPECT_TRUE(result.ok()) << all_messages(result);
}

TEST(ConfigTemplate, ShowsEveryField) {
  const YAML::Node root = YAML::Load(template_yaml());
  const std::vector<std::pair<std::string, std::vector<std::string>>> sections = {
      {"agent", {"name", "description", "category", "tags", "avatar_url"}},
      {"owner", {"wallet"}},
      {"runtime",
       {"poll_interval_seconds", "auto_accept", "max_concurrent_orders", "shutdown_grace_seconds", "max_order_attempts",
        "failed_order_action", "allow_replicas", "long_poll_seconds"}},
      {"execution",
       {"provider", "model", "system_prompt", "temperature", "max_tokens", "api_key", "base_url", "timeout_seconds",
        "connect_timeout_seconds", "max_retries", "stream"}},
      {"delivery", {"format", "auto_deliver", "truncation_marker"}},
      {"heartbeat", {"enabled", "interval_seconds"}},
      {"logging", {"level", "format"}},
      {"backend", {"url"}},
      {"observability", {"listen"}},
  };
  for (const auto& [section, keys] : sections) {
    ASSERT_TRUE(root[section].IsMap()) << section;
    for (const std::string& key : keys) EXPECT_TRUE(root[section][key]) << section << "." << key;
  }
  const YAML::Node gig = root["gigs"][0];
  for (const char* key : {"title", "description", "category", "subcategory", "tags", "pricing", "delivery_time_hours",
                          "max_revisions", "example_input", "example_output"}) {
    EXPECT_TRUE(gig[key]) << "gigs[0]." << key;
  }
  for (const char* tier : {"basic", "standard", "premium"}) {
    EXPECT_TRUE(gig["pricing"][tier]["price"]) << tier;
    EXPECT_TRUE(gig["pricing"][tier]["description"]) << tier;
    EXPECT_TRUE(gig["pricing"][tier]["delivery_days"]) << tier;
  }
  // A rename is the exception, not the rule: shown commented out.
  EXPECT_NE(template_yaml().find("    # replaces: \""), std::string::npos);
  // So is a fallback provider.
  EXPECT_NE(template_yaml().find("  # fallback:\n  #   - provider: openai\n"), std::string::npos);
}

TEST(ConfigTemplate, TheCommentedFallbackLoadsWhenUncommented) {
  std::string yaml = template_yaml();
  for (const char* line : {"  # fallback:", "  #   - provider: openai", "  #     model: gpt-4o",
                           "  #     api_key: ${OPENAI_API_KEY}", "  #     base_url: \"\""}) {
    const std::string commented = line;
    const auto at = yaml.find(commented);
    ASSERT_NE(at, std::string::npos) << commented;
    yaml.replace(at, commented.size(), "  " + commented.substr(4));
  }
  const LoadResult result = load_string_with_env(yaml, "gigent-agent.yaml", [](const std::string& name) {
    return name == "OPENAI_API_KEY" ? std::optional<std::string>("sk-fallback") : std::nullopt;
  });
  ASSERT_TRUE(result.ok()) << all_messages(result);
  ASSERT_EQ(result.config.execution.fallback.size(), 1u);
  EXPECT_EQ(result.config.execution.fallback[0].provider, "openai");
  EXPECT_EQ(result.config.execution.fallback[0].model, "gpt-4o");
  EXPECT_EQ(result.config.execution.fallback[0].api_key, "sk-fallback");
}

TEST(ConfigTemplate, ShowsThePerGigWorkKeysCommentedAndTheyLoadWhenUncommented) {
  const std::string& text = template_yaml();
  for (const char* shown : {"    # execution:\n", "    #   system_prompt: ", "    # input_schema:\n",
                            "    # output_schema:\n", "instructions: \"3,000 words"}) {
    EXPECT_NE(text.find(shown), std::string::npos) << shown;
  }
  // Uncommented, the examples are a valid config.
  std::string uncommented = text;
  for (const char* key :
       {"execution:\n", "  model: claude", "  system_prompt: \"You are a senior", "  max_tokens: 8192",
        "  temperature: 0.5", "input_schema:\n", "  type: object\n", "  required: [topic]", "  properties:\n",
        "    topic: {", "output_schema:\n", "  type: object\n", "  required: [title"}) {
    const auto at = uncommented.find(std::string("    # ") + key);
    ASSERT_NE(at, std::string::npos) << key;
    uncommented.erase(at + 4, 2);
  }
  const LoadResult result = load_string(uncommented, "gigent-agent.yaml");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Gig& gig = result.config.gigs.at(0);
  EXPECT_EQ(gig.execution.max_tokens, 8192);
  EXPECT_EQ(gig.input_schema["required"], nlohmann::json::array({"topic"}));
  EXPECT_EQ(gig.output_schema["type"], "object");
}

TEST(ConfigTemplate, ShownDeliveryDaysAreTheDefaults) {
  const LoadResult result = load_string(template_yaml(), "gigent-agent.yaml");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Gig& gig = result.config.gigs.at(0);
  EXPECT_EQ(gig.basic.delivery_days, Tier{}.delivery_days);
  EXPECT_EQ(gig.standard->delivery_days, 2);
  EXPECT_EQ(gig.premium->delivery_days, 3);
  EXPECT_EQ(gig.delivery_time_hours, Gig{}.delivery_time_hours);
}

TEST(ConfigTemplate, OnlyWarningIsThePlaceholderWallet) {
  const LoadResult result = load_string(template_yaml(), "gigent-agent.yaml");
  ASSERT_EQ(result.warnings.size(), 1u) << all_messages(result);
  EXPECT_EQ(result.warnings[0].field, "owner.wallet");
  EXPECT_EQ(result.config.owner.wallet, kTemplateWallet);
  EXPECT_FALSE(load_string(template_yaml(), "gigent-agent.yaml", {.strict = true}).ok());
}

TEST(ConfigTemplate, ShownSettingsAreTheDefaults) {
  const LoadResult result = load_string(template_yaml(), "gigent-agent.yaml");
  ASSERT_TRUE(result.ok()) << all_messages(result);
  const Config& shown = result.config;
  const Config defaults;
  EXPECT_EQ(shown.runtime.poll_interval_seconds, defaults.runtime.poll_interval_seconds);
  EXPECT_EQ(shown.runtime.auto_accept, defaults.runtime.auto_accept);
  EXPECT_EQ(shown.runtime.max_concurrent_orders, defaults.runtime.max_concurrent_orders);
  EXPECT_EQ(shown.runtime.shutdown_grace_seconds, defaults.runtime.shutdown_grace_seconds);
  EXPECT_EQ(shown.runtime.max_order_attempts, defaults.runtime.max_order_attempts);
  EXPECT_EQ(shown.runtime.failed_order_action, defaults.runtime.failed_order_action);
  EXPECT_EQ(shown.runtime.allow_replicas, defaults.runtime.allow_replicas);
  EXPECT_EQ(shown.runtime.long_poll_seconds, defaults.runtime.long_poll_seconds);
  EXPECT_EQ(shown.execution.provider, defaults.execution.provider);
  EXPECT_EQ(shown.execution.model, defaults.execution.model);
  EXPECT_DOUBLE_EQ(shown.execution.temperature, defaults.execution.temperature);
  EXPECT_EQ(shown.execution.max_tokens, defaults.execution.max_tokens);
  EXPECT_EQ(shown.execution.api_key, defaults.execution.api_key);
  EXPECT_EQ(shown.execution.base_url, defaults.execution.base_url);
  EXPECT_EQ(shown.execution.timeout_seconds, defaults.execution.timeout_seconds);
  EXPECT_EQ(shown.execution.connect_timeout_seconds, defaults.execution.connect_timeout_seconds);
  EXPECT_EQ(shown.execution.max_retries, defaults.execution.max_retries);
  EXPECT_EQ(shown.delivery.format, defaults.delivery.format);
  EXPECT_EQ(shown.delivery.auto_deliver, defaults.delivery.auto_deliver);
  EXPECT_EQ(shown.delivery.truncation_marker, defaults.delivery.truncation_marker);
  EXPECT_EQ(shown.heartbeat.enabled, defaults.heartbeat.enabled);
  EXPECT_EQ(shown.heartbeat.interval_seconds, defaults.heartbeat.interval_seconds);
  EXPECT_EQ(shown.logging.level, defaults.logging.level);
  EXPECT_EQ(shown.logging.format, defaults.logging.format);
  EXPECT_EQ(shown.backend.url, defaults.backend.url);
}

TEST(ConfigTemplate, ExplainsAllowedValuesAndEnvHints) {
  const std::string& text = template_yaml();
  for (const char* hint :
       {"anthropic | openai", "markdown | text | json", "debug | info | warn | error", "leave | reject | cancel",
        "data, code, writing, creative, research", "${MY_LLM_KEY}", "ANTHROPIC_API_KEY", "${GIGENT_API_URL", "1..3600",
        "1..256", "0..2", "5..3600", "delivery_days", "--strict", "general"}) {
    EXPECT_NE(text.find(hint), std::string::npos) << hint;
  }
}

// The template's commented lines starting with `prefix` and the "#   " lines
// under them, uncommented.
std::string uncommented(std::string text, const std::string& prefix) {
  const std::size_t start = text.find(prefix);
  if (start == std::string::npos) return text;
  const std::string indent = prefix.substr(0, prefix.find('#'));
  text.erase(start + indent.size(), 2);  // "# "
  std::size_t line = text.find('\n', start) + 1;
  const std::string nested = indent + "#   ";
  while (text.compare(line, nested.size(), nested) == 0) {
    text.erase(line + indent.size(), 2);
    line = text.find('\n', line) + 1;
  }
  return text;
}

TEST(ConfigTemplate, TheCommentedBudgetAndAcceptanceRuleLoadWhenUncommented) {
  std::string text = uncommented(template_yaml(), "  # budget:");
  // The rule replaces `auto_accept: true`, which follows the commented example.
  text = uncommented(text, "  # auto_accept:");
  const std::size_t plain = text.find("  auto_accept: true\n");
  ASSERT_NE(plain, std::string::npos);
  text.erase(plain, std::string("  auto_accept: true\n").size());
  const LoadResult result = load_string(text, "gigent-agent.yaml");
  ASSERT_TRUE(result.ok()) << all_messages(result) << text;
  const BudgetSection& budget = result.config.execution.budget;
  EXPECT_EQ(budget.max_tokens_per_order, 20000);
  EXPECT_EQ(budget.max_tokens_per_day, 1000000);
  EXPECT_DOUBLE_EQ(budget.max_cost_per_day_usd, 5);
  EXPECT_TRUE(budget.has_prices());
  ASSERT_TRUE(result.config.runtime.accept_rule.has_value());
  EXPECT_EQ(result.config.runtime.accept_rule->tiers, (std::vector<std::string>{"basic", "standard"}));
  EXPECT_EQ(result.config.runtime.accept_rule->categories, (std::vector<std::string>{"writing"}));
}

}  // namespace
}  // namespace gigent::config
