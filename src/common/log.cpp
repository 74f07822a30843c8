#include "common/log.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <utility>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>

#include <nlohmann/json.hpp>

#include "common/service_notify.h"
#include "common/time_format.h"

namespace gigent::log {

std::string_view level_name(spdlog::level::level_enum level) {
  static constexpr std::array<std::string_view, 7> kNames = {"trace", "debug",    "info", "warn",
                                                             "error", "critical", "off"};
  auto i = static_cast<std::size_t>(level);
  return i < kNames.size() ? kNames[i] : "?";
}

namespace {

// Where a cut may fall: not inside a UTF-8 sequence.
std::size_t char_boundary(std::string_view s, std::size_t at) {
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}

void append_cut_token(std::string& out, std::string_view token) {
  if (token.size() <= kMaxLoggedToken) {
    out.append(token);
    return;
  }
  std::size_t keep = char_boundary(token, kMaxLoggedToken);
  out.append(token.substr(0, keep));
  out.append("...[" + std::to_string(token.size() - keep) + " bytes cut]");
}

// Appends `c` (at s[i]) escaped when it is a control character; returns the
// bytes consumed. C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) include
// the 8-bit CSI that terminals also obey.
std::size_t append_escaped(std::string& out, std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c == '\n') {
    out += "\\n";
  } else if (c == '\r') {
    out += "\\r";
  } else if (c == '\t') {
    out += "\\t";
  } else if (c < 0x20 || c == 0x7f) {
    out += fmt::format("\\x{:02x}", c);
  } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
             static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
    out += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[i + 1]));
    return 2;
  } else {
    out.push_back(static_cast<char>(c));
  }
  return 1;
}

bool is_control(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  return c < 0x20 || c == 0x7f ||
         (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
          static_cast<unsigned char>(s[i + 1]) <= 0x9F);
}

// Writes one line per message: "TIME LEVEL COMPONENT message" as text, or one
// JSON object. Both formats print the level as the config spells it ("warn").
// Text lines going to journald leave out the time: the journal adds its own.
template <typename Mutex>
class LineSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  LineSink(FILE* out, Format format) : out_(out), format_(format), timestamps_(!service::writes_to_journal(out)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string_view component(msg.logger_name.data(), msg.logger_name.size());
    std::string line;
    if (format_ == Format::Json) {
      // nlohmann::json escapes every control character itself.
      nlohmann::json object = {{"ts", iso8601_millis(msg.time)},
                               {"level", level_name(msg.level)},
                               {"component", component},
                               {"msg", cut_long_values(payload)}};
      if (!current_agent().empty()) object["agent"] = cut_long_values(current_agent());
      line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      const std::string agent =
          current_agent().empty() ? std::string() : fmt::format("[{}] ", sanitize_for_text(current_agent()));
      line = fmt::format("{:<5} {:<10} {}{}", level_name(msg.level), component, agent, sanitize_for_text(payload));
      if (timestamps_) line = iso8601_millis(msg.time) + " " + line;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  FILE* out_;
  Format format_;
  bool timestamps_;
};

std::mutex g_mutex;
Options g_options;
spdlog::sink_ptr g_sink;

spdlog::sink_ptr make_sink(const Options& o) {
  return std::make_shared<LineSink<std::mutex>>(o.to_stderr ? stderr : stdout, o.format);
}

}  // namespace

namespace {
thread_local std::string t_agent;
}  // namespace

AgentScope::AgentScope(std::string agent) : previous_(std::exchange(t_agent, std::move(agent))) {}
AgentScope::~AgentScope() {
  t_agent = std::move(previous_);
}
const std::string& current_agent() {
  return t_agent;
}

std::string cut_long_values(std::string_view message) {
  std::string out;
  out.reserve(std::min(message.size(), kMaxLoggedMessage + 64));
  std::size_t i = 0;
  while (i < message.size() && out.size() < kMaxLoggedMessage) {
    std::size_t end = i;
    while (end < message.size() && message[end] != ' ') ++end;
    append_cut_token(out, message.substr(i, end - i));
    if (end < message.size()) out.push_back(' ');
    i = end + 1;
  }
  if (i < message.size()) out.append("...[" + std::to_string(message.size() - i) + " bytes cut]");
  return out;
}

std::string sanitize_for_text(std::string_view message) {
  std::string cut = cut_long_values(message);
  std::string out;
  out.reserve(cut.size());
  for (std::size_t i = 0; i < cut.size();) {
    if (is_control(cut, i))
      i += append_escaped(out, cut, i);
    else
      out.push_back(cut[i++]);
  }
  return out;
}

void init(const Options& options) {
  std::lock_guard lock(g_mutex);
  g_options = options;
  g_sink = make_sink(options);
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
    logger->sinks().clear();
    logger->sinks().push_back(g_sink);
    logger->set_level(options.level);
    logger->flush_on(spdlog::level::trace);
  });
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(component)) return existing;
  if (!g_sink) g_sink = make_sink(g_options);
  auto logger = std::make_shared<spdlog::logger>(component, g_sink);
  logger->set_level(g_options.level);
  logger->flush_on(spdlog::level::trace);
  spdlog::register_logger(logger);
  return logger;
}

bool parse_level(std::string_view text, spdlog::level::level_enum& out) {
  for (auto level : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
                     spdlog::level::err, spdlog::level::off}) {
    if (text == level_name(level)) {
      out = level;
      return true;
    }
  }
  return false;
}

bool parse_format(std::string_view text, Format& out) {
  if (text == "text")
    out = Format::Text;
  else if (text == "json")
    out = Format::Json;
  else
    return false;
  return true;
}

}  // namespace gigent::log
