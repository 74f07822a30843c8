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

// Parses "debug" | "info" | "warn" | "error" (also "warning", "trace", "off").
bool parse_level(std::string_view text, spdlog::level::level_enum& out);
bool parse_format(std::string_view text, Format& out);

}  // namespace gigent::log
