#include "common/log.h"

#include <chrono>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <nlohmann/json.hpp>

namespace gigent::log {
namespace {

// Writes one JSON object per line. The message is escaped by nlohmann::json,
// so a brief full of quotes or newlines can never break the line format.
template <typename Mutex>
class JsonLineSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  explicit JsonLineSink(FILE* out) : out_(out) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    using namespace std::chrono;
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = duration_cast<seconds>(since_epoch);
    auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
    std::time_t t = secs.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[128];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(millis));
    nlohmann::json line = {
        {"ts", stamp},
        {"level",
         std::string(spdlog::level::to_string_view(msg.level).data(), spdlog::level::to_string_view(msg.level).size())},
        {"component", std::string(msg.logger_name.data(), msg.logger_name.size())},
        {"msg", std::string(msg.payload.data(), msg.payload.size())},
    };
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  FILE* out_;
};

std::mutex g_mutex;
Options g_options;
spdlog::sink_ptr g_sink;

spdlog::sink_ptr make_sink(const Options& o) {
  FILE* out = o.to_stderr ? stderr : stdout;
  if (o.format == Format::Json) return std::make_shared<JsonLineSink<std::mutex>>(out);
  spdlog::sink_ptr sink;
  if (o.to_stderr)
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else
    sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %-5l %-10n %v",
                                                                  spdlog::pattern_time_type::utc));
  return sink;
}

}  // namespace

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
  if (text == "trace")
    out = spdlog::level::trace;
  else if (text == "debug")
    out = spdlog::level::debug;
  else if (text == "info")
    out = spdlog::level::info;
  else if (text == "warn" || text == "warning")
    out = spdlog::level::warn;
  else if (text == "error")
    out = spdlog::level::err;
  else if (text == "off")
    out = spdlog::level::off;
  else
    return false;
  return true;
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
