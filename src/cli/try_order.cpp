#include "cli/try_order.h"

#include <optional>

#include <fmt/format.h>

#include "common/cancel.h"
#include "common/text.h"
#include "engine/budget.h"
#include "engine/engine.h"
#include "engine/order_work.h"
#include "executor/llm_provider.h"

namespace gigent::cli {

namespace {

// The gig `--gig` names, or the file's first when it names none.
const config::Gig* gig_to_try(const config::Config& config, const std::string& title) {
  if (trim(title).empty()) return config.gigs.empty() ? nullptr : &config.gigs.front();
  return config::find_gig(config, title);
}

std::optional<config::Tier> find_tier(const config::Gig& gig, const std::string& tier) {
  if (tier == "basic") return gig.basic;
  if (tier == "standard") return gig.standard;
  if (tier == "premium") return gig.premium;
  return std::nullopt;
}

// The order as the marketplace would hand it to the daemon.
std::optional<nlohmann::json> make_order(const config::Config& config, const TryOptions& options, std::ostream& err) {
  const config::Gig* gig = gig_to_try(config, options.gig);
  if (gig == nullptr) {
    err << "error: no gig titled \"" << options.gig << "\" in " << config.path << "; its gigs:";
    for (const auto& g : config.gigs) err << " \"" << g.title << "\"";
    err << "\n";
    return std::nullopt;
  }
  const auto tier = find_tier(*gig, options.tier);
  if (!tier) {
    err << "error: the gig \"" << gig->title << "\" has no " << options.tier << " tier\n";
    return std::nullopt;
  }
  nlohmann::json order = {
      {"id", "try"},          {"status", "in_progress"}, {"brief", options.brief}, {"gig_title", gig->title},
      {"tier", options.tier}, {"price", tier->price}};
  if (!options.input.empty()) {
    auto input = nlohmann::json::parse(options.input, nullptr, false);
    if (input.is_discarded()) {
      err << "error: --input is not JSON; pass the order's input data as a JSON document, e.g. '{\"topic\": "
             "\"tea\"}'\n";
      return std::nullopt;
    }
    order["input_data"] = std::move(input);
  }
  return order;
}

void print_text(const nlohmann::json& report, std::ostream& out) {
  out << "Gig       \"" << report["gig"].get<std::string>() << "\" (" << report["tier"].get<std::string>()
      << fmt::format(", ${:.2f})\n", report["price"].get<double>());
  out << "Answered  " << report["provider"].get<std::string>() << " " << report["model"].get<std::string>() << " in "
      << report["latency_ms"].get<long long>() << " ms (" << report["attempts"].get<int>() << " attempt(s))"
      << (report["truncated"].get<bool>() ? ", stopped at max_tokens" : "") << "\n";
  out << "Tokens    " << report["input_tokens"].get<long long>() << " in / " << report["output_tokens"].get<long long>()
      << " out\n";
  if (report["cost_usd"].is_number())
    out << fmt::format("Cost      ${:.6f}\n", report["cost_usd"].get<double>());
  else
    out << "Cost      unknown (set execution.budget.price_per_million_input_tokens and _output_tokens)\n";
  const auto& delivery = report["delivery"];
  out << "--- delivery (" << delivery.value("format", "") << ") ---\n";
  const auto content = delivery.contains("content") ? delivery["content"] : delivery.value("result", nlohmann::json());
  out << (content.is_string() ? content.get<std::string>() : content.dump(2)) << "\n";
}

}  // namespace

int try_order(const config::Config& config, const TryOptions& options, std::ostream& out, std::ostream& err) {
  const auto order = make_order(config, options, err);
  if (!order) return engine::kExitBadConfig;
  if (auto problems = engine::input_problems(config, *order); !problems.empty()) {
    err << "error: the daemon would reject this order: the input data does not satisfy the gig's input_schema: "
        << engine::joined(problems, "; ") << "\n";
    return engine::kExitFailure;
  }
  engine::PreparedCall call = engine::prepare_call(config, *order);
  if (!call.refused.empty()) {
    err << "error: the daemon would not run this order: " << call.refused << "\n";
    return engine::kExitFailure;
  }
  const auto allowance = engine::order_allowance(config.execution.budget, call.max_tokens, 0, call.prompt_tokens);
  if (allowance.refused) {
    err << "error: the daemon would not run this order: " << allowance.reason << "\n";
    return engine::kExitFailure;
  }
  call.request.max_tokens = allowance.max_tokens;
  std::unique_ptr<executor::LlmProvider> provider;
  try {
    provider = executor::make_provider(config.execution);
  } catch (const std::exception& e) {
    err << "error: cannot set up the LLM provider: " << e.what() << "\n";
    return engine::kExitBadConfig;
  }
  Cancellation never;
  std::string call_error;
  auto ask = [&](const executor::LlmRequest& request) -> std::optional<executor::LlmResult> {
    try {
      return provider->complete(request, never);
    } catch (const executor::LlmError& e) {
      call_error = e.what();
      return std::nullopt;
    }
  };
  auto answered = ask(call.request);
  if (!answered) {
    err << "error: the LLM call failed: " << call_error << "\n";
    return engine::kExitFailure;
  }
  executor::LlmResult result = std::move(*answered);
  const auto check = engine::check_output(config, *order, call.request, result, ask);
  if (!check.ok) {
    err << "error: " << (check.failure.empty() ? "the corrective LLM call failed: " + call_error : check.failure)
        << "\n";
    return engine::kExitFailure;
  }
  const auto& budget = config.execution.budget;
  nlohmann::json report = {
      {"gig", (*order)["gig_title"]},
      {"tier", options.tier},
      {"price", (*order)["price"]},
      {"provider", result.provider.empty() ? provider->name() : result.provider},  // a fallback names itself
      {"model", result.model.empty() ? call.request.model.value_or(config.execution.model) : result.model},
      {"input_tokens", result.usage.input_tokens},
      {"output_tokens", result.usage.output_tokens},
      {"cost_usd", budget.has_prices()
                       ? nlohmann::json(engine::cost_usd(budget, result.usage.input_tokens, result.usage.output_tokens))
                       : nlohmann::json(nullptr)},
      {"truncated", result.truncated},
      {"attempts", result.attempts},
      {"corrected", check.corrected},
      {"latency_ms", static_cast<long long>(result.latency.count())},
      {"delivery", engine::delivery_of(config, result)},
  };
  if (options.json)
    out << report.dump(2) << "\n";
  else
    print_text(report, out);
  return engine::kExitOk;
}

}  // namespace gigent::cli
