// What the operator commands print from data they do not control: buyer text
// made safe for a terminal, backend times as ages, and the watch's extras.
#include <gtest/gtest.h>

#include <chrono>

#include "cli/agent_access.h"
#include "cli/status_watch.h"

namespace {

using gigent::cli::age_of;
using gigent::cli::render_watch_extras;
using gigent::cli::terminal_safe;

TEST(OperatorText, ControlCharactersAreShownNeverSent) {
  EXPECT_EQ(terminal_safe("plain text, ünïcode"), "plain text, ünïcode");
  EXPECT_EQ(terminal_safe("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(terminal_safe("bell\x07 del\x7f"), "bell\\x07 del\\x7f");
  EXPECT_EQ(terminal_safe("two\nlines\tok"), "two\\x0alines\\x09ok");
  EXPECT_EQ(terminal_safe("two\nlines\tok", true), "two\nlines\tok");
  EXPECT_EQ(terminal_safe("cr\r", true), "cr\\x0d") << "a carriage return could overwrite the line";
  EXPECT_EQ(terminal_safe(std::string("bad \xff utf8")), "bad \xef\xbf\xbd utf8");
}

TEST(OperatorText, AgesOfBackendTimes) {
  const auto now = std::chrono::system_clock::from_time_t(1'767'225'600);  // 2026-01-01 00:00:00 UTC
  EXPECT_EQ(age_of("2025-12-31 23:59:30", now), "30 s");
  EXPECT_EQ(age_of("2025-12-31 23:50:00", now), "10 min");
  EXPECT_EQ(age_of("2025-12-31 12:00:00", now), "12 h");
  EXPECT_EQ(age_of("2026-01-01 00:00:09", now), "0 ms") << "a backend clock ahead is no negative age";
  EXPECT_EQ(age_of("yesterday", now), "?");
  EXPECT_EQ(age_of("", now), "?");
}

TEST(OperatorText, WatchShowsABudgetOnlyWhenTheDaemonReportsOne) {
  nlohmann::json recent = nlohmann::json::array({{{"order_id", "o-1"}, {"at", "2000-01-01 00:00:00"}}});
  auto without = render_watch_extras({{"daemon", {{"running", true}}}}, recent);
  EXPECT_EQ(without.find("Budget"), std::string::npos) << without;
  EXPECT_NE(without.find("  - o-1  "), std::string::npos) << without;
  auto with =
      render_watch_extras({{"daemon", {{"budget", {{"spent_usd", 1.5}, {"limit_usd", 10}}}}}}, nlohmann::json::array());
  EXPECT_NE(with.find("Budget"), std::string::npos) << with;
  EXPECT_NE(with.find("spent_usd 1.5"), std::string::npos) << with;
  EXPECT_NE(with.find("none recorded here"), std::string::npos) << with;
  auto hostile = render_watch_extras({{"daemon", {{"budget", {{"k\x1b[2J", "v"}}}}}}, nlohmann::json::array());
  EXPECT_EQ(hostile.find('\x1b'), std::string::npos) << hostile;
}

}  // namespace
