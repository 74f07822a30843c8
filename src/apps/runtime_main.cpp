// gigent-runtime: init | validate | run | status | orders | show | deliver |
// regenerate | rotate-key | doctor | accept | try. A thin
// CLI over the libraries; the subcommands with more to them live in src/cli/.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include "cli/accept_order.h"
#include "cli/doctor.h"
#include "cli/fleet_status.h"
#include "cli/manual_delivery.h"
#include "cli/order_views.h"
#include "cli/review.h"
#include "cli/rotate_key.h"
#include "cli/run_daemon.h"
#include "cli/status_report.h"
#include "cli/status_watch.h"
#include "cli/try_order.h"
#include "common/fs.h"
#include "common/listen_address.h"
#include "common/log.h"
#include "common/secret.h"
#include "config/config.h"
#include "config/interpolate.h"
#include "config/llm_key.h"
#include "engine/engine.h"
#include "gigent/version.h"

using namespace gigent;

namespace {

const char* kGitignoreEntries[] = {".gigent-credentials", ".gigent-journal.db",   ".gigent-journal.db-*",
                                   ".gigent-state.json",  ".gigent-runtime.lock", ".gigent-gigs.json"};

int cmd_init(const std::string& dir, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path config = fs::path(dir) / "gigent-agent.yaml";
  if (fs::exists(config) && !force) {
    std::cerr << "error: " << config.string() << " already exists; use --force to overwrite it\n";
    return engine::kExitBadConfig;
  }
  try {
    atomic_write_file(config.string(), config::template_yaml(), 0644);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return engine::kExitFailure;
  }
  fs::path gitignore = fs::path(dir) / ".gitignore";
  std::string existing;
  if (fs::exists(gitignore)) existing = read_file(gitignore.string());
  std::string additions;
  for (const char* entry : kGitignoreEntries) {
    bool present = false;
    std::istringstream lines(existing);
    for (std::string line; std::getline(lines, line);)
      if (line == entry) present = true;
    if (!present) additions += std::string(entry) + "\n";
  }
  if (!additions.empty()) {
    std::ofstream out(gitignore, std::ios::app);
    if (!existing.empty() && existing.back() != '\n') out << "\n";
    if (existing.find("# gigent-runtime") == std::string::npos) out << "# gigent-runtime: secrets and local state\n";
    out << additions;
  }
  std::cout << "Wrote " << config.string() << " and updated " << gitignore.string() << ".\n"
            << "Next: edit the agent, owner.wallet and gigs, export ANTHROPIC_API_KEY (or OPENAI_API_KEY), then\n"
            << "  gigent-runtime validate -c " << config.string() << "\n"
            << "  gigent-runtime run -c " << config.string() << "\n";
  return engine::kExitOk;
}

// Prints errors and warnings in file order, as FILE:LINE:COL: [warning: ]field: message.
void print_problems(const config::LoadResult& loaded) {
  std::vector<config::Problem> all = loaded.problems;
  all.insert(all.end(), loaded.warnings.begin(), loaded.warnings.end());
  std::stable_sort(all.begin(), all.end(), [](const config::Problem& a, const config::Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  for (const auto& problem : all) std::cerr << problem.to_string() << "\n";
}

// Loads and validates; on failure prints every problem (and warning).
std::optional<config::LoadResult> load_or_report(const std::string& path, const config::LoadOptions& options = {}) {
  auto loaded = config::load_file(path, options);
  if (loaded.ok()) return loaded;
  print_problems(loaded);
  std::cerr << loaded.problems.size() << " problem(s) in " << path;
  if (!loaded.warnings.empty()) std::cerr << " (and " << loaded.warnings.size() << " warning(s))";
  std::cerr << "\n";
  return std::nullopt;
}

// Where the LLM key comes from, masked: enough to tell keys apart.
std::string describe_llm_key(const config::ExecutionSection& execution) {
  const std::string key = config::resolve_llm_key(execution, config::process_env());
  if (key.empty()) return "no LLM key (none is required with a custom base_url)";
  const std::string source =
      execution.api_key.empty() ? std::string(config::llm_key_variable(execution.provider)) : "execution.api_key";
  return "LLM key " + mask_secret(key) + " from " + source;
}

// Checks what `run` checks before it starts, including the LLM key; with
// `strict`, warnings fail too.
int cmd_validate(const std::string& path, bool strict) {
  auto loaded = load_or_report(path, {.strict = strict, .require_llm_key = true});
  if (!loaded) return engine::kExitBadConfig;
  print_problems(*loaded);
  const config::Config& config = loaded->config;
  std::cout << path << ": OK (agent \"" << config.agent.name << "\", " << config.gigs.size() << " gig(s), "
            << config.execution.provider << " " << config.execution.model << ", " << describe_llm_key(config.execution)
            << ")";
  if (!loaded->warnings.empty()) {
    std::cout << " with " << loaded->warnings.size() << " warning(s); --strict makes them errors";
  }
  std::cout << "\n";
  return engine::kExitOk;
}

int cmd_status(const std::string& path, const std::string& url, bool json, bool watch, unsigned interval) {
  auto loaded = load_or_report(path);
  if (!loaded) return engine::kExitBadConfig;
  const config::Config& config = loaded->config;
  if (watch) {
    cli::WatchOptions options{std::chrono::seconds(interval), json, ::isatty(STDOUT_FILENO) == 1};
    return cli::watch_status(config, engine::resolve_backend_url(url, config), options, std::cout);
  }
  auto status = cli::collect_status(config, engine::resolve_backend_url(url, config));
  if (json)
    std::cout << status.dump(2) << "\n";
  else
    std::cout << cli::render_status(status);
  return cli::status_exit_code(status);
}

int cmd_run(const std::string& path, const std::string& url, const std::string& log_format_flag,
            const std::optional<std::string>& listen) {
  auto loaded = load_or_report(path);
  if (!loaded) return engine::kExitBadConfig;
  config::Config& config = loaded->config;
  if (listen) {
    std::string error;
    if (!listen->empty() && !parse_listen_address(*listen, error)) {
      std::cerr << "error: --listen " << *listen << ": " << error << "\n";
      return engine::kExitBadConfig;
    }
    config.observability.listen = *listen;
  }
  log::Options log_options;
  log::parse_level(config.logging.level, log_options.level);
  log::parse_format(log_format_flag.empty() ? config.logging.format : log_format_flag, log_options.format);
  log::init(log_options);
  for (const auto& warning : loaded->warnings) log::get("config")->warn("{}", warning.to_string());

  return cli::run_daemon(config, engine::resolve_backend_url(url, config));
}

// Several agents in one process: each config is loaded (and may fail alone)
// by the fleet, so only the command line is checked here.
int cmd_run_fleet(fleet::FleetOptions options, const std::string& log_format, const std::string& log_level) {
  std::string error;
  if (!options.listen.empty() && !parse_listen_address(options.listen, error)) {
    std::cerr << "error: --listen " << options.listen << ": " << error << "\n";
    return engine::kExitBadConfig;
  }
  log::Options log_options;
  log::parse_level(log_level.empty() ? "info" : log_level, log_options.level);
  log::parse_format(log_format.empty() ? "text" : log_format, log_options.format);
  log::init(log_options);
  return cli::run_fleet(std::move(options));
}

int cmd_try(const std::string& path, const cli::TryOptions& options) {
  auto loaded = load_or_report(path);
  if (!loaded) return engine::kExitBadConfig;
  // stdout is the delivery (or the JSON report); the provider's retry lines go to stderr.
  log::init({.format = log::Format::Text, .level = spdlog::level::warn, .to_stderr = true});
  return cli::try_order(loaded->config, options, std::cout, std::cerr);
}

}  // namespace

// The whole command line is declared here, in the order `--help` shows it,
// which makes this the one function over ~60 lines in the file.
int main(int argc, char** argv) {
  CLI::App app{"gigent-runtime: turns a Gigent agent into an autonomous worker from one YAML file"};
  app.set_version_flag("--version",
                       std::string("gigent-runtime ") + GIGENT_VERSION + " (commit " + GIGENT_GIT_COMMIT + ")");
  app.require_subcommand(1);

  std::string dir = ".";
  bool force = false;
  auto* init = app.add_subcommand("init", "Write a commented gigent-agent.yaml template and .gitignore entries");
  init->add_option("--dir", dir, "Directory to write into")->capture_default_str();
  init->add_flag("--force", force, "Overwrite an existing gigent-agent.yaml");

  std::string config_path = "gigent-agent.yaml";
  std::string url;
  bool strict = false;
  auto* validate = app.add_subcommand(
      "validate", "Check the config and what `run` needs (the LLM key); print every problem as FILE:LINE:COL");
  validate->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  validate->add_flag("--strict", strict, "Treat warnings (unknown keys, unwise values) as errors");

  std::string log_format;
  auto* run = app.add_subcommand("run", "Run the agent: register, publish gigs, take and deliver orders");
  std::vector<std::string> run_configs;
  std::string agents_dir;
  int workers = 0;
  std::string log_level;
  run->add_option("-c,--config", run_configs,
                  "Config file (default: gigent-agent.yaml); repeat it to run several agents in one process");
  run->add_option("--agents-dir", agents_dir,
                  "Run every *.yaml in DIR as one agent, all in this process (SIGHUP re-reads the folder)");
  run->add_option("--workers", workers,
                  "With several agents: worker threads shared by all of them (default: their max_concurrent_orders "
                  "summed, at most 64)")
      ->check(CLI::Range(1, 4096));
  run->add_option("--log-level", log_level, "With several agents: trace, debug, info, warn or error (default: info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  run->add_option("-u,--url", url, "Gigent backend URL (default: $GIGENT_API_URL, backend.url, http://localhost:3000)");
  run->add_option("--log-format", log_format, "text or json (default: logging.format)")
      ->check(CLI::IsMember({"text", "json"}));
  std::string listen_text;
  auto* listen_option = run->add_option(
      "--listen", listen_text,
      "Serve GET /healthz, /metrics and /status on HOST:PORT (default: observability.listen; \"\" turns "
      "it off)");

  bool json = false;
  bool watch = false;
  unsigned interval = 2;
  auto* status = app.add_subcommand("status", "Show the agent, its orders, and whether a daemon runs for this config");
  std::vector<std::string> status_configs;
  status->add_option("-c,--config", status_configs,
                     "Config file (default: gigent-agent.yaml); several: one line per agent");
  status->add_option("--agents-dir", agents_dir, "One line per agent of every *.yaml in DIR");
  status->add_option("-u,--url", url, "Gigent backend URL");
  status->add_flag("--json", json, "Machine-readable output");
  status->add_flag("--watch", watch, "Refresh until Ctrl-C (in place on a terminal)");
  status->add_option("--interval", interval, "Seconds between refreshes with --watch")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600u));

  std::string state;
  auto* orders = app.add_subcommand("orders", "List the agent's orders: id, gig, tier, buyer, state, age");
  orders->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  orders->add_option("-u,--url", url, "Gigent backend URL");
  orders->add_option("--state", state, "Only orders in this state (pending, in_progress, delivered, ...)");
  orders->add_flag("--json", json, "Machine-readable output");

  std::string order_id;
  auto* show = app.add_subcommand("show", "Print one order: brief, input, messages and delivered result");
  show->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  show->add_option("-u,--url", url, "Gigent backend URL");
  show->add_option("order_id", order_id, "The order to show")->required();

  bool show_only = false;
  bool edit = false;
  auto* deliver = app.add_subcommand("deliver", "Send a result kept because auto_deliver is off (see `status`)");
  deliver->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  deliver->add_option("-u,--url", url, "Gigent backend URL");
  deliver->add_option("order_id", order_id, "The order whose kept result to deliver")->required();
  deliver->add_flag("--show", show_only, "Print the kept result instead of delivering it");
  deliver->add_flag("--edit", edit, "Edit the kept result in $EDITOR first; delivered only when changed");

  std::string note;
  auto* regenerate = app.add_subcommand("regenerate", "Have the daemon make a new result for an order kept for review");
  regenerate->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  regenerate->add_option("order_id", order_id, "The order whose kept result to replace")->required();
  regenerate->add_option("--note", note, "Added to the prompt: what to do differently");

  auto* doctor = app.add_subcommand("doctor", "Check the config, credentials, backend, LLM key, clock and disk space");
  doctor->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  doctor->add_option("-u,--url", url, "Gigent backend URL");

  auto* rotate =
      app.add_subcommand("rotate-key", "Get a new API key for the agent and save it (the old one stops working)");
  rotate->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  rotate->add_option("-u,--url", url, "Gigent backend URL");

  auto* accept = app.add_subcommand(
      "accept", "Accept a pending order left for you (outside runtime.auto_accept); the daemon then works it");
  accept->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  accept->add_option("-u,--url", url, "Gigent backend URL");
  accept->add_option("order_id", order_id, "The pending order to accept (see `status`)")->required();

  cli::TryOptions try_options;
  auto* try_cmd = app.add_subcommand(
      "try", "Run one order through the prompt, the LLM and the formatting the daemon uses, without a marketplace");
  try_cmd->add_option("-c,--config", config_path, "Config file")->capture_default_str();
  try_cmd->add_option("--gig", try_options.gig, "The gig's title (default: the first gig)");
  try_cmd->add_option("--tier", try_options.tier, "basic, standard or premium")
      ->capture_default_str()
      ->check(CLI::IsMember({"basic", "standard", "premium"}));
  try_cmd->add_option("brief", try_options.brief, "The buyer's brief")->required();
  try_cmd->add_option("--input", try_options.input, "The order's input data, as JSON");
  try_cmd->add_flag("--json", try_options.json, "Machine-readable output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : engine::kExitBadConfig;
  }
  try {
    if (init->parsed()) return cmd_init(dir, force);
    if (validate->parsed()) return cmd_validate(config_path, strict);
    if (status->parsed()) {
      if (!agents_dir.empty() || status_configs.size() > 1)
        return cli::fleet_status({status_configs, agents_dir}, json, std::cout, std::cerr);
      return cmd_status(status_configs.empty() ? config_path : status_configs.front(), url, json, watch, interval);
    }
    if (doctor->parsed()) return cli::run_doctor(config_path, url, std::cout);
    if (run->parsed()) {
      const auto listen = listen_option->count() > 0 ? std::optional(listen_text) : std::nullopt;
      if (!agents_dir.empty() || run_configs.size() > 1)
        return cmd_run_fleet({{run_configs, agents_dir}, url, workers, listen.value_or("")}, log_format, log_level);
      return cmd_run(run_configs.empty() ? config_path : run_configs.front(), url, log_format, listen);
    }
    if (try_cmd->parsed()) return cmd_try(config_path, try_options);
    if (accept->parsed()) {
      auto loaded = load_or_report(config_path);
      if (!loaded) return engine::kExitBadConfig;
      return cli::accept_order(loaded->config, engine::resolve_backend_url(url, loaded->config), order_id, std::cout,
                               std::cerr);
    }
    if (rotate->parsed()) {
      auto loaded = load_or_report(config_path);
      if (!loaded) return engine::kExitBadConfig;
      return cli::rotate_key(loaded->config, engine::resolve_backend_url(url, loaded->config), std::cout, std::cerr);
    }
    if (deliver->parsed() || orders->parsed() || show->parsed() || regenerate->parsed()) {
      auto loaded = load_or_report(config_path);
      if (!loaded) return engine::kExitBadConfig;
      const std::string backend = engine::resolve_backend_url(url, loaded->config);
      if (orders->parsed()) return cli::list_orders(loaded->config, backend, state, json, std::cout, std::cerr);
      if (show->parsed()) return cli::show_order(loaded->config, backend, order_id, std::cout, std::cerr);
      if (regenerate->parsed()) return cli::request_regeneration(loaded->config, order_id, note, std::cout, std::cerr);
      if (edit) return cli::edit_and_deliver(loaded->config, backend, order_id, std::cout, std::cerr);
      return cli::deliver_kept_result(loaded->config, backend, order_id, show_only);
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return engine::kExitFailure;
  }
  return engine::kExitBadConfig;
}
