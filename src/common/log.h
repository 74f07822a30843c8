#pragma once
// Structured logging for both binaries: timestamp, level, component, message.
// Human-readable on a terminal, JSON lines with Format::Json.
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace gigent::log {

enum class Format { Text, Json };

struct Options {
  Format format = Format::Text;
  spdlog::level::level_enum level = spdlog::level::info;
  bool to_stderr = false;  // the server keeps stdout for its "listening" line
};

// Configures every logger made by get(), now and later. Safe to call again.
void init(const Options& options);

// A logger whose name is the component ("heartbeat", "poller", "http", ...).
std::shared_ptr<spdlog::logger> get(const std::string& component);

// The agent a line is about, in a process running many agents: set on a
// thread while it works for one agent and printed with every line it logs
// (after the component in text, "agent" in JSON). Unset: no agent field.
class AgentScope {
 public:
  explicit AgentScope(std::string agent);
  ~AgentScope();  // restores the agent that was set before
  AgentScope(const AgentScope&) = delete;
  AgentScope& operator=(const AgentScope&) = delete;

 private:
  std::string previous_;
};
// The agent set on this thread ("" when none).
const std::string& current_agent();

// The level as the config spells it and every log line prints it:
// "trace" | "debug" | "info" | "warn" | "error" | "critical" | "off".
std::string_view level_name(spdlog::level::level_enum level);

// Parses the names level_name() prints ("critical" excepted).
bool parse_level(std::string_view text, spdlog::level::level_enum& out);
bool parse_format(std::string_view text, Format& out);

// Logged values come from buyers (order ids, titles, briefs), so a log line
// is bounded: any space-free run longer than kMaxLoggedToken (an id, a URL)
// is cut, and the message stops after kMaxLoggedMessage bytes, each cut
// marked "...[N bytes cut]".
inline constexpr std::size_t kMaxLoggedToken = 256;
inline constexpr std::size_t kMaxLoggedMessage = 4096;
std::string cut_long_values(std::string_view message);

// cut_long_values(), then control characters (newlines, ANSI escapes, C1
// controls) written as \n, \x1b, \u009b, so a value can neither start a
// forged log line nor move the terminal cursor.
std::string sanitize_for_text(std::string_view message);

}  // namespace gigent::log
