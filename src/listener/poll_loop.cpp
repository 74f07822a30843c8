#include "listener/poll_loop.h"

#include <algorithm>

#include "common/backoff.h"
#include "common/log.h"
#include "marketplace/retry.h"

namespace gigent::listener {

namespace {
std::shared_ptr<spdlog::logger> logger() {
  static auto log = log::get("poller");
  return log;
}

// How much longer than its own wait a step may take before /healthz calls the
// loop stuck: a slow but working backend must never look stuck.
constexpr std::chrono::milliseconds kStepMargin{60000};
// Claiming an order or reconciling the journal makes several backend calls,
// each retried a few times with a timeout of its own.
constexpr std::chrono::milliseconds kSlowStep{300000};
}  // namespace

PollLoop::PollLoop(marketplace::MarketplaceClient& client, std::string agent_id, OrderSink& sink,
                   StatusRegistry& status, PollOptions options)
    : client_(client),
      agent_id_(std::move(agent_id)),
      sink_(sink),
      status_(status),
      options_(std::move(options)),
      last_housekeeping_(std::chrono::steady_clock::now()) {}

void PollLoop::expect_step(std::chrono::milliseconds step) {
  status_.expect_progress(kStatusEntry, step + kStepMargin);
}

void PollLoop::run(const Cancellation& shutdown) {
  while (!shutdown.cancelled()) {
    // Waiting for a worker has no deadline of its own: the workers' calls have theirs.
    status_.expect_progress(kStatusEntry, std::nullopt);
    sink_.wait_for_free_worker(shutdown);
    if (shutdown.cancelled()) break;
    expect_step(kSlowStep);
    maybe_housekeeping();
    if (listed_.empty()) {
      if ((!pages_ || pages_->done()) && start_pass(shutdown) == Step::Stop) break;
      if (fetch_page(shutdown) == Step::Stop) break;
    }
    if (take_listed(shutdown) == Step::Stop) break;
  }
  status_.expect_progress(kStatusEntry, std::nullopt);
  status_.set_state(kStatusEntry, "stopped");
}

void PollLoop::maybe_housekeeping() {
  if (std::chrono::steady_clock::now() - last_housekeeping_ < options_.housekeeping_interval &&
      !sink_.housekeeping_due())
    return;
  try {
    sink_.housekeeping();
  } catch (const std::exception& e) {  // e.g. a full disk: try again at the next round
    logger()->error("reconcile: {}", e.what());
  }
  last_housekeeping_ = std::chrono::steady_clock::now();
}

// Ends the pass that just finished (pausing when it makes sense) and starts
// the next. With long-poll the server does the waiting, unless the list held
// only orders that cannot be taken, which would spin.
PollLoop::Step PollLoop::start_pass(const Cancellation& shutdown) {
  if (pages_) {
    previous_unreadable_ = pass_unreadable_;
    status_.set_problems(kStatusEntry, pass_unreadable_);  // what this pass found, no longer what earlier ones did
    bool spin_risk = pass_listed_ > 0 && pass_taken_ == 0 && sink_.has_free_worker();
    bool more_may_wait = pass_taken_ > 0 && sink_.has_free_worker();
    bool go_on = options_.long_poll_seconds > 0 ? !spin_risk : more_may_wait;
    if (!go_on) {
      status_.set_state(kStatusEntry, "sleeping");
      const auto pause = jittered(options_.interval, 0.1);
      expect_step(pause);
      if (!shutdown.wait_for(pause)) return Step::Stop;
    }
    page_limit_ = std::min(OrderPages::kMaxPage, pages_->page_limit() * 2);  // grow back after a too-large page
  }
  pages_ =
      std::make_unique<OrderPages>(client_, agent_id_, next_pass_status(), options_.long_poll_seconds, page_limit_);
  pass_listed_ = pass_taken_ = taken_since_page_ = 0;
  pass_unreadable_.clear();
  return Step::Continue;
}

PollLoop::Step PollLoop::fetch_page(const Cancellation& shutdown) {
  bool waits = options_.long_poll_seconds > 0 && pass_listed_ == 0 && pass_unreadable_.empty();
  status_.set_state(kStatusEntry, waits ? "waiting for orders (long-poll)" : "polling");
  expect_step(std::chrono::seconds(waits ? options_.long_poll_seconds : 0) + client_.endpoint().timeout);
  auto page = pages_->next(taken_since_page_);
  taken_since_page_ = 0;
  if (shutdown.cancelled()) return Step::Stop;
  report_unreadable(page.unreadable);
  if (!page.ok) {
    auto before = status_.get(kStatusEntry);
    status_.record_failure(kStatusEntry, page.error);
    auto delay = marketplace::backoff_delay(
        {-1, std::chrono::seconds(1), std::max<std::chrono::milliseconds>(options_.interval, std::chrono::seconds(30))},
        failures_++);
    logger()->warn(failure_message("poll", page.error, delay, before.last_success));
    status_.set_state(kStatusEntry, "backing off");
    expect_step(delay);
    pages_.reset();  // the next pass starts over, without a further pause
    return shutdown.wait_for(delay) ? Step::Continue : Step::Stop;
  }
  if (failures_ > 0) logger()->info("poll recovered after {} failure(s)", failures_);
  failures_ = 0;
  status_.record_success(kStatusEntry);
  pass_listed_ += static_cast<int>(page.orders.size());
  sort_by_deadline(page.orders);
  listed_.assign(std::make_move_iterator(page.orders.begin()), std::make_move_iterator(page.orders.end()));
  return Step::Continue;
}

std::string PollLoop::next_pass_status() {
  const std::size_t pass = passes_++;
  if (options_.more_statuses.empty()) return options_.order_status;
  if (options_.status_lists) {
    std::string list = options_.order_status;
    for (const auto& more : options_.more_statuses) list += "," + more;
    return list;
  }
  const std::size_t pick = pass % (options_.more_statuses.size() + 1);
  return pick == 0 ? options_.order_status : options_.more_statuses[pick - 1];
}

void sort_by_deadline(std::vector<nlohmann::json>& orders) {
  auto deadline = [](const nlohmann::json& order) {
    auto it = order.find("deadline");
    return it != order.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::stable_sort(orders.begin(), orders.end(), [&](const nlohmann::json& a, const nlohmann::json& b) {
    const std::string da = deadline(a), db = deadline(b);
    if (da.empty() || db.empty()) return !da.empty() && db.empty();
    return da < db;
  });
}

// Takes listed orders while a worker is free; the rest wait for one (the top
// of the loop) before the next page is read.
PollLoop::Step PollLoop::take_listed(const Cancellation& shutdown) {
  while (!listed_.empty() && !shutdown.cancelled() && sink_.has_free_worker()) {
    expect_step(kSlowStep);
    nlohmann::json order = std::move(listed_.front());
    listed_.pop_front();
    switch (sink_.take(order)) {
      case OrderSink::Taken::Yes:
        taken_since_page_++;
        pass_taken_++;
        break;
      case OrderSink::Taken::No:
        break;
      case OrderSink::Taken::Pause:
        listed_.clear();
        pages_.reset();
        status_.set_state(kStatusEntry, "paused");
        expect_step(options_.interval * 2);
        return shutdown.wait_for(jittered(options_.interval, 0.1)) ? Step::Continue : Step::Stop;
    }
  }
  return Step::Continue;
}

// Logged once each, and shown in the status at once (with what the last
// complete pass found, until this pass completes).
void PollLoop::report_unreadable(const std::vector<std::string>& unreadable) {
  if (unreadable.empty()) return;
  for (const auto& what : unreadable) {
    pass_unreadable_.push_back(what);
    if (logged_unreadable_.size() > 10000) logged_unreadable_.clear();  // bounded; at worst a line is logged again
    if (logged_unreadable_.insert(what).second)
      logger()->warn("skipping {}; the other orders are taken as usual", what);
  }
  std::set<std::string> shown(previous_unreadable_.begin(), previous_unreadable_.end());
  shown.insert(pass_unreadable_.begin(), pass_unreadable_.end());
  status_.set_problems(kStatusEntry, {shown.begin(), shown.end()});
}

}  // namespace gigent::listener
