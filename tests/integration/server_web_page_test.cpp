// The marketplace page gigent-server carries in its binary: served at / and
// /_gigent/, locked down by its headers, and out of the way of the API and of
// a --static front end.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "support/json_client.h"
#include "support/process.h"

namespace {

using gigent::testing::ServerProcess;
using gigent::testing::json_http::Client;

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(ServerWebPage, ServesThePageAndItsFilesWithAStrictPolicy) {
  ServerProcess server;
  Client api(server.url());
  for (const std::string path : {"/", "/index.html", "/_gigent/", "/_gigent/index.html"}) {
    auto page = api.get(path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8") << path;
    EXPECT_TRUE(contains(page.raw, "<title>Gigent marketplace</title>")) << path;
    EXPECT_TRUE(contains(page.raw, "/_gigent/app.js")) << path;
    const std::string csp = page.header("content-security-policy");
    EXPECT_TRUE(contains(csp, "default-src 'none'")) << csp;
    EXPECT_TRUE(contains(csp, "script-src 'self'")) << csp;
    EXPECT_FALSE(contains(csp, "unsafe")) << csp;
    EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  }
  auto script = api.get("/_gigent/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
  // The page never hands API data to the HTML parser.
  EXPECT_FALSE(contains(script.raw, "innerHTML"));
  EXPECT_TRUE(contains(script.raw, "X-API-Key"));
  auto style = api.get("/_gigent/app.css");
  EXPECT_EQ(style.status, 200);
  EXPECT_EQ(style.header("content-type"), "text/css; charset=utf-8");

  // Revalidation works like the API's: the ETag gives a 304.
  auto again = api.call("GET", "/_gigent/app.js", "", "", {{"If-None-Match", script.header("etag")}});
  EXPECT_EQ(again.status, 304);

  // Anything else stays a JSON 404, and the API is untouched.
  for (const std::string path : {"/_gigent/nope.js", "/_gigent/%2e%2e/api/health", "/elsewhere"}) {
    auto r = api.get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(r.body.is_object()) << path;
  }
  EXPECT_EQ(api.get("/api/health").body["status"], "ok");
  EXPECT_EQ(api.call("POST", "/", "{}").status, 404);
}

TEST(ServerWebPage, AStaticFrontEndKeepsTheRootAndThePageStaysUnderItsPrefix) {
  gigent::testing::TempDir dir;
  const std::string site = dir.file("site");
  ASSERT_EQ(::mkdir(site.c_str(), 0755), 0);
  std::ofstream(site + "/index.html") << "<!doctype html><div id=root></div>";
  ServerProcess server({"--static", site});
  Client api(server.url());
  EXPECT_EQ(api.get("/").raw, "<!doctype html><div id=root></div>");
  EXPECT_EQ(api.get("/index.html").raw, "<!doctype html><div id=root></div>");
  auto page = api.get("/_gigent/");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.raw, "<title>Gigent marketplace</title>"));
}

}  // namespace
