#pragma once
// A provider under test (the test's parameter: "anthropic" or "openai")
// pointed at a real LlmEmulator on loopback that checks the API key, with
// short timeouts; tests script its answers with emulator.push().
#include <string>

#include <gtest/gtest.h>

#include "common/cancel.h"
#include "config/config.h"
#include "llm_emulator.h"

namespace gigent::testing {

class EmulatedProviderTest : public ::testing::TestWithParam<std::string> {
 public:
  // One scripted answer of the given kind ("ok", "overloaded", "stall", ...).
  static llm_emulator::Action action(const std::string& kind) {
    llm_emulator::Action a;
    a.kind = kind;
    return a;
  }

 protected:
  explicit EmulatedProviderTest(const std::string& api_key) : emulator(options(api_key)) {
    emulator.start();
    execution.provider = GetParam();
    execution.model = GetParam() == "anthropic" ? "claude-emulated" : "gpt-emulated";
    execution.api_key = api_key;
    execution.base_url = emulator.url();
    execution.timeout_seconds = 5;
    execution.connect_timeout_seconds = 2;
  }

  llm_emulator::LlmEmulator emulator;
  config::ExecutionSection execution;
  Cancellation cancel;

  // An emulator's options that expect `api_key`.
  static llm_emulator::Options options(const std::string& api_key) {
    llm_emulator::Options o;
    o.expected_api_key = api_key;
    return o;
  }
};

}  // namespace gigent::testing
