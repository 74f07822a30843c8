#include "executor/llm_counters.h"

namespace gigent::executor {

void LlmCounters::retry(const std::string& provider, const std::string& reason) {
  std::lock_guard lock(mutex_);
  counts_.retries_by_reason[reason]++;
  counts_.retries_by_provider[provider]++;
}

void LlmCounters::answered(const std::string& provider, const std::string& model, bool streamed) {
  std::lock_guard lock(mutex_);
  counts_.answered_by[provider + "/" + model]++;
  if (streamed) counts_.streamed++;
}

void LlmCounters::fell_back(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  counts_.fallbacks[from + "->" + to]++;
}

void LlmCounters::cancelled_by_buyer() {
  std::lock_guard lock(mutex_);
  counts_.cancelled_by_buyer++;
}

LlmCounters::Snapshot LlmCounters::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

nlohmann::json LlmCounters::to_json() const {
  const Snapshot s = snapshot();
  return {{"answered_by", s.answered_by},
          {"retries_by_reason", s.retries_by_reason},
          {"retries_by_provider", s.retries_by_provider},
          {"fallbacks", s.fallbacks},
          {"streamed", s.streamed},
          {"cancelled_by_buyer", s.cancelled_by_buyer}};
}

std::string retry_reason(int status, const std::string& error_type) {
  if (error_type == "stall") return "stall";
  if (error_type == "timeout" || status == 408) return "timeout";
  if (error_type == "connection_error") return "connection";
  if (error_type == "malformed_response") return "malformed";
  if (status == 529 || error_type == "overloaded_error") return "overloaded";
  if (status == 429 || error_type == "rate_limit_error") return "rate_limited";
  if (status == 200) return "stream_error";  // an error event inside a 200 stream
  if (status >= 500) return "server_error";
  return "other";
}

}  // namespace gigent::executor
