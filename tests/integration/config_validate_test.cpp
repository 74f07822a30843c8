// `gigent-runtime validate` as an operator runs it: it refuses what `run`
// would refuse (no LLM key), warns about what loads but deserves a look (the
// template's example wallet, unknown keys, unwise values), and `--strict`
// makes those warnings errors. `run` logs the same warnings at start.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "support/process.h"

namespace gigent::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLlmSecret = "sk-ant-test-VALIDATESECRET-0123456789";

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

class ConfigValidate : public ::testing::Test {
 protected:
  TempDir dir;

  // gigent-runtime ARGS with exactly `env` as its LLM keys.
  CliResult runtime(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
    SpawnOptions options;
    options.args = args;
    options.unset_env = {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GIGENT_API_URL"};
    options.env = env;
    ChildProcess child(build_path("gigent-runtime"), options, dir.path());
    CliResult run;
    run.code = child.wait_exit(30s).value_or(-1);
    run.out = child.stdout_text();
    run.err = child.stderr_text();
    return run;
  }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
  }

  std::string init_template() {
    const CliResult init = runtime({"init", "--dir", dir.path()});
    EXPECT_EQ(init.code, 0) << init.out << init.err;
    return dir.file("gigent-agent.yaml");
  }
};

const std::string kAgent =
    "agent:\n  name: Bot\n  description: Writes\n  category: writing\n"                         // 1-4
    "owner:\n  wallet: \"0x1234567890abcdef1234567890abcdef12345678\"\n"                        // 5-6
    "gigs:\n  - title: Post\n    description: A post\n    category: writing\n"                  // 7-10
    "    pricing:\n      basic: { price: 5, description: \"500 words\", delivery_days: 2 }\n";  // 11-12

TEST_F(ConfigValidate, TemplateWithoutAnLlmKeyIsRefusedAsRunWouldRefuseIt) {
  const std::string path = init_template();
  const CliResult run = runtime({"validate", "-c", path});
  EXPECT_EQ(run.code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(": execution.api_key: no API key for anthropic"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("export ANTHROPIC_API_KEY"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(": warning: owner.wallet: is an example address"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find("OK"), std::string::npos) << run.out;
}

TEST_F(ConfigValidate, TemplateWithAKeyIsOkWithAWarningAboutTheExampleWallet) {
  const std::string path = init_template();
  const CliResult run = runtime({"validate", "-c", path}, {{"ANTHROPIC_API_KEY", kLlmSecret}});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(path + ": OK"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("from ANTHROPIC_API_KEY"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("with 1 warning(s)"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find(path + ":"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(": warning: owner.wallet: "), std::string::npos) << run.err;
  EXPECT_EQ((run.out + run.err).find("VALIDATESECRET"), std::string::npos) << "the key is shown masked only";

  const CliResult strict = runtime({"validate", "--strict", "-c", path}, {{"ANTHROPIC_API_KEY", kLlmSecret}});
  EXPECT_EQ(strict.code, 2) << strict.out << strict.err;
  EXPECT_NE(strict.err.find(": owner.wallet: is an example address"), std::string::npos) << strict.err;
}

TEST_F(ConfigValidate, UnknownKeyIsAWarningUnlessStrict) {
  const std::string path =
      write("agent.yaml", kAgent + "runtime:\n  poll_intervall_seconds: 5\nexecution:\n  api_key: sk-in-file\n");
  const CliResult run = runtime({"validate", "-c", path});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find(path + ":14:3: warning: runtime.poll_intervall_seconds: unknown key; did you mean "
                                "`poll_interval_seconds`?"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.out.find("LLM key"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("from execution.api_key"), std::string::npos) << run.out;

  const CliResult strict = runtime({"validate", "--strict", "-c", path});
  EXPECT_EQ(strict.code, 2) << strict.out << strict.err;
  EXPECT_NE(strict.err.find(path + ":14:3: runtime.poll_intervall_seconds: unknown key"), std::string::npos)
      << strict.err;
  EXPECT_NE(strict.err.find("1 problem(s) in " + path), std::string::npos) << strict.err;
}

TEST_F(ConfigValidate, EachProviderNeedsItsOwnKeyUnlessTheEndpointIsCustom) {
  const std::string openai = write("openai.yaml", kAgent + "execution:\n  provider: openai\n  model: gpt-4o\n");
  CliResult run = runtime({"validate", "-c", openai}, {{"ANTHROPIC_API_KEY", kLlmSecret}});
  EXPECT_EQ(run.code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(openai + ":13:1: execution.api_key: no API key for openai"), std::string::npos) << run.err;
  run = runtime({"validate", "-c", openai}, {{"OPENAI_API_KEY", "sk-openai-test-0123456789"}});
  EXPECT_EQ(run.code, 0) << run.out << run.err;

  const std::string local = write("local.yaml", kAgent + "execution:\n  base_url: http://127.0.0.1:8080\n");
  run = runtime({"validate", "-c", local});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("no LLM key"), std::string::npos) << run.out;
}

TEST_F(ConfigValidate, TypeScriptRuntimeFileLoadsWithWarningsOnly) {
  const std::string path = write("ts.yaml", kAgent +
                                                "      standard: { price: 9, description: more, delivery_days: 4 }\n"
                                                "runtime:\n  poll_interval_seconds: 0.5\n  auto_accept: true\n"
                                                "execution:\n  api_key: ${ANTHROPIC_API_KEY}\n  temperature: 0.7\n"
                                                "heartbeat:\n  enabled: false\n  interval_seconds: 1\n"
                                                "logging:\n  level: info\n");
  const CliResult run = runtime({"validate", "-c", path}, {{"ANTHROPIC_API_KEY", kLlmSecret}});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("with 2 warning(s)"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find(":15:26: warning: runtime.poll_interval_seconds: 0.5 is below"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find(":22:21: warning: heartbeat.interval_seconds: 1 is below"), std::string::npos) << run.err;
}

TEST_F(ConfigValidate, AnthropicTemperatureAboveOneIsAnError) {
  const std::string path = write("hot.yaml", kAgent + "execution:\n  api_key: sk-x\n  temperature: 1.5\n");
  const CliResult run = runtime({"validate", "-c", path});
  EXPECT_EQ(run.code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(":15:16: execution.temperature: 1.5 is out of range"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Anthropic's API refuses"), std::string::npos) << run.err;
}

TEST_F(ConfigValidate, RunLogsTheWarningsAtStart) {
  // No LLM key, so `run` stops at boot (exit 2) right after logging them,
  // before it would contact the backend.
  const std::string path = write("agent.yaml", kAgent + "runtime:\n  poll_intervall_seconds: 5\n");
  const CliResult run = runtime({"run", "-c", path, "-u", "http://127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(run.code, 2) << run.out << run.err;
  const std::string output = run.out + run.err;
  EXPECT_NE(output.find(path + ":14:3: warning: runtime.poll_intervall_seconds: unknown key"), std::string::npos)
      << output;
  EXPECT_NE(output.find("ANTHROPIC_API_KEY"), std::string::npos) << output;
}

}  // namespace
}  // namespace gigent::testing
