// ${ENV} interpolation of one value, and the "did you mean" matcher.
#include <gtest/gtest.h>

#include <map>

#include "config/interpolate.h"
#include "config/suggest.h"

namespace gigent::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Interpolate, PlainTextIsUnchanged) {
  const auto result = interpolate_env("no references, $5, $HOME, a$", env_of({}));
  EXPECT_EQ(result.value, "no references, $5, $HOME, a$");
  EXPECT_TRUE(result.issues.empty());
}

TEST(Interpolate, SubstitutesSetVariables) {
  const auto result = interpolate_env("${A}-${B_2}${A}", env_of({{"A", "x"}, {"B_2", "y"}}));
  EXPECT_EQ(result.value, "x-yx");
  EXPECT_TRUE(result.issues.empty());
}

TEST(Interpolate, UnsetVariableIsAnIssueAtItsOffset) {
  const auto result = interpolate_env("abc ${MISSING} ${ALSO}", env_of({}));
  EXPECT_EQ(result.value, "abc  ");
  ASSERT_EQ(result.issues.size(), 2u);
  EXPECT_EQ(result.issues[0].kind, InterpolationIssue::Kind::UnsetVariable);
  EXPECT_EQ(result.issues[0].offset, 4u);
  EXPECT_EQ(result.issues[0].variable, "MISSING");
  EXPECT_EQ(result.issues[1].offset, 15u);
}

TEST(Interpolate, DefaultAppliesWhenUnsetOrEmpty) {
  EXPECT_EQ(interpolate_env("${X:-dflt}", env_of({})).value, "dflt");
  EXPECT_EQ(interpolate_env("${X:-dflt}", env_of({{"X", ""}})).value, "dflt");
  EXPECT_EQ(interpolate_env("${X:-dflt}", env_of({{"X", "set"}})).value, "set");
  EXPECT_EQ(interpolate_env("${X:-}", env_of({})).value, "");
  EXPECT_EQ(interpolate_env("${X:-http://h:1/p}", env_of({})).value, "http://h:1/p");
  EXPECT_TRUE(interpolate_env("${X:-}", env_of({})).issues.empty());
}

TEST(Interpolate, DoubleDollarIsALiteral) {
  const auto result = interpolate_env("$${A} and $$ and $${", env_of({{"A", "no"}}));
  EXPECT_EQ(result.value, "${A} and $$ and ${");
  EXPECT_TRUE(result.issues.empty());
}

TEST(Interpolate, ValuesAreNotReinterpolated) {
  const auto result = interpolate_env("${A}", env_of({{"A", "${B}"}, {"B", "no"}}));
  EXPECT_EQ(result.value, "${B}");
}

TEST(Interpolate, MalformedReferencesAreIssues) {
  for (const char* text : {"${", "x ${A", "${}", "${1A}", "${A B}", "${-x}"}) {
    const auto result = interpolate_env(text, env_of({{"A", "a"}}));
    ASSERT_EQ(result.issues.size(), 1u) << text;
    EXPECT_EQ(result.issues[0].kind, InterpolationIssue::Kind::Malformed) << text;
  }
}

TEST(Suggest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", "abc"), 0u);
  EXPECT_EQ(edit_distance("abc", "acb"), 1u);  // transposition
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(Suggest, ClosestMatch) {
  const std::vector<std::string_view> keys = {"poll_interval_seconds", "auto_accept", "max_concurrent_orders"};
  EXPECT_EQ(closest_match("poll_intervall_seconds", keys), "poll_interval_seconds");
  EXPECT_EQ(closest_match("Auto_Accept", keys), "auto_accept");
  EXPECT_EQ(closest_match("max_concurent_orders", keys), "max_concurrent_orders");
  EXPECT_EQ(closest_match("poll_interval", keys), "poll_interval_seconds");
  EXPECT_EQ(closest_match("colour", keys), std::nullopt);
  EXPECT_EQ(closest_match("", keys), std::nullopt);
  EXPECT_EQ(closest_match(std::string(500, 'a'), keys), std::nullopt);
}

}  // namespace
}  // namespace gigent::config
