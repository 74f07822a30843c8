#include "engine/order_processor.h"

#include <algorithm>
#include <ctime>
#include <functional>
#include <iomanip>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "delivery/delivery.h"
#include "engine/cancel_watch.h"
#include "engine/order_work.h"
#include "executor/prompt.h"
#include "marketplace/retry.h"
#include "metrics/runtime_metrics.h"

namespace gigent::engine {

namespace {
using marketplace::kStepRetry;

long long unix_now() {
  return static_cast<long long>(std::time(nullptr));
}

// A failed order waits 30 s, 60 s, 120 s ... (capped at 10 min) before it is
// tried again, so a broken provider is not hammered in a tight loop.
long long retry_at(int attempts) {
  long long delay = 30LL << std::min(attempts - 1, 5);
  return unix_now() + std::min(delay, 600LL);
}

// Wall-clock time of the order being processed on this worker thread, so the
// delivery line can say how long the runtime itself took (claim + journal +
// delivery, everything but the LLM call): the figure bench/pipeline_throughput.sh reads.
struct OrderTiming {
  std::chrono::steady_clock::time_point started;
  std::chrono::microseconds claim{0};
  std::chrono::microseconds llm{0};
};
thread_local OrderTiming t_timing;

double runtime_ms_outside_llm() {
  auto total = std::chrono::steady_clock::now() - t_timing.started + t_timing.claim - t_timing.llm;
  return std::chrono::duration<double, std::milli>(total).count();
}

std::shared_ptr<spdlog::logger> logger() {
  static auto log = log::get("executor");
  return log;
}

// A result the LLM already produced, still to be delivered: ResultReady, or
// Failed after a delivery that did not go through.
bool has_saved_result(const JobRecord& record) {
  return record.state == JobState::ResultReady || (record.state == JobState::Failed && !record.delivery_data.empty());
}

// An id as it may appear in a log line: at most 32 bytes, anything outside
// the id alphabet as \xHH, and the full length when it was cut.
std::string id_excerpt(const std::string& id) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < id.size() && i < 32; ++i) {
    auto c = static_cast<unsigned char>(id[i]);
    if (valid_order_id(std::string(1, id[i]))) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  out += "\"";
  if (id.size() > 32) out += "... (" + std::to_string(id.size()) + " bytes)";
  return out;
}

}  // namespace

bool valid_order_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

long long max_input_tokens(const config::ExecutionSection& execution) {
  if (execution.max_input_tokens > 0) return execution.max_input_tokens;
  // The context window is shared by the prompt and the answer.
  const long long context = execution.provider == "openai" ? 128000 : 200000;
  return std::max(1000LL, context - execution.max_tokens);
}

bool OrderProcessor::check_id(const std::string& id) {
  if (valid_order_id(id)) return true;
  bool first = false;
  {
    std::lock_guard lock(bad_ids_mutex_);
    if (bad_ids_reported_.size() > 10000) bad_ids_reported_.clear();  // bounded; a repeat is only logged again
    first = bad_ids_reported_.insert(std::hash<std::string>{}(id)).second;
  }
  if (first)
    logger()->warn(
        "skipping an order whose id is not valid ({}): an order id must be 1 to 64 characters of A-Z, a-z, 0-9, "
        "'-' and '_'; the order is not taken (reported once)",
        id_excerpt(id));
  return false;
}

nlohmann::json Counters::to_json() const {
  return {{"delivered", delivered.load()},
          {"failed", failed.load()},
          {"poison", poison.load()},
          {"llm_calls", llm_calls.load()},
          {"input_tokens", input_tokens.load()},
          {"output_tokens", output_tokens.load()},
          {"llm_latency_ms_total", llm_latency_ms_total.load()},
          {"revisions_delivered", revisions_delivered.load()},
          {"late_orders", late_orders.load()},
          {"inputs_rejected", inputs_rejected.load()},
          {"replies_corrected", replies_corrected.load()},

          {"cancelled", cancelled.load()}};
}

OrderProcessor::OrderProcessor(const config::Config& config, std::string agent_id, marketplace::Endpoint endpoint,
                               executor::LlmProvider& provider, Journal& journal, Budget& budget, Counters& counters,
                               const Cancellation& hard_stop)
    : config_(config),
      agent_id_(std::move(agent_id)),
      endpoint_(std::move(endpoint)),
      provider_(provider),
      journal_(journal),
      budget_(budget),
      counters_(counters),
      hard_stop_(hard_stop) {}

bool OrderProcessor::claim(marketplace::MarketplaceClient& client, const nlohmann::json& order) {
  auto log = logger();
  const std::string id = marketplace::string_field(order, "id");
  if (!check_id(id)) return false;
  std::string status = marketplace::string_field(order, "status");
  if (status != "pending" && status != "accepted" && status != "revision_requested" && status != "in_progress") {
    log->warn("order {}: unexpected status \"{}\"; not taken", id, status);
    return false;
  }
  auto existing = journal_.get(id);
  // With replicas sharing this journal, a record another live replica wrote
  // means that replica is on it: the backend transition already chose it.
  if (existing && config_.runtime.allow_replicas && held_by_another_live_process(*existing)) {
    log->debug("order {} is being handled by another replica (pid {})", id, existing->owner_pid);
    return false;
  }
  // Input that does not satisfy the gig's input_schema is refused before it
  // is accepted, so that `reject` can reject it.
  if (status == "pending" && !input_acceptable(client, order, existing.value_or(JobRecord{}))) return false;
  if (status == "revision_requested") {
    existing = begin_revision(client, order, existing);
    if (!existing) return false;
  }
  JobRecord record = existing.value_or(JobRecord{});
  record.order_id = id;
  // A record of a process now gone: that process may have accepted the order
  // after the list that shows it pending was read.
  const bool taken_over = existing && record.owner_pid != 0 && !owned_by_this_process(record);
  if (!existing) {
    record.state = JobState::Claimed;
    if (!journal_.create(record)) {  // another replica recorded it between get and create
      log->debug("order {} was claimed by another replica", id);
      return false;
    }
  } else {
    // Written last by another process, now gone (a replica that died, or
    // this agent's previous run): a plain write would let two replicas that
    // both read it each believe the order theirs. One conditional update
    // decides.
    if (taken_over && !journal_.take_over(record)) {
      log->debug("order {} was taken over by another replica first", id);
      return false;
    }
    if (!has_saved_result(record)) {  // never drop a saved result
      record.state = JobState::Claimed;
      record.delivery_data.clear();  // a delivered revision's old result is not this round's
      journal_.put(record);
    }
  }

  if (status == "pending") {
    int attempts = 0;
    auto accepted = marketplace::call_with_retry(
        "accepting order " + id,
        [&] {
          ++attempts;
          return client.set_order_status(id, "accepted", agent_id_);
        },
        kStepRetry, hard_stop_, *log);
    if (accepted.cancelled) {
      // Perhaps the backend took it: the record stays, and the next start's
      // reconcile either resumes the order or, if it is still pending, forgets it.
      log->info("order {}: accepting it was stopped by shutdown", id);
      return false;
    }
    std::string now_status;
    if (!accepted.ok() && !accepted.retryable() && (attempts > 1 || taken_over)) {
      // Refused on a retry, or after taking over a gone process's record:
      // perhaps an earlier accept (ours, its answer lost, or that process's)
      // went through. The order is ours to continue when the backend says we
      // are its seller and it is accepted or in progress, and this process
      // holds its journal record (so no replica is on it). Forgetting the
      // record instead would orphan the order: an order in progress without
      // a record is left to the replica presumed to work on it.
      auto current = client.get_order(id);
      const std::string st = current.ok() ? marketplace::string_field(current.body, "status") : "";
      auto mine = journal_.get(id);
      if (current.ok() && marketplace::string_field(current.body, "seller_id") == agent_id_ &&
          (st == "accepted" || st == "in_progress") && mine && owned_by_this_process(*mine))
        now_status = st;
    }
    if (!accepted.ok() && now_status.empty()) {
      journal_.forget_if_ours(id);  // never another replica's record
      if (accepted.status == 400 || accepted.status == 409)
        log->debug("order {} was taken by another worker: {}", id, accepted.error);
      else
        log->warn("could not accept order {}: {}; it stays pending and is retried at the next poll", id,
                  accepted.error);
      return false;
    }
    if (!now_status.empty() && taken_over)
      log->info("order {}: taken over from a process that is gone (pid {}); the order is {}, continuing", id,
                existing->owner_pid, now_status);
    else if (!now_status.empty())
      log->info("order {}: an earlier accept went through (its answer was lost); the order is {}, continuing", id,
                now_status);
    else
      log->info("accepted order {} (\"{}\")", id, marketplace::string_field(order, "gig_title"));
    status = now_status.empty() ? "accepted" : now_status;
  }
  if (status == "accepted" || status == "revision_requested") {
    auto started = marketplace::call_with_retry(
        "starting order " + id, [&] { return client.set_order_status(id, "in_progress", agent_id_); }, kStepRetry,
        hard_stop_, *log);
    if (!started.ok()) {
      // Perhaps our own earlier request went through: the order's status decides.
      auto current = client.get_order(id);
      if (!current.ok() || marketplace::string_field(current.body, "status") != "in_progress") {
        log->warn("could not start order {}: {}; will retry", id, started.error);
        record.state = JobState::Failed;
        record.last_error = started.error;
        record.next_attempt_at = unix_now() + 30;
        journal_.put(record);
        return false;
      }
    }
  }
  if (record.state == JobState::Claimed) {
    record.state = JobState::Started;
    journal_.put(record);
  }
  return true;
}

marketplace::MarketplaceClient& OrderProcessor::client_for_this_thread() {
  std::lock_guard lock(clients_mutex_);
  auto& client = clients_[std::this_thread::get_id()];
  if (!client) client = std::make_unique<marketplace::MarketplaceClient>(endpoint_, &hard_stop_);
  return *client;
}

void OrderProcessor::process(const nlohmann::json& order, std::chrono::microseconds claim_time) {
  t_timing = {std::chrono::steady_clock::now(), claim_time, {}};
  auto log = logger();
  const std::string id = marketplace::string_field(order, "id");
  if (!check_id(id)) return;
  metrics::OrderInFlight in_flight;
  marketplace::MarketplaceClient& client = client_for_this_thread();
  try {
    JobRecord record = journal_.get_or_new(id);
    if (record.owner_pid != 0 && !owned_by_this_process(record)) {
      // Another process wrote it last (a replica, or this agent's previous
      // run). A live replica keeps it; a dead owner's order goes to whichever
      // process takes it over first, and to that one only.
      if (config_.runtime.allow_replicas && held_by_another_live_process(record)) {
        log->debug("order {} is being handled by another replica (pid {})", id, record.owner_pid);
        return;
      }
      if (!journal_.take_over(record)) {
        log->debug("order {} was taken over by another replica first", id);
        return;
      }
    }
    if (has_saved_result(record)) {
      log->info("order {}: delivering the result saved before (no new LLM call)", id);
      deliver_saved(client, record);
      return;
    }
    execute_and_deliver(client, id, order, record);
  } catch (const JournalError& e) {
    counters_.failed++;
    log->error(
        "order {}: cannot record progress ({}); the order is left as it is and retried when the journal is "
        "writable",
        id, e.what());
  } catch (const std::exception& e) {
    counters_.failed++;
    log->error("order {}: unexpected failure: {}", id, e.what());
  }
}

namespace {
// A whole-number member of a row, or `fallback` (rows are read, never trusted).
int int_member(const nlohmann::json& row, const char* key, int fallback) {
  auto it = row.is_object() ? row.find(key) : row.end();
  if (it == row.end() || !it->is_number()) return fallback;
  const double value = it->get<double>();
  return value >= 0 && value < 1e6 ? static_cast<int>(value) : fallback;
}

// A deadline in the past is logged: the order is still done, as well as it can be.
bool is_late(const nlohmann::json& row, std::string& deadline) {
  deadline = marketplace::string_field(row, "deadline");
  if (deadline.size() < 19) return false;
  std::tm tm{};
  std::istringstream in(deadline.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return false;
  return static_cast<long long>(timegm(&tm)) < unix_now();
}

}  // namespace

void OrderProcessor::retry_later(JobRecord& record, const std::string& why) {
  record.attempts++;
  record.last_error = why;
  record.state = JobState::Failed;
  record.next_attempt_at = retry_at(record.attempts);
  journal_.put(record);
  logger()->warn("order {}: {}; retry in {} s", record.order_id, why, record.next_attempt_at - unix_now());
}

std::optional<JobRecord> OrderProcessor::begin_revision(marketplace::MarketplaceClient& client,
                                                        const nlohmann::json& order,
                                                        const std::optional<JobRecord>& existing) {
  auto log = logger();
  const std::string id = marketplace::string_field(order, "id");
  // A round begun and not delivered resumes: never a second start of it.
  if (existing && existing->state != JobState::Delivered) return existing;
  const int round = existing ? existing->round + 1 : std::max(1, int_member(order, "revisions_used", 1));
  const config::Gig* gig = config::find_gig(config_, marketplace::string_field(order, "gig_title"));
  const int allowed = int_member(order, "max_revisions", gig != nullptr ? gig->max_revisions : 1);
  if (round > allowed) {
    // gigent-server refuses such a request; a backend that does not is answered here.
    JobRecord refused = existing.value_or(JobRecord{});
    refused.order_id = id;
    refused.round = round;
    refused.state = JobState::Poison;
    refused.last_error = fmt::format("revision {} requested, but the order includes {}: not run", round, allowed);
    journal_.put(refused);
    counters_.poison++;
    log->warn("order {}: {}", id, refused.last_error);
    client.post_message(id, agent_id_,
                        fmt::format("This order included {} revision(s) and all are used, so no further revision is "
                                    "made. You can complete the order or open a dispute.",
                                    allowed));
    return std::nullopt;
  }
  bool begun = false;
  if (existing) {
    begun = journal_.begin_round(id, round);
  } else {
    JobRecord fresh;
    fresh.order_id = id;
    fresh.round = round;
    begun = journal_.create(fresh);
  }
  if (!begun) {
    log->debug("order {}: revision {} was begun by another process", id, round);
    return std::nullopt;
  }
  log->info("order {}: revision {} of {} requested (\"{}\")", id, round, allowed,
            marketplace::string_field(order, "gig_title"));
  return journal_.get(id);
}

bool OrderProcessor::input_acceptable(marketplace::MarketplaceClient& client, const nlohmann::json& order,
                                      JobRecord record) {
  const std::vector<std::string> problems = input_problems(config_, order);
  if (problems.empty()) return true;
  counters_.inputs_rejected++;
  record.order_id = marketplace::string_field(order, "id");
  const std::string list = joined(problems, "; ");
  give_up(client, record, "the input data does not satisfy the gig's input_schema: " + list,
          "the input data does not match what this gig accepts: " + list);
  return false;
}

void OrderProcessor::execute_and_deliver(marketplace::MarketplaceClient& client, const std::string& id,
                                         const nlohmann::json& order, JobRecord record) {
  auto log = logger();
  // The order as it is now, with its messages (clarifications; for a
  // revision, the request) and its last delivery.
  auto current = marketplace::call_with_retry(
      "reading order " + id, [&] { return client.get_order(id); }, kStepRetry, hard_stop_, *log);
  const bool fresh = current.ok() && current.body.is_object();
  const nlohmann::json& row = fresh ? current.body : order;
  if (record.round == 0 && !input_acceptable(client, row, record)) return;
  if (std::string deadline; is_late(row, deadline)) {
    counters_.late_orders++;
    log->warn("order {} is late (deadline {}); doing it now", id, deadline);
  }
  auto request = prepare_request(client, row, fresh, record);
  if (!request) return;
  log->info("order {}: asking {} ({}){}", id, provider_.name(), request->model.value_or(config_.execution.model),
            record.round > 0 ? fmt::format(" for revision {}", record.round) : "");
  auto result = ask(client, *request, record);
  if (!result || !check_reply(client, row, *request, *result, record)) return;
  if (result->truncated)
    log->warn("order {}: the model stopped at max_tokens ({}); delivering with the truncation marker", id,
              request->max_tokens.value_or(config_.execution.max_tokens));
  record.delivery_data = delivery_of(config_, *result).dump();
  record.input_tokens = result->usage.input_tokens;
  record.output_tokens = result->usage.output_tokens;
  record.answered_by = result->provider + "/" + (result->model.empty() ? result->configured_model : result->model);
  record.attempts = 0;  // from here on it counts delivery attempts
  record.last_error.clear();
  record.operator_note.clear();  // used by this result
  record.state = config_.delivery.auto_deliver ? JobState::ResultReady : JobState::AwaitingDelivery;
  journal_.put(record);  // durable before delivery: a crash now never costs a second LLM call
  log->info("order {}: {} ({}) answered in {} ms ({} in / {} out tokens, {} attempt(s){}{})", id, result->provider,
            result->configured_model, result->latency.count(), result->usage.input_tokens, result->usage.output_tokens,
            result->attempts, result->streamed ? ", streamed" : "",
            result->fallback_index > 0 ? fmt::format(", fallback {}", result->fallback_index) : std::string());
  if (!config_.delivery.auto_deliver) {
    log->info("order {}: auto_deliver is off; result kept for the operator (see `gigent-runtime status`)", id);
    return;
  }
  deliver_saved(client, record);
}

std::optional<executor::LlmRequest> OrderProcessor::prepare_request(marketplace::MarketplaceClient& client,
                                                                    const nlohmann::json& row, bool row_is_current,
                                                                    JobRecord& record) {
  if (record.round > 0 && !row_is_current) {
    retry_later(record, "cannot read the order's messages and last delivery for its revision");
    return std::nullopt;
  }
  PreparedCall call = prepare_call(config_, row, record.round, record.operator_note);
  if (!call.refused.empty()) {
    record.last_error = call.refused;
    give_up(client, record, record.last_error, call.for_buyer);
    return std::nullopt;
  }
  // What the order's earlier calls spent (retries, corrections, revisions)
  // counts against its own budget.
  const OrderAllowance allowance = budget_.allowance_for(record.order_id, call.prompt_tokens, call.max_tokens);
  if (allowance.refused) {
    record.last_error = allowance.reason;
    give_up(client, record, record.last_error, "the order needs more work than this agent allows for one order");
    return std::nullopt;
  }
  call.request.max_tokens = allowance.max_tokens;
  return call.request;
}

std::optional<executor::LlmResult> OrderProcessor::ask(marketplace::MarketplaceClient& client,
                                                       const executor::LlmRequest& request, JobRecord& record) {
  auto result = call_llm(request, record, client);
  if (!result) return result;
  // Before the result is saved: see Journal::record_usage. A fallback names itself.
  budget_.record(record.order_id, *result, result->provider.empty() ? provider_.name() : result->provider);
  counters_.input_tokens += result->usage.input_tokens;
  counters_.output_tokens += result->usage.output_tokens;
  counters_.llm_latency_ms_total += result->latency.count();
  return result;
}

bool OrderProcessor::check_reply(marketplace::MarketplaceClient& client, const nlohmann::json& row,
                                 const executor::LlmRequest& asked, executor::LlmResult& result, JobRecord& record) {
  auto check = check_output(config_, row, asked, result,
                            [&](const executor::LlmRequest& correction) { return ask(client, correction, record); });
  if (!check.failure.empty()) give_up(client, record, check.failure, check.for_buyer);
  if (check.corrected) counters_.replies_corrected++;
  return check.ok;
}

std::optional<executor::LlmResult> OrderProcessor::call_llm(const executor::LlmRequest& request, JobRecord& record,
                                                            marketplace::MarketplaceClient& client) {
  auto log = logger();
  const std::string& id = record.order_id;
  // Watches the order while the model works: a buyer who cancels stops the
  // paid call within seconds instead of paying for it to run to its end.
  CancelWatch watch(endpoint_, id, hard_stop_);
  try {
    counters_.llm_calls++;
    auto llm_start = std::chrono::steady_clock::now();
    executor::LlmResult result = provider_.complete(request, watch.token());
    t_timing.llm += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - llm_start);
    return result;
  } catch (const executor::LlmError& e) {
    if (hard_stop_.cancelled()) {
      // Shutdown cut the call short: not the order's fault, try again next start.
      counters_.failed++;
      record.state = JobState::Failed;
      record.last_error = "interrupted by shutdown";
      record.next_attempt_at = 0;
      journal_.put(record);
      log->warn("order {}: LLM call interrupted by shutdown; it resumes at the next start", id);
      return std::nullopt;
    }
    if (watch.buyer_cancelled()) {
      // Terminal: the intake and the reconciler never take a cancelled record
      // up again, and nothing is delivered.
      counters_.cancelled++;
      record.state = JobState::Cancelled;
      record.last_error = "the order was " + watch.closed_status() + " on the marketplace during the LLM call";
      journal_.put(record);
      log->info("order {} was {} by the buyer while the model worked on it: LLM call aborted, nothing delivered", id,
                watch.closed_status());
      return std::nullopt;
    }
    counters_.failed++;
    record.attempts++;
    record.last_error = e.what();
    if (!e.retryable() || record.attempts >= config_.runtime.max_order_attempts) {
      give_up(client, record, e.what());
      return std::nullopt;
    }
    record.state = JobState::Failed;
    record.next_attempt_at = retry_at(record.attempts);
    journal_.put(record);
    log->warn("order {} failed (attempt {} of {}): {}; retry in {} s", id, record.attempts,
              config_.runtime.max_order_attempts, e.what(), record.next_attempt_at - unix_now());
    return std::nullopt;
  }
}

void OrderProcessor::deliver_saved(marketplace::MarketplaceClient& client, JobRecord record) {
  auto log = logger();
  auto data = nlohmann::json::parse(record.delivery_data, nullptr, false);
  if (data.is_discarded()) data = {{"content", record.delivery_data}, {"format", "text"}};
  auto outcome = delivery::deliver_once(client, record.order_id, agent_id_, data, hard_stop_);
  switch (outcome.outcome) {
    case delivery::DeliveryOutcome::Delivered:
    case delivery::DeliveryOutcome::AlreadyDelivered:
      record.state = JobState::Delivered;
      record.last_error.clear();
      journal_.put(record);
      counters_.delivered++;
      if (record.round > 0) {
        // Marks where the next revision request starts, for the buyer and for read_buyer_words.
        counters_.revisions_delivered++;
        auto told = client.post_message(record.order_id, agent_id_, fmt::format("Revision {} delivered.", record.round),
                                        "delivery");
        if (!told.ok()) log->warn("order {}: could not post the delivery message: {}", record.order_id, told.error);
      }
      metrics::count_order(metrics::OrderOutcome::Delivered);
      log->info("order {} delivered (runtime {:.2f} ms outside the LLM call)", record.order_id,
                runtime_ms_outside_llm());
      return;
    case delivery::DeliveryOutcome::OrderClosed:
      record.state = JobState::Closed;
      record.last_error = outcome.error;
      journal_.put(record);
      metrics::count_order(metrics::OrderOutcome::Cancelled);
      log->info("order {} was closed by the buyer before delivery ({})", record.order_id, outcome.error);
      return;
    case delivery::DeliveryOutcome::Failed:
      // Listed in `status` as retrying; the saved result is delivered
      // without the LLM at the next attempt.
      record.state = JobState::Failed;
      record.attempts++;
      record.last_error = "delivery failed: " + outcome.error;
      record.next_attempt_at = retry_at(record.attempts);
      journal_.put(record);
      log->warn("order {}: delivery failed (attempt {}): {}; result kept, delivery retried in {} s", record.order_id,
                record.attempts, outcome.error, record.next_attempt_at - unix_now());
      return;
    case delivery::DeliveryOutcome::Refused:
      record.attempts++;
      give_up(client, record, "the marketplace refused the delivery: " + outcome.error,
              "the result could not be delivered because the marketplace refused it (" + outcome.error.substr(0, 200) +
                  ")");
      return;
  }
}

void OrderProcessor::give_up(marketplace::MarketplaceClient& client, JobRecord record, const std::string& reason,
                             const std::string& for_buyer) {
  auto log = logger();
  record.state = JobState::Poison;
  record.last_error = reason;
  journal_.put(record);
  counters_.poison++;
  const auto action = config_.runtime.failed_order_action;
  log->error("order {} failed for good after {} attempt(s): {}; action: {}", record.order_id, record.attempts, reason,
             config::to_string(action));
  const std::string why =
      for_buyer.empty() ? "the AI provider failed (" + std::string(reason.substr(0, 300)) + ")" : for_buyer;
  if (action == config::FailedOrderAction::Leave) {
    metrics::count_order(metrics::OrderOutcome::Failed);
    if (!for_buyer.empty()) {
      auto told = client.post_message(
          record.order_id, agent_id_,
          "Sorry, this order cannot be completed automatically: " + why + ". The seller has been notified.");
      if (!told.ok()) log->warn("order {}: could not tell the buyer why: {}", record.order_id, told.error);
    }
    return;
  }
  std::string note = "Sorry, this order could not be completed automatically: " + why + ". It has been " +
                     (action == config::FailedOrderAction::Reject ? "rejected" : "cancelled") + ".";
  client.post_message(record.order_id, agent_id_, note);
  auto current = client.get_order(record.order_id);
  std::string status = current.ok() ? marketplace::string_field(current.body, "status") : "";
  std::string target = (action == config::FailedOrderAction::Reject && status == "pending") ? "rejected" : "cancelled";
  auto changed = client.set_order_status(record.order_id, target, agent_id_);
  // An order the marketplace did not close stays open: it counts as failed.
  metrics::count_order(!changed.ok()          ? metrics::OrderOutcome::Failed
                       : target == "rejected" ? metrics::OrderOutcome::Rejected
                                              : metrics::OrderOutcome::Cancelled);
  if (!changed.ok())
    log->warn("order {}: could not mark it {}: {}", record.order_id, target, changed.error);
  else
    log->info("order {} marked {} and the buyer told why", record.order_id, target);
}

}  // namespace gigent::engine
