// The `gigs` section of gigent-agent.yaml: each gig, its pricing tiers, the
// one delivery time the marketplace shows, unique titles and renames.
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "common/text.h"
#include "config/json_schema_check.h"
#include "config/schema.h"
#include "config/yaml_json.h"

namespace gigent::config {

const std::vector<std::string_view> kCategories = {"data",     "code",    "writing",    "creative",
                                                   "research", "finance", "automation", "ai"};

namespace {

// Bounds that keep the walk linear even when YAML aliases repeat a big node.
constexpr std::size_t kMaxGigs = 100;
constexpr double kMaxPrice = 1'000'000;
constexpr double kMaxDeliveryDays = 365;

const std::vector<std::string_view> kGigKeys = {
    "title",    "description",         "category",      "subcategory",   "tags",
    "pricing",  "delivery_time_hours", "max_revisions", "example_input", "example_output",
    "replaces", "execution",           "input_schema",  "output_schema"};
const std::vector<std::string_view> kGigExecutionKeys = {"model", "system_prompt", "max_tokens", "temperature"};
const std::vector<std::string_view> kPricingKeys = {"basic", "standard", "premium"};
const std::vector<std::string_view> kTierKeys = {"price", "description", "delivery_days", "instructions"};

// A tier as read, and where its `delivery_days` was set (if it was).
struct TierRead {
  Tier tier;
  std::optional<Position> delivery_days_at;
};

void read_price(Reader& in, const Section& tier, double& out) {
  const std::string expected = "a price in USD greater than 0 and at most " + format_number(kMaxPrice);
  const Entry* price = tier.find("price");
  if (price == nullptr) {
    in.add(tier.anchor(), tier.field("price"), "is missing; expected " + expected);
    return;
  }
  // -1 marks "not read": range problems are reported by read_number.
  out = -1;
  in.read_number(tier, "price", out, 0, kMaxPrice, expected);
  if (out == 0) in.add(in.value_position(*price), tier.field("price"), "0 is not a price; expected " + expected);
}

void read_delivery_days(Reader& in, const Section& tier, TierRead& out) {
  const Entry* days = tier.find("delivery_days");
  if (days == nullptr) return;
  const std::string expected = "a number of days greater than 0 and at most " + format_number(kMaxDeliveryDays);
  double value = -1;
  in.read_number(tier, "delivery_days", value, 0, kMaxDeliveryDays, expected);
  if (value == 0) {
    in.add(in.value_position(*days), tier.field("delivery_days"), "0 is not a delivery time; expected " + expected);
  }
  if (value <= 0) return;
  out.tier.delivery_days = value;
  out.delivery_days_at = in.value_position(*days);
}

std::optional<TierRead> read_tier(Reader& in, const Section& pricing, std::string_view key, bool required,
                                  double default_days) {
  const auto tier = in.child_section(pricing, key, kTierKeys, required,
                                     "a mapping with `price` and `description` (and optionally `delivery_days`)");
  if (!tier) return std::nullopt;
  if (pricing.find(key) == nullptr) return std::nullopt;  // optional tier left out
  TierRead out;
  out.tier.delivery_days = default_days;
  read_price(in, *tier, out.tier.price);
  in.read_string(*tier, "description", out.tier.description,
                 {.required = true, .expected = "a non-empty string saying what this tier delivers"});
  read_delivery_days(in, *tier, out);
  in.read_string(*tier, "instructions", out.tier.instructions);
  return out;
}

// The TypeScript runtime's defaults: 1, 2 and 3 days for the three tiers.
// Returns where basic's delivery_days was set, if it was.
std::optional<Position> read_pricing(Reader& in, const Section& gig, Gig& out) {
  const auto pricing = in.child_section(gig, "pricing", kPricingKeys, true,
                                        "a mapping with a `basic` tier (price and description), optionally "
                                        "`standard` and `premium`");
  if (!pricing) return std::nullopt;
  std::optional<Position> basic_days_at;
  if (auto basic = read_tier(in, *pricing, "basic", true, 1)) {
    out.basic = basic->tier;
    basic_days_at = basic->delivery_days_at;
  }
  if (auto standard = read_tier(in, *pricing, "standard", false, 2)) out.standard = standard->tier;
  if (auto premium = read_tier(in, *pricing, "premium", false, 3)) out.premium = premium->tier;
  return basic_days_at;
}

int days_to_hours(double days) {
  const double hours = days * 24;
  // 1/3 day is 8 hours, not 9 after a rounding error.
  const double nearest = std::round(hours);
  return static_cast<int>(std::abs(hours - nearest) < 1e-6 ? nearest : std::ceil(hours));
}

// The marketplace shows one delivery time per gig. The TypeScript runtime
// publishes basic's delivery_days * 24; our `delivery_time_hours` says it in
// hours. Either may be set; both must agree.
void resolve_delivery_time(Reader& in, const Section& gig, std::optional<Position> basic_days_at, Gig& out) {
  const Entry* hours_entry = gig.find("delivery_time_hours");
  int hours = -1;
  if (hours_entry != nullptr) in.read_int(gig, "delivery_time_hours", hours, 1, 8760);
  if (!basic_days_at) {
    if (hours > 0) out.delivery_time_hours = hours;
    return;
  }
  const int from_days = days_to_hours(out.basic.delivery_days);
  out.delivery_time_hours = from_days;
  if (hours > 0 && hours != from_days) {
    in.add(in.value_position(*hours_entry), gig.field("delivery_time_hours"),
           std::to_string(hours) +
               " hours disagrees with pricing.basic.delivery_days: " + format_number(out.basic.delivery_days) + " (" +
               std::to_string(from_days) + " hours, line " + std::to_string(basic_days_at->line) +
               "); expected only one of the two, or both saying the same (the marketplace shows one delivery time "
               "per gig)");
  }
}

// Gig titles seen so far (lowercased, trimmed): which gig and where.
using TitleIndex = std::unordered_map<std::string, std::pair<std::size_t, Position>>;

void check_unique_title(Reader& in, const Section& gig, const std::string& title, std::size_t index,
                        TitleIndex& titles) {
  const std::string title_key = lowercase(trim(title));
  if (title_key.empty()) return;
  const Position title_position = in.value_position(*gig.find("title"));
  const auto [it, inserted] = titles.emplace(title_key, std::make_pair(index, title_position));
  if (!inserted) {
    in.add(title_position, gig.field("title"),
           "duplicate gig title (same as gigs[" + std::to_string(it->second.first) + "] at line " +
               std::to_string(it->second.second.line) +
               "); expected each gig to have its own title, since gigs are matched by title when publishing");
  }
}

// A `replaces` as read: which gig, where, and the old title.
struct Rename {
  std::size_t gig = 0;
  Position position;
  std::string old_title;
};

void read_replaces(Reader& in, const Section& gig, std::size_t index, Gig& out, std::vector<Rename>& renames) {
  const Entry* entry = gig.find("replaces");
  if (entry == nullptr) return;
  std::string old_title;
  in.read_string(gig, "replaces", old_title,
                 {.required = true, .expected = "the title this gig had before, as published"});
  old_title = trim(old_title);
  if (old_title.empty()) return;
  out.replaces = old_title;
  renames.push_back({index, in.value_position(*entry), old_title});
}

// A rename names a title that no gig of this file has any more, and at most
// one gig takes over each old title.
void check_renames(Reader& in, const std::vector<Rename>& renames, const TitleIndex& titles) {
  std::unordered_map<std::string, std::size_t> claimed;
  for (const Rename& rename : renames) {
    const std::string field = "gigs[" + std::to_string(rename.gig) + "].replaces";
    const std::string key = lowercase(rename.old_title);
    if (const auto it = titles.find(key); it != titles.end()) {
      in.add(rename.position, field,
             quote_for_message(rename.old_title) + " is still the title of gigs[" + std::to_string(it->second.first) +
                 "] (line " + std::to_string(it->second.second.line) +
                 "); expected the title the gig had before it was renamed, which no gig of this file has now");
    } else if (const auto [first, inserted] = claimed.emplace(key, rename.gig); !inserted) {
      in.add(rename.position, field,
             quote_for_message(rename.old_title) + " is already replaced by gigs[" + std::to_string(first->second) +
                 "]; expected one gig to take over each old title");
    }
  }
}

// `gigs[].execution`: the top-level execution settings this gig changes. The
// provider is the daemon's one provider, so the temperature range is its.
void read_gig_execution(Reader& in, const Section& gig, const std::string& provider, ExecutionOverride& out) {
  if (gig.find("execution") == nullptr) return;
  const auto execution = in.child_section(gig, "execution", kGigExecutionKeys, false,
                                          "a mapping of execution settings for this gig (model, system_prompt, "
                                          "max_tokens, temperature)");
  if (!execution) return;
  if (execution->find("model") != nullptr) {
    std::string model;
    in.read_string(*execution, "model", model, {.required = true, .expected = "a model name, e.g. claude-sonnet-4-5"});
    if (!trim(model).empty()) out.model = trim(model);
  }
  if (execution->find("system_prompt") != nullptr) {
    std::string prompt;
    in.read_string(*execution, "system_prompt", prompt);
    out.system_prompt = prompt;
  }
  if (execution->find("max_tokens") != nullptr) {
    int max_tokens = -1;
    in.read_int(*execution, "max_tokens", max_tokens, 1, 200000);
    if (max_tokens > 0) out.max_tokens = max_tokens;
  }
  if (execution->find("temperature") != nullptr) {
    const bool anthropic = provider != "openai";
    double temperature = -1;
    in.read_number(*execution, "temperature", temperature, 0, anthropic ? 1 : 2,
                   anthropic ? "a number from 0 to 1 (Anthropic's API refuses any other; OpenAI's accepts 0 to 2)"
                             : "a number from 0 to 2 (OpenAI's API refuses any other)");
    if (temperature >= 0) out.temperature = temperature;
  }
}

// A JSON Schema written as a YAML mapping or as JSON text, checked as a
// schema here so that a mistake is a config error, not a failed order.
void read_schema(Reader& in, const Section& gig, std::string_view key, nlohmann::json& out) {
  const Entry* entry = gig.find(key);
  if (entry == nullptr || !entry->value || entry->value.IsNull()) return;
  auto converted = yaml_to_json(entry->value);
  if (const auto* error = std::get_if<std::string>(&converted)) {
    in.add(in.value_position(*entry), gig.field(key), *error);
    return;
  }
  auto schema = std::get<nlohmann::json>(std::move(converted));
  if (auto problem = json_schema_problem(schema)) {
    in.add(in.value_position(*entry), gig.field(key),
           fmt::format("is not a valid JSON Schema (draft-07): {}", *problem));
    return;
  }
  out = std::move(schema);
}

void read_gig(Reader& in, const YAML::Node& node, std::size_t index, TitleIndex& titles, std::vector<Rename>& renames,
              const std::string& provider, std::vector<Gig>& gigs) {
  const std::string path = "gigs[" + std::to_string(index) + "]";
  const Position position = position_of(node.Mark());
  if (!node.IsMap()) {
    in.add(position, path,
           "is " + kind_of(node) + "; expected a mapping with title, description, category and pricing");
    return;
  }
  const auto gig = in.open_section(node, path, position, kGigKeys, "a gig mapping");
  if (!gig) return;
  Gig out;
  in.read_string(*gig, "title", out.title, {.required = true, .expected = "a non-empty title"});
  check_unique_title(in, *gig, out.title, index, titles);
  in.read_string(*gig, "description", out.description,
                 {.required = true, .expected = "a non-empty description of the service"});
  if (const auto category = in.read_choice(*gig, "category", kCategories, true)) out.category = *category;
  in.read_string(*gig, "subcategory", out.subcategory);
  in.read_string_list(*gig, "tags", out.tags);
  const std::optional<Position> basic_days_at = read_pricing(in, *gig, out);
  resolve_delivery_time(in, *gig, basic_days_at, out);
  in.read_int(*gig, "max_revisions", out.max_revisions, 0, 100);
  in.read_string(*gig, "example_input", out.example_input);
  in.read_string(*gig, "example_output", out.example_output);
  read_replaces(in, *gig, index, out, renames);
  read_gig_execution(in, *gig, provider, out.execution);
  read_schema(in, *gig, "input_schema", out.input_schema);
  read_schema(in, *gig, "output_schema", out.output_schema);
  gigs.push_back(std::move(out));
}

}  // namespace

void read_gigs(Reader& in, const Section& root, const std::string& provider, std::vector<Gig>& out) {
  constexpr std::string_view expected = "a list of gigs, each starting with `- title: ...` (at least one)";
  const Entry* entry = root.find("gigs");
  if (entry == nullptr) {
    in.add(root.anchor(), "gigs", "section is missing; expected " + std::string(expected));
    return;
  }
  const YAML::Node& gigs = entry->value;
  if (!gigs || gigs.IsNull() || (gigs.IsSequence() && gigs.size() == 0)) {
    in.add(in.value_position(*entry), "gigs", "has no gigs; expected " + std::string(expected));
    return;
  }
  if (!gigs.IsSequence()) {
    in.add(in.value_position(*entry), "gigs", "is " + kind_of(gigs) + "; expected " + std::string(expected));
    return;
  }
  if (gigs.size() > kMaxGigs) {
    in.add(in.value_position(*entry), "gigs",
           "has " + std::to_string(gigs.size()) + " gigs; expected at most " + std::to_string(kMaxGigs));
    return;
  }
  TitleIndex titles;
  std::vector<Rename> renames;
  for (std::size_t i = 0; i < gigs.size(); ++i) read_gig(in, gigs[i], i, titles, renames, provider, out);
  check_renames(in, renames, titles);
}

const Tier& Gig::tier(const std::string& name) const {
  if (name == "premium" && premium) return *premium;
  if (name == "standard" && standard) return *standard;
  return basic;
}

ExecutionSection execution_for(const ExecutionSection& top, const Gig& gig) {
  ExecutionSection merged = top;
  if (gig.execution.model) merged.model = *gig.execution.model;
  if (gig.execution.system_prompt) merged.system_prompt = *gig.execution.system_prompt;
  if (gig.execution.max_tokens) merged.max_tokens = *gig.execution.max_tokens;
  if (gig.execution.temperature) merged.temperature = *gig.execution.temperature;
  return merged;
}

const Gig* find_gig(const Config& config, const std::string& gig_title) {
  const std::string wanted = lowercase(trim(gig_title));
  if (wanted.empty()) return nullptr;
  for (const Gig& gig : config.gigs)
    if (lowercase(trim(gig.title)) == wanted) return &gig;
  return nullptr;
}

}  // namespace gigent::config
