#include "engine/acceptance.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/text.h"
#include "marketplace/client.h"

namespace gigent::engine {

namespace {

// The category of the order's gig, from this file's gigs (the order row
// names the gig by title only); empty for a gig the file no longer has.
std::string gig_category(const config::Config& config, const std::string& gig_title) {
  const std::string wanted = lowercase(trim(gig_title));
  for (const auto& gig : config.gigs)
    if (lowercase(trim(gig.title)) == wanted) return gig.category;
  return "";
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  return fmt::format("{}", fmt::join(list, ", "));
}

}  // namespace

std::optional<double> order_price(const nlohmann::json& order) {
  if (!order.is_object()) return std::nullopt;
  auto it = order.find("price");
  if (it == order.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (!it->is_string()) return std::nullopt;
  try {
    std::size_t used = 0;
    const std::string& text = it->get_ref<const std::string&>();
    double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
    // not a number: no price
  }
  return std::nullopt;
}

std::optional<std::string> left_for_operator(const config::Config& config, const nlohmann::json& order) {
  if (!config.runtime.auto_accept) return "runtime.auto_accept is false";
  if (!config.runtime.accept_rule) return std::nullopt;
  const config::AcceptRule& rule = *config.runtime.accept_rule;
  if (rule.max_price) {
    const auto price = order_price(order);
    if (!price) return "the order has no price, and runtime.auto_accept.max_price is set";
    if (*price > *rule.max_price)
      return fmt::format("its price {} is above runtime.auto_accept.max_price {}", *price, *rule.max_price);
  }
  if (!rule.tiers.empty()) {
    std::string tier = lowercase(marketplace::string_field(order, "tier", "basic"));
    if (tier.empty()) tier = "basic";
    if (!listed(rule.tiers, tier))
      return fmt::format("its tier {} is not in runtime.auto_accept.tiers [{}]", tier, joined(rule.tiers));
  }
  if (!rule.categories.empty()) {
    const std::string title = marketplace::string_field(order, "gig_title");
    const std::string category = gig_category(config, title);
    if (category.empty()) return fmt::format("its gig \"{}\" is not in this config, so its category is unknown", title);
    if (!listed(rule.categories, category))
      return fmt::format("its gig's category {} is not in runtime.auto_accept.categories [{}]", category,
                         joined(rule.categories));
  }
  return std::nullopt;
}

}  // namespace gigent::engine
