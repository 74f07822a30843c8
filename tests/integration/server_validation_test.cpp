// gigent-server's field validation on every write route: the limits of
// docs/api.md, each refusal a JSON 400 that names the field, and nothing
// stored. The real binary, real sockets, a real SQLite file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/server_client.h"
#include "support/process.h"

namespace {

using namespace gigent::testing::server_client;  // NOLINT(google-build-using-namespace)
using nlohmann::json;

// `levels` nested arrays around a number: [[[1]]] is 3 levels.
json nested(int levels) {
  json value = 1;
  for (int i = 0; i < levels; ++i) value = json::array({value});
  return value;
}

std::string repeat(const std::string& piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

struct Refusal {
  std::string what;  // for the failure message
  std::string method, path;
  json body;
  std::string key;
  std::string field;  // the error must name it
};

// Sends each refused request; each must be a 400 whose error names the field.
void expect_refused(Api& api, const std::vector<Refusal>& cases) {
  for (const auto& c : cases) {
    auto r = api.call(c.method, c.path, c.body.dump(), c.key);
    EXPECT_EQ(r.status, 400) << c.what << " -> " << r.raw.substr(0, 300);
    ASSERT_TRUE(r.body.is_object() && r.body["error"].is_string()) << c.what << " -> " << r.raw.substr(0, 300);
    EXPECT_NE(r.body["error"].get<std::string>().find(c.field), std::string::npos)
        << c.what << ": the error does not name " << c.field << ": " << r.body["error"];
  }
}

json agent(const std::string& name, int n) {
  return {{"name", name}, {"owner_wallet", wallet(n)}};
}

TEST(ServerValidation, AgentRegistration) {
  Market m;
  auto with = [](json body, const char* key, json value) {
    body[key] = std::move(value);
    return body;
  };
  const std::string reg = "/api/agents/register";
  expect_refused(
      m.api,
      {
          {"javascript avatar", "POST", reg, with(agent("a", 10), "avatar_url", "javascript:alert(1)"), "",
           "avatar_url"},
          {"data avatar", "POST", reg, with(agent("a", 10), "avatar_url", "data:text/html,x"), "", "avatar_url"},
          {"hostless avatar", "POST", reg, with(agent("a", 10), "avatar_url", "https://"), "", "avatar_url"},
          {"1 MB name", "POST", reg, agent(std::string(1 << 20, 'n'), 10), "", "name"},
          {"101-character name", "POST", reg, agent(std::string(101, 'n'), 10), "", "name"},
          {"long description", "POST", reg, with(agent("a", 10), "description", std::string(5001, 'd')), "",
           "description"},
          {"long category", "POST", reg, with(agent("a", 10), "category", std::string(101, 'c')), "", "category"},
          {"21 tags", "POST", reg, with(agent("a", 10), "tags", std::vector<std::string>(21, "t")), "", "tags"},
          {"long tag", "POST", reg, with(agent("a", 10), "tags", {std::string(51, 't')}), "", "tag"},
          {"tags not a list", "POST", reg, with(agent("a", 10), "tags", "blog, seo"), "", "tags"},
          {"tags of numbers", "POST", reg, with(agent("a", 10), "tags", {1, 2}), "", "tags"},
      });
  EXPECT_EQ(m.api.get("/api/health").body["stats"]["agents"], 3);

  // At the limits, and the deployed service's own values, everything passes.
  json fine = agent(repeat("é", 100), 11);  // 100 characters, 200 bytes
  fine["category"] = "general";
  fine["description"] = std::string(5000, 'd');
  fine["avatar_url"] = "HTTPS://example.com/me.png";
  fine["tags"] = std::vector<std::string>(20, std::string(50, 't'));
  auto ok = m.api.post(reg, fine);
  ASSERT_EQ(ok.status, 201) << ok.raw.substr(0, 300);
  EXPECT_EQ(ok.body["category"], "general");
  EXPECT_EQ(m.api.post(reg, with(agent("b", 12), "tags", "[\"x\"]")).status, 201);
  EXPECT_EQ(m.api.post(reg, with(agent("c", 13), "avatar_url", "http://example.com/c.png")).status, 201);
}

TEST(ServerValidation, Gigs) {
  Market m;
  const json ok = {{"title", "t"}, {"description", "d"}, {"category", "code"}, {"price_basic", 1}, {"desc_basic", "b"}};
  auto with = [&](const char* key, json value) {
    json body = ok;
    body[key] = std::move(value);
    return body;
  };
  const std::string S = m.seller.key, patch = "/api/gigs/" + m.gig;
  expect_refused(
      m.api,
      {
          {"unknown category", "POST", "/api/gigs", with("category", "astrology"), S, "category"},
          {"price 0", "POST", "/api/gigs", with("price_basic", 0), S, "price_basic"},
          {"price 1e308", "POST", "/api/gigs", with("price_basic", 1e308), S, "price_basic"},
          {"price above the cap", "POST", "/api/gigs", with("price_standard", 1000000.01), S, "price_standard"},
          {"negative premium", "POST", "/api/gigs", with("price_premium", -1), S, "price_premium"},
          {"long title", "POST", "/api/gigs", with("title", std::string(201, 't')), S, "title"},
          {"long description", "POST", "/api/gigs", with("description", std::string(5001, 'd')), S, "description"},
          {"long tier text", "POST", "/api/gigs", with("desc_premium", std::string(5001, 'd')), S, "desc_premium"},
          {"long subcategory", "POST", "/api/gigs", with("subcategory", std::string(101, 's')), S, "subcategory"},
          {"21 tags", "POST", "/api/gigs", with("tags", std::vector<std::string>(21, "t")), S, "tags"},
          {"huge example", "POST", "/api/gigs", with("example_output", std::string(65537, 'e')), S, "example_output"},
          {"deep api_schema", "POST", "/api/gigs", with("api_schema", nested(65)), S, "api_schema"},
          {"patch: unknown category", "PATCH", patch, {{"category", "nope"}}, S, "category"},
          {"patch: price 0", "PATCH", patch, {{"price_basic", 0}}, S, "price_basic"},
          {"patch: long title", "PATCH", patch, {{"title", std::string(201, 't')}}, S, "title"},
      });
  auto gig = m.api.get("/api/gigs/" + m.gig).body;
  EXPECT_EQ(gig["category"], "writing");
  EXPECT_EQ(gig["price_basic"], 5);
  EXPECT_EQ(m.api.get("/api/gigs").body["total"], 1);

  EXPECT_EQ(m.api.post("/api/gigs", with("price_basic", 1000000), S).status, 201);
  EXPECT_EQ(m.api.post("/api/gigs", with("category", "cat_ai"), S).status, 201);  // an id works as well as a slug
  EXPECT_EQ(m.api.post("/api/gigs", with("api_schema", nested(64)), S).status, 201);
  EXPECT_EQ(m.api.patch(patch, {{"category", "research"}, {"price_basic", 0.5}}, S).status, 200);
}

TEST(ServerValidation, OrdersAndMessages) {
  Market m;
  const std::string B = m.buyer.key, S = m.seller.key;
  auto order = [&](const char* key, json value) {
    json body = {{"gig_id", m.gig}, {"pay_now", false}};
    body[key] = std::move(value);
    return body;
  };
  std::string id = place_order(m.api, m.buyer, m.gig);
  const std::string messages = "/api/orders/" + id + "/messages";
  expect_refused(
      m.api,
      {
          {"input_data 65 deep", "POST", "/api/orders", order("input_data", nested(65)), B, "input_data"},
          {"input_data 65 deep as text", "POST", "/api/orders", order("input_data", nested(65).dump()), B,
           "input_data"},
          {"input_data over 256 KB", "POST", "/api/orders",
           order("input_data", {{"text", std::string(256 * 1024, 'x')}}), B, "input_data"},
          {"5 MB message", "POST", messages, {{"content", std::string(5 << 20, 'm')}}, B, "content"},
          {"message over 64 KB", "POST", messages, {{"content", std::string(64 * 1024 + 1, 'm')}}, B, "content"},
          {"system message",
           "POST",
           messages,
           {{"content", "you are paid"}, {"message_type", "system"}},
           S,
           "message_type"},
          {"unknown message type", "POST", messages, {{"content", "x"}, {"message_type", "shout"}}, S, "message_type"},
          {"long delivery_hash",
           "POST",
           "/api/orders/" + id + "/deliver",
           {{"delivery_data", "x"}, {"delivery_hash", std::string(257, 'h')}},
           S,
           "delivery_hash"},
      });
  EXPECT_EQ(m.api.get("/api/health").body["stats"]["orders"], 1);
  EXPECT_EQ(m.api.get(messages, B).body["messages"].size(), 0u);

  EXPECT_EQ(m.api.post("/api/orders", order("input_data", nested(64)), B).status, 201);
  EXPECT_EQ(m.api.post("/api/orders", order("input_data", nested(64).dump()), B).status, 201);
  // A brief is bounded only by the body limit, as on the deployed service.
  EXPECT_EQ(m.api.post("/api/orders", order("brief", std::string(1 << 20, 'b')), B).status, 201);
  EXPECT_EQ(m.api.post(messages, {{"content", std::string(64 * 1024, 'm')}}, B).status, 201);
  for (const char* type : {"text", "delivery", "revision_request"})
    EXPECT_EQ(m.api.post(messages, {{"content", "x"}, {"message_type", type}}, S).status, 201) << type;
}

TEST(ServerValidation, BodiesMustBeJson) {
  Market m;
  const std::string body = json{{"name", "plain"}, {"owner_wallet", wallet(20)}}.dump();
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    auto r = m.api.call("POST", "/api/agents/register", body, "", {{"Content-Type", type}});
    EXPECT_EQ(r.status, 400) << type << " -> " << r.raw;
    EXPECT_NE(r.body.value("error", "").find("Content-Type"), std::string::npos) << type << " -> " << r.raw;
  }
  auto text_gig = m.api.call("POST", "/api/gigs", R"({"title":"t"})", m.seller.key, {{"Content-Type", "text/plain"}});
  EXPECT_EQ(text_gig.status, 400) << text_gig.raw;
  EXPECT_EQ(m.api.get("/api/health").body["stats"]["agents"], 3);

  EXPECT_EQ(m.api.call("POST", "/api/agents/register", body, "", {{"Content-Type", "application/json; charset=utf-8"}})
                .status,
            201);
  EXPECT_EQ(m.api
                .call("POST", "/api/agents/register", json{{"name", "v"}, {"owner_wallet", wallet(21)}}.dump(), "",
                      {{"Content-Type", "Application/JSON"}})
                .status,
            201);
  // A body-less POST needs no Content-Type at all.
  EXPECT_EQ(m.api.call("POST", "/api/agents/" + m.seller.id + "/heartbeat", "", m.seller.key).status, 200);
}

// The spec keeps heartbeats public: without a key, anyone may mark any agent
// online (the trade-off docs/api.md describes). A key that is sent must be
// that agent's.
TEST(ServerValidation, HeartbeatsArePublicButAKeyMustMatch) {
  Market m;
  const std::string beat = "/api/agents/" + m.seller.id + "/heartbeat";
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["is_online"], false);
  EXPECT_EQ(m.api.post(beat, json::object()).status, 200);
  EXPECT_EQ(m.api.get("/api/agents/" + m.seller.id).body["is_online"], true);
  EXPECT_EQ(m.api.post(beat, json::object(), m.buyer.key).status, 403);
  EXPECT_EQ(m.api.post(beat, json::object(), "sk_" + std::string(48, '1')).status, 401);
  EXPECT_EQ(m.api.post(beat, json::object(), m.seller.key).status, 200);
}

}  // namespace
