// `status` rendering: every unknown value is shown with its reason.
#include <gtest/gtest.h>

#include "cli/status_report.h"
#include "engine/engine.h"

using namespace gigent;

namespace {

nlohmann::json registered_with_backend(nlohmann::json backend) {
  return {{"agent_name", "A"},
          {"config", "c.yaml"},
          {"backend_url", "http://b"},
          {"registered", true},
          {"agent_id", "id"},
          {"backend", std::move(backend)},
          {"daemon", {{"running", false}}}};
}

TEST(RuntimeStatusRender, AnOrderCountThatCouldNotBeReadSaysWhy) {
  auto s = registered_with_backend({{"reachable", true},
                                    {"is_online", true},
                                    {"last_seen", nullptr},
                                    {"gigs", nlohmann::json::array()},
                                    {"orders", {{"pending", 2}, {"delivered", nullptr}}},
                                    {"order_errors", {{"delivered", "HTTP 500: database is locked"}}}});
  auto text = cli::render_status(s);
  EXPECT_NE(text.find("delivered ?"), std::string::npos) << text;
  EXPECT_NE(text.find("? delivered: cannot list: HTTP 500: database is locked"), std::string::npos) << text;
  EXPECT_EQ(cli::status_exit_code(s), engine::kExitBackendUnreachable);
}

TEST(RuntimeStatusRender, ABackendAnsweringAnErrorIsNotReportedAsFine) {
  auto s = registered_with_backend({{"reachable", true}, {"error", "HTTP 404: Agent not found"}});
  EXPECT_NE(cli::render_status(s).find("answered with an error: HTTP 404"), std::string::npos);
  EXPECT_EQ(cli::status_exit_code(s), engine::kExitBackendUnreachable);
}

TEST(RuntimeStatusRender, AWrongTypeInTheStateFileDoesNotThrow) {
  auto s = registered_with_backend({{"reachable", false}, {"error", "connection refused"}});
  s["daemon"] = {{"running", true},
                 {"pid", "not a number"},
                 {"loops", {{"poller", {{"state", 5}}}}},
                 {"awaiting_delivery", {{{"order_id", "o1"}}}}};
  std::string text;
  EXPECT_NO_THROW(text = cli::render_status(s));
  EXPECT_NE(text.find("o1  (title unknown: the backend could not be asked)"), std::string::npos) << text;
}

}  // namespace
