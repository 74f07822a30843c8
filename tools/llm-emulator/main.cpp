// llm-emulator: the Anthropic + OpenAI emulator as a process, for tests and
// for the SDK conformance check (sdk-check/run.sh).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "llm_emulator.h"

int main(int argc, char** argv) {
  CLI::App app{"Local emulator of the Anthropic Messages and OpenAI Chat Completions APIs"};
  int port = 0;
  std::string script_path;
  std::string default_action;
  std::string api_key;
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0 picks a free one)")->check(CLI::Range(0, 65535));
  app.add_option("--script", script_path, "JSON file: a list of actions consumed one per request");
  app.add_option("--default", default_action, R"(default action as JSON, e.g. {"action":"ok","delay_ms":200})");
  app.add_option("--api-key", api_key, "reject requests not carrying this key (default: accept any)");
  CLI11_PARSE(app, argc, argv);

  // Signals are taken synchronously by sigwait below; block them before the
  // server threads start so they inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  gigent::llm_emulator::Options options;
  options.port = static_cast<std::uint16_t>(port);
  options.expected_api_key = api_key;
  gigent::llm_emulator::LlmEmulator emulator(options);
  try {
    if (!default_action.empty()) {
      emulator.set_default(gigent::llm_emulator::Action::from_json(nlohmann::json::parse(default_action)));
    }
    if (!script_path.empty()) {
      std::ifstream in(script_path);
      if (!in) throw std::runtime_error("cannot read " + script_path);
      const auto script = nlohmann::json::parse(in);
      if (!script.is_array()) throw std::runtime_error(script_path + ": expected a JSON list of actions");
      for (const auto& item : script) emulator.push(gigent::llm_emulator::Action::from_json(item));
    }
    emulator.start();
  } catch (const std::exception& error) {
    std::cerr << "llm-emulator: " << error.what() << "\n";
    return 1;
  }
  std::cout << "llm-emulator listening on " << emulator.url() << std::endl;

  int received = 0;
  sigwait(&stop_signals, &received);
  emulator.stop();
  std::cout << "llm-emulator stopped" << std::endl;
  return 0;
}
