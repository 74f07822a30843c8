#include "cli/doctor.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "boot/credentials.h"
#include "common/cancel.h"
#include "common/secret.h"
#include "config/config.h"
#include "config/llm_key.h"
#include "engine/engine.h"
#include "executor/llm_provider.h"
#include "http/client.h"
#include "marketplace/client.h"

namespace gigent::cli {

namespace {

enum class Verdict { Ok, Warn, Fail };

class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void line(Verdict verdict, const std::string& check, const std::string& detail) {
    static constexpr const char* kWords[] = {"ok  ", "warn", "FAIL"};
    out_ << kWords[static_cast<int>(verdict)] << "  " << fmt::format("{:<12}", check) << detail << "\n";
    if (verdict == Verdict::Fail) failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  std::ostream& out_;
  bool failed_ = false;
};

void check_credentials(Report& report, const engine::RuntimePaths& paths, std::optional<boot::Credentials>& creds) {
  struct stat st {};
  if (::lstat(paths.credentials.c_str(), &st) != 0) {
    report.line(Verdict::Warn, "credentials",
                paths.credentials + " does not exist yet: `gigent-runtime run` registers the agent and writes it");
    return;
  }
  if ((st.st_mode & 077) != 0) {
    report.line(Verdict::Fail, "credentials",
                fmt::format("{} is readable by others (mode {:04o}); the agent's key is in it: chmod 600 {}",
                            paths.credentials, st.st_mode & 07777, paths.credentials));
    return;
  }
  try {
    creds = boot::load_credentials(paths.credentials);
    report.line(Verdict::Ok, "credentials",
                fmt::format("{} (mode 0600), agent {}", paths.credentials, creds ? creds->agent_id : "?"));
  } catch (const std::exception& e) {
    report.line(Verdict::Fail, "credentials", e.what());
  }
}

// "Sun, 06 Nov 1994 08:49:37 GMT" as unix seconds.
std::optional<std::time_t> parse_http_date(const std::string& text) {
  std::tm parts{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &parts);
  if (!end) return std::nullopt;
  return timegm(&parts);
}

// The backend's /api/health: reachable, which server, which extensions; and
// its Date header against this machine's clock.
void check_backend(Report& report, const std::string& url) {
  http::Client client;
  http::ClientRequest request;
  request.url = url + "/api/health";
  request.total_timeout = std::chrono::seconds(10);
  auto result = client.perform(request);
  if (!result.ok() || result.response.status != 200) {
    report.line(Verdict::Fail, "backend",
                fmt::format("{} cannot be reached ({}): check backend.url / --url and that the server runs", url,
                            result.ok() ? fmt::format("HTTP {}", result.response.status) : result.error));
    report.line(Verdict::Warn, "clock", "not compared: the backend did not answer");
    return;
  }
  auto health = nlohmann::json::parse(result.response.body, nullptr, false);
  std::string features;
  if (health.is_object() && health.contains("features") && health["features"].is_array())
    for (const auto& f : health["features"])
      if (f.is_string()) features += (features.empty() ? "" : ", ") + f.get<std::string>();
  const std::string version = marketplace::string_field(health, "version", "?");
  if (features.empty())
    report.line(
        Verdict::Ok, "backend",
        fmt::format("{} answers (version {}; no extensions: orders are polled, not long-polled)", url, version));
  else
    report.line(Verdict::Ok, "backend", fmt::format("{} answers (version {}; features: {})", url, version, features));
  auto date = result.response.header("date");
  auto backend_time = date ? parse_http_date(*date) : std::nullopt;
  if (!backend_time) {
    report.line(Verdict::Warn, "clock", "not compared: the backend sends no Date header");
    return;
  }
  const double skew = std::difftime(std::time(nullptr), *backend_time);
  const std::string text =
      fmt::format("this machine is {:.0f} s {} the backend", std::fabs(skew), skew >= 0 ? "ahead of" : "behind");
  if (std::fabs(skew) <= 5)
    report.line(Verdict::Ok, "clock", text);
  else
    report.line(std::fabs(skew) <= 120 ? Verdict::Warn : Verdict::Fail, "clock",
                text +
                    ": deadlines and the online state are judged by the backend's clock; run NTP "
                    "(timedatectl set-ntp true)");
}

void check_agent(Report& report, const std::string& url, const boot::Credentials& creds) {
  marketplace::MarketplaceClient client({url, creds.api_key, std::chrono::seconds(10)});
  auto me = client.get_me();
  if (me.ok()) {
    report.line(
        Verdict::Ok, "agent",
        fmt::format("the backend knows agent \"{}\" and accepts its key", marketplace::string_field(me.body, "name")));
  } else if (me.status == 401 || me.status == 403) {
    report.line(Verdict::Fail, "agent",
                "the backend refuses the agent's key: restore the right .gigent-credentials, or `gigent-runtime "
                "rotate-key` if the old key still works elsewhere");
  } else if (me.status == 404) {
    report.line(Verdict::Fail, "agent",
                "the backend does not know this agent: is backend.url the server it registered with?");
  } else {
    report.line(Verdict::Fail, "agent", "cannot ask the backend about the agent: " + me.error);
  }
}

// One request of at most one output token, through the provider code `run`
// uses: proves the key, the endpoint and the model name for the price of one token.
void check_llm(Report& report, const config::ExecutionSection& execution) {
  const std::string key = config::resolve_llm_key(execution, config::process_env());
  if (key.empty() && execution.base_url.empty()) {
    report.line(
        Verdict::Fail, "llm key",
        fmt::format("no key: set execution.api_key or export {}", config::llm_key_variable(execution.provider)));
    return;
  }
  config::ExecutionSection probe = execution;
  probe.max_tokens = 1;
  probe.max_retries = 0;
  probe.timeout_seconds = std::min(probe.timeout_seconds, 30);
  probe.connect_timeout_seconds = std::min(probe.connect_timeout_seconds, 10);
  try {
    Cancellation never;
    auto provider = executor::make_provider(probe);
    provider->complete({"", "Reply with one word: ok"}, never);
    report.line(Verdict::Ok, "llm key",
                fmt::format("{} {} answered a 1-token request (key {})", execution.provider, execution.model,
                            key.empty() ? std::string("none") : mask_secret(key)));
  } catch (const std::exception& e) {
    report.line(Verdict::Fail, "llm key",
                fmt::format("{}: check the key, execution.model and execution.base_url", e.what()));
  }
}

void check_disk(Report& report, const std::string& journal_path) {
  const std::string dir = std::filesystem::path(journal_path).parent_path().string();
  struct statvfs fs {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) {
    report.line(Verdict::Warn, "disk", "cannot tell the free space next to " + journal_path);
    return;
  }
  const double free_mb = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / (1024.0 * 1024.0);
  const std::string text = fmt::format("{:.0f} MB free for the journal ({})", free_mb, journal_path);
  if (free_mb < 50)
    report.line(Verdict::Fail, "disk", text + ": free some space; a full disk stops the agent taking orders");
  else
    report.line(free_mb < 500 ? Verdict::Warn : Verdict::Ok, "disk", text);
}

}  // namespace

int run_doctor(const std::string& config_path, const std::string& cli_url, std::ostream& out) {
  Report report(out);
  auto loaded = config::load_file(config_path);
  if (!loaded.ok()) {
    report.line(Verdict::Fail, "config",
                fmt::format("{}: {} problem(s); `gigent-runtime validate -c {}` lists them", config_path,
                            loaded.problems.size(), config_path));
    return engine::kExitBadConfig;
  }
  const config::Config& config = loaded.config;
  report.line(loaded.warnings.empty() ? Verdict::Ok : Verdict::Warn, "config",
              loaded.warnings.empty() ? fmt::format("{} loads (agent \"{}\", {} gig(s))", config_path,
                                                    config.agent.name, config.gigs.size())
                                      : fmt::format("{} loads with {} warning(s); `gigent-runtime validate` shows them",
                                                    config_path, loaded.warnings.size()));
  const auto paths = engine::RuntimePaths::for_config(config.path);
  const std::string url = engine::resolve_backend_url(cli_url, config);
  std::optional<boot::Credentials> creds;
  check_credentials(report, paths, creds);
  check_backend(report, url);
  if (creds) check_agent(report, url, *creds);
  check_llm(report, config.execution);
  check_disk(report, paths.journal);
  return report.failed() ? engine::kExitFailure : engine::kExitOk;
}

}  // namespace gigent::cli
