#pragma once
// What the LLM providers did, counted for the daemon's status file and its
// metrics: which provider and model answered, why calls were retried, how
// often a fallback took over. Thread-safe; workers report, readers copy.
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace gigent::executor {

class LlmCounters {
 public:
  // `reason`: one of retry_reason()'s words.
  void retry(const std::string& provider, const std::string& reason);
  void answered(const std::string& provider, const std::string& model, bool streamed);
  void fell_back(const std::string& from, const std::string& to);
  void cancelled_by_buyer();

  struct Snapshot {
    std::map<std::string, long long> answered_by;        // "anthropic/claude-sonnet-4-5" -> calls
    std::map<std::string, long long> retries_by_reason;  // "overloaded" -> retries
    std::map<std::string, long long> retries_by_provider;
    std::map<std::string, long long> fallbacks;  // "anthropic->openai" -> times
    long long streamed = 0;                      // answers that came as a stream
    long long cancelled_by_buyer = 0;            // calls aborted because the buyer cancelled
  };
  Snapshot snapshot() const;
  // The snapshot as the state file's "llm" object.
  nlohmann::json to_json() const;

 private:
  mutable std::mutex mutex_;
  Snapshot counts_;
};

// The reason a failed attempt is retried, in a few stable words for metrics:
// rate_limited, overloaded, server_error, timeout, stall, connection,
// malformed, stream_error, other.
std::string retry_reason(int status, const std::string& error_type);

}  // namespace gigent::executor
