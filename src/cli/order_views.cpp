#include "cli/order_views.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cli/agent_access.h"
#include "common/utf8.h"
#include "engine/journal.h"
#include "engine/order_processor.h"
#include "marketplace/client.h"
#include "marketplace/order_status.h"

namespace gigent::cli {

namespace {

using marketplace::string_field;
using nlohmann::json;

// Every page up to a bound: enough for an operator's screen, not a way to
// pull a marketplace's history through the CLI.
constexpr int kPageSize = 100;
constexpr int kMaxOrders = 1000;

std::optional<std::vector<json>> fetch_orders(marketplace::MarketplaceClient& client, const std::string& agent_id,
                                              const std::string& state, std::ostream& err) {
  std::vector<json> orders;
  for (int offset = 0; offset < kMaxOrders; offset += kPageSize) {
    auto page = client.list_orders(agent_id, "seller", state, {kPageSize, offset});
    const json* rows = page.ok() && page.body.is_object() ? &page.body["orders"] : nullptr;
    if (!rows || !rows->is_array()) {
      err << "error: cannot list the orders at " << client.endpoint().base_url << ": "
          << (page.ok() ? std::string("the answer has no order list") : page.error)
          << "; check the backend URL and that it runs (`gigent-runtime doctor`)\n";
      return std::nullopt;
    }
    for (const auto& row : *rows)
      if (row.is_object()) orders.push_back(row);
    if (static_cast<int>(rows->size()) < kPageSize) break;
  }
  return orders;
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

void print_table(const std::vector<json>& orders, std::ostream& out) {
  const auto now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> rows = {{"ID", "GIG", "TIER", "BUYER", "STATE", "AGE"}};
  for (const auto& o : orders)
    rows.push_back({terminal_safe(string_field(o, "id")), terminal_safe(utf8_prefix(string_field(o, "gig_title"), 40)),
                    terminal_safe(string_field(o, "tier")),
                    terminal_safe(utf8_prefix(string_field(o, "buyer_name"), 24)),
                    terminal_safe(string_field(o, "status")), age_of(string_field(o, "created_at"), now)});
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += i + 1 == row.size() ? row[i] : pad(row[i], widths[i] + 2);
    out << line << "\n";
  }
  if (orders.empty()) out << "(no orders)\n";
}

std::string delivered_text(const json& delivery_data) {
  json data = marketplace::decode_embedded_json(delivery_data);
  if (data.is_null() || (data.is_string() && data.get_ref<const std::string&>().empty())) return "";
  if (data.is_object()) {
    if (data.contains("content") && data["content"].is_string()) return data["content"].get<std::string>();
    if (data.contains("result"))
      return data["result"].is_string() ? data["result"].get<std::string>() : data["result"].dump(2);
  }
  return data.is_string() ? data.get<std::string>() : data.dump(2);
}

void print_section(std::ostream& out, const std::string& heading, const std::string& text) {
  out << "\n" << heading << "\n" << (text.empty() ? "(none)" : terminal_safe(text, true)) << "\n";
}

void print_order(const json& o, std::ostream& out) {
  for (const auto& [label, key] : std::vector<std::pair<const char*, const char*>>{{"Order", "id"},
                                                                                   {"Gig", "gig_title"},
                                                                                   {"Tier", "tier"},
                                                                                   {"Buyer", "buyer_name"},
                                                                                   {"State", "status"},
                                                                                   {"Placed", "created_at"},
                                                                                   {"Deadline", "deadline"},
                                                                                   {"Delivered", "delivered_at"}})
    if (!string_field(o, key).empty()) out << pad(label, 10) << terminal_safe(string_field(o, key)) << "\n";
  if (o.contains("price") && o["price"].is_number())
    out << pad("Price", 10) << fmt::format("{:.2f}", o["price"].get<double>()) << "\n";
  print_section(out, "Brief:", string_field(o, "brief"));
  json input = marketplace::decode_embedded_json(o.value("input_data", json()));
  if (!input.is_null() && !(input.is_string() && input.get_ref<const std::string&>().empty()))
    print_section(out, "Input data:", input.is_string() ? input.get<std::string>() : input.dump(2));
  out << "\nMessages:\n";
  const json& messages = o.contains("messages") && o["messages"].is_array() ? o["messages"] : json::array();
  if (messages.empty()) out << "(none)\n";
  for (const auto& m : messages)
    out << "  " << terminal_safe(string_field(m, "created_at")) << "  "
        << terminal_safe(string_field(m, "message_type")) << ": " << terminal_safe(string_field(m, "content"), true)
        << "\n";
  print_section(out, "Delivered result:", delivered_text(o.value("delivery_data", json())));
}

// The result the daemon keeps for review (auto_deliver off), if any.
void print_kept_result(const config::Config& config, const std::string& order_id, std::ostream& out) {
  try {
    engine::Journal journal(engine::RuntimePaths::for_config(config.path).journal);
    auto record = journal.get(order_id);
    if (!record || record->state != engine::JobState::AwaitingDelivery) return;
    auto data = json::parse(record->delivery_data, nullptr, false);
    print_section(out, "Kept result, not delivered yet (`gigent-runtime deliver [--edit] " + order_id + "` sends it):",
                  data.is_discarded() ? record->delivery_data : delivered_text(data));
  } catch (const engine::JournalError&) {
    // No journal here, or unreadable: the backend's view above is the answer.
  }
}

}  // namespace

int list_orders(const config::Config& config, const std::string& backend_url, const std::string& state, bool as_json,
                std::ostream& out, std::ostream& err) {
  if (!state.empty() && std::find(marketplace::kOrderStatuses.begin(), marketplace::kOrderStatuses.end(), state) ==
                            marketplace::kOrderStatuses.end()) {
    err << "error: --state " << terminal_safe(state) << " is not an order state; use one of pending, accepted, "
        << "in_progress, delivered, completed, rejected, revision_requested, cancelled, disputed, resolved\n";
    return engine::kExitBadConfig;
  }
  auto creds = credentials_or_report(engine::RuntimePaths::for_config(config.path), err);
  if (!creds) return engine::kExitBootFailed;
  marketplace::MarketplaceClient client({backend_url, creds->api_key, std::chrono::seconds(10)});
  auto orders = fetch_orders(client, creds->agent_id, state, err);
  if (!orders) return engine::kExitBackendUnreachable;
  if (!as_json) {
    print_table(*orders, out);
    return engine::kExitOk;
  }
  json list = json::array();
  for (const auto& o : *orders)
    list.push_back({{"id", string_field(o, "id")},
                    {"gig_id", string_field(o, "gig_id")},
                    {"gig_title", string_field(o, "gig_title")},
                    {"tier", string_field(o, "tier")},
                    {"buyer_id", string_field(o, "buyer_id")},
                    {"buyer_name", string_field(o, "buyer_name")},
                    {"status", string_field(o, "status")},
                    {"created_at", string_field(o, "created_at")}});
  out << list.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  return engine::kExitOk;
}

int show_order(const config::Config& config, const std::string& backend_url, const std::string& order_id,
               std::ostream& out, std::ostream& err) {
  if (!engine::valid_order_id(order_id)) {
    err << "error: an order id is 1 to 64 characters of A-Z a-z 0-9 - _ (see `gigent-runtime orders`)\n";
    return engine::kExitBadConfig;
  }
  auto creds = credentials_or_report(engine::RuntimePaths::for_config(config.path), err);
  if (!creds) return engine::kExitBootFailed;
  marketplace::MarketplaceClient client({backend_url, creds->api_key, std::chrono::seconds(10)});
  auto order = client.get_order(order_id);
  if (!order.ok() || !order.body.is_object()) {
    err << "error: cannot read order " << order_id << ": " << (order.ok() ? "the answer is not an order" : order.error)
        << (order.status == 404 ? " (no such order; see `gigent-runtime orders`)" : "") << "\n";
    return order.status == 0 || order.status >= 500 ? engine::kExitBackendUnreachable : engine::kExitFailure;
  }
  print_order(order.body, out);
  print_kept_result(config, order_id, out);
  return engine::kExitOk;
}

}  // namespace gigent::cli
