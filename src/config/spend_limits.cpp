// What the operator lets the daemon take on and spend: `runtime.auto_accept`
// as a rule and `execution.budget`. Both only bound what the daemon does;
// every key is optional.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "config/schema.h"
#include "config/suggest.h"

namespace gigent::config {

namespace {

const std::vector<std::string_view> kAcceptRuleKeys = {"max_price", "tiers", "categories"};
const std::vector<std::string_view> kBudgetKeys = {"max_tokens_per_order", "max_tokens_per_day", "max_cost_per_day_usd",
                                                   "price_per_million_input_tokens", "price_per_million_output_tokens"};
const std::vector<std::string_view> kTierNames = {"basic", "standard", "premium"};

// A list of words each of which must be one of `allowed`: a word that can
// never match an order would silently hold every order back.
void read_word_list_of(Reader& in, const Section& section, std::string_view key,
                       const std::vector<std::string_view>& allowed, std::vector<std::string>& out) {
  std::vector<std::string> words;
  in.read_string_list(section, key, words);
  const Entry* entry = section.find(key);
  for (std::size_t i = 0; i < words.size() && entry != nullptr; ++i) {
    const std::string word = lowercase(words[i]);
    if (std::find(allowed.begin(), allowed.end(), word) != allowed.end()) {
      out.push_back(word);
      continue;
    }
    const YAML::Node item = entry->value[i];
    const Position position = item.Mark().is_null() ? in.value_position(*entry) : position_of(item.Mark());
    std::string message = quote_for_message(words[i]) + " is not one of: " + join(allowed);
    if (const auto suggestion = closest_match(word, allowed)) message += " (did you mean `" + *suggestion + "`?)";
    in.add(position, section.field(key) + "[" + std::to_string(i) + "]", std::move(message));
  }
}

}  // namespace

void read_auto_accept(Reader& in, const Section& runtime, RuntimeSection& out) {
  const Entry* entry = runtime.find("auto_accept");
  if (entry == nullptr || !entry->value.IsMap()) {
    in.read_bool(runtime, "auto_accept", out.auto_accept);
    return;
  }
  const auto section = in.child_section(runtime, "auto_accept", kAcceptRuleKeys, false,
                                        "true, false, or a rule {max_price, tiers, categories}");
  if (!section) return;
  AcceptRule rule;
  double max_price = -1;
  in.read_number(*section, "max_price", max_price, 0, 1'000'000, "a price in USD from 0 to 1000000");
  if (max_price >= 0) rule.max_price = max_price;
  read_word_list_of(in, *section, "tiers", kTierNames, rule.tiers);
  read_word_list_of(in, *section, "categories", kCategories, rule.categories);
  out.auto_accept = true;
  out.accept_rule = std::move(rule);
}

void read_budget(Reader& in, const Section& execution, BudgetSection& out) {
  const auto budget =
      in.child_section(execution, "budget", kBudgetKeys, false, "a mapping of spend limits (see the template)");
  if (!budget) return;
  in.read_int(*budget, "max_tokens_per_order", out.max_tokens_per_order, 1, 1'000'000'000);
  in.read_int(*budget, "max_tokens_per_day", out.max_tokens_per_day, 1, 2'000'000'000);
  in.read_number(*budget, "max_cost_per_day_usd", out.max_cost_per_day_usd, 0, 1'000'000,
                 "a number of USD from 0 (no limit) to 1000000");
  in.read_number(*budget, "price_per_million_input_tokens", out.price_per_million_input_tokens, 0, 100'000);
  in.read_number(*budget, "price_per_million_output_tokens", out.price_per_million_output_tokens, 0, 100'000);
  const Entry* cost = budget->find("max_cost_per_day_usd");
  if (cost != nullptr && out.max_cost_per_day_usd > 0 && !out.has_prices())
    in.add(in.value_position(*cost), budget->field("max_cost_per_day_usd"),
           "needs price_per_million_input_tokens and price_per_million_output_tokens (your provider's prices for "
           "the model) to know what a call costs");
}

}  // namespace gigent::config
