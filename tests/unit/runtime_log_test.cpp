// Log lines carry values from buyers (ids, titles): whatever they hold, one
// message is one bounded line that cannot move the terminal's cursor.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "support/process.h"

using namespace gigent;

namespace {

// Runs `body` with the process's stderr sent to a file; returns what was written.
template <typename F>
std::string capture_stderr(const gigent::testing::TempDir& dir, F body) {
  std::string path = dir.file("stderr.txt");
  std::fflush(stderr);
  int saved = ::dup(2);
  FILE* file = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(file), 2);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fclose(file);
  return gigent::testing::slurp(path);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string kForged =
    "order-1\n2026-01-01T00:00:00.000Z info  engine     delivered order\x1b[2J\x1b[H\xc2\x9b"
    "31m";

TEST(RuntimeLog, TextLinesEscapeControlCharactersAndCutLongValues) {
  gigent::testing::TempDir dir;
  auto out = capture_stderr(dir, [] {
    log::init({log::Format::Text, spdlog::level::info, true});
    auto log = log::get("logtest");
    log->info("taking order {} now", kForged);
    log->info("taking order {} now", std::string(100'000, 'i'));
  });
  auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos);
  EXPECT_NE(lines[0].find("order-1\\n2026-01-01"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\\x1b[2J"), std::string::npos) << lines[0];
  EXPECT_LT(lines[1].size(), 1000u);
  EXPECT_NE(lines[1].find("bytes cut]"), std::string::npos);
  EXPECT_NE(lines[1].find(" now"), std::string::npos) << "the text after a cut value is kept";
}

TEST(RuntimeLog, JsonLinesSayWarnAsTheConfigDoesAndAreBounded) {
  gigent::testing::TempDir dir;
  auto out = capture_stderr(dir, [] {
    log::init({log::Format::Json, spdlog::level::info, true});
    auto log = log::get("logtest");
    log->warn("order {}", kForged);
    log->warn("order {}", std::string(100'000, 'i'));
  });
  auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u) << out;
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first.value("level", ""), "warn");
  EXPECT_NE(first.value("msg", "").find(kForged), std::string::npos) << "JSON keeps the value, escaped by JSON";
  EXPECT_LT(lines[1].size(), 1000u);
  spdlog::level::level_enum level{};
  EXPECT_TRUE(log::parse_level("warn", level));
  EXPECT_EQ(level, spdlog::level::warn);
}

}  // namespace
