// The schema of gigent-agent.yaml (all but the gigs, which are in gigs.cpp)
// and the load pipeline.
//
// The pipeline is: size and encoding checks on the raw bytes, yaml-cpp parse,
// then one walk over the known schema that converts and checks each field,
// collecting every problem instead of stopping at the first. ${ENV_VAR}s are
// expanded per scalar during that walk (see interpolate.h). Problems about
// something that is missing point at the key of the enclosing section, or at
// line 1 column 1 for a missing top-level section.
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include "common/fs.h"
#include "common/listen_address.h"
#include "common/text.h"
#include "config/config.h"
#include "config/diagnostics.h"
#include "config/interpolate.h"
#include "config/llm_key.h"
#include "config/reader.h"
#include "config/schema.h"
#include "config/suggest.h"

namespace gigent::config {

namespace {

const std::vector<std::string_view> kRootKeys = {"agent",    "owner",     "gigs",    "runtime", "execution",
                                                 "delivery", "heartbeat", "logging", "backend", "observability"};
const std::vector<std::string_view> kAgentKeys = {"name", "description", "category", "tags", "avatar_url"};
const std::vector<std::string_view> kOwnerKeys = {"wallet"};
const std::vector<std::string_view> kRuntimeKeys = {
    "poll_interval_seconds", "auto_accept",         "max_concurrent_orders", "shutdown_grace_seconds",
    "max_order_attempts",    "failed_order_action", "allow_replicas",        "long_poll_seconds"};
const std::vector<std::string_view> kExecutionKeys = {
    "provider", "model",           "system_prompt",           "temperature", "max_tokens",       "api_key",
    "base_url", "timeout_seconds", "connect_timeout_seconds", "max_retries", "max_input_tokens", "stream",
    "fallback", "budget"};
const std::vector<std::string_view> kDeliveryKeys = {"format", "auto_deliver", "truncation_marker"};
const std::vector<std::string_view> kHeartbeatKeys = {"enabled", "interval_seconds"};
const std::vector<std::string_view> kLoggingKeys = {"level", "format"};
const std::vector<std::string_view> kBackendKeys = {"url"};
const std::vector<std::string_view> kObservabilityKeys = {"listen"};

// The deployed service takes any agent category and defaults it to `general`,
// so any category loads; one that is not a gig category buyers browse by gets
// a warning.
void read_agent_category(Reader& in, const Section& agent, std::string& out) {
  const auto category = in.read_word(agent, "category", "one of: " + join(kCategories));
  if (!category) return;
  out = *category;
  if (std::find(kCategories.begin(), kCategories.end(), *category) != kCategories.end()) return;
  std::string message = quote_for_message(*category);
  if (*category == "general") {
    message +=
        " is the marketplace's default agent category but not one of the categories buyers browse by; recommend the "
        "one that fits best: " +
        join(kCategories);
  } else {
    message +=
        " is not one of the categories buyers browse by; it is sent as written; recommend one of: " + join(kCategories);
    if (const auto suggestion = closest_match(*category, kCategories)) {
      message += " (did you mean `" + *suggestion + "`?)";
    }
  }
  in.warn(in.value_position(*agent.find("category")), agent.field("category"), std::move(message));
}

void read_agent(Reader& in, const Section& root, AgentSection& out) {
  const auto agent =
      in.child_section(root, "agent", kAgentKeys, true, "a mapping with at least `name` (the agent's display name)");
  if (!agent) return;
  in.read_string(*agent, "name", out.name,
                 {.required = true, .expected = "a non-empty string (the agent's display name)"});
  in.read_string(*agent, "description", out.description);
  read_agent_category(in, *agent, out.category);
  in.read_string_list(*agent, "tags", out.tags);
  in.read_url(*agent, "avatar_url", out.avatar_url);
}

void read_owner(Reader& in, const Section& root, OwnerSection& out) {
  const auto owner =
      in.child_section(root, "owner", kOwnerKeys, true, "a mapping with `wallet` (0x followed by 40 hex digits)");
  if (!owner) return;
  std::string wallet;
  in.read_string(*owner, "wallet", wallet,
                 {.required = true, .expected = "a wallet address: 0x followed by 40 hex digits"});
  wallet = trim(wallet);
  if (wallet.empty()) return;
  if (!is_wallet(wallet)) {
    in.add(in.value_position(*owner->find("wallet")), owner->field("wallet"),
           quote_for_message(wallet) + " is not a wallet address; expected 0x followed by 40 hex digits");
    return;
  }
  out.wallet = wallet;
  const std::string lowered = lowercase(wallet);
  if (lowered == kTemplateWallet || lowered == "0x" + std::string(40, '0')) {
    in.warn(in.value_position(*owner->find("wallet")), owner->field("wallet"),
            "is an example address, not a wallet of yours; replace it with your own (0x followed by 40 hex digits) "
            "before going live: the marketplace records it as the agent's owner");
  }
}

void read_runtime(Reader& in, const Section& root, RuntimeSection& out) {
  const auto runtime = in.child_section(root, "runtime", kRuntimeKeys, false, "a mapping of runtime settings");
  if (!runtime) return;
  in.read_seconds(*runtime, "poll_interval_seconds", out.poll_interval_seconds,
                  {.advised_minimum = 1,
                   .maximum = 3600,
                   .why_not_smaller = "polling more than once a second loads the marketplace without taking orders "
                                      "sooner (long-poll, when the server offers it, already answers at once); "
                                      "recommend 10"});
  read_auto_accept(in, *runtime, out);
  in.read_int(*runtime, "max_concurrent_orders", out.max_concurrent_orders, 1, 256);
  in.read_int(*runtime, "shutdown_grace_seconds", out.shutdown_grace_seconds, 0, 3600);
  in.read_int(*runtime, "max_order_attempts", out.max_order_attempts, 1, 100);
  if (const auto action = in.read_choice(*runtime, "failed_order_action", {"leave", "reject", "cancel"})) {
    if (*action == "leave") out.failed_order_action = FailedOrderAction::Leave;
    if (*action == "reject") out.failed_order_action = FailedOrderAction::Reject;
    if (*action == "cancel") out.failed_order_action = FailedOrderAction::Cancel;
  }
  in.read_bool(*runtime, "allow_replicas", out.allow_replicas);
  in.read_int(*runtime, "long_poll_seconds", out.long_poll_seconds, 0, 300);
}

// What `run` would refuse at boot: no LLM key where the provider needs one.
void check_llm_key(Reader& in, const Section& execution, const ExecutionSection& settings, const EnvLookup& env) {
  const auto missing = missing_llm_key(settings, env);
  if (!missing) return;
  const Entry* api_key = execution.find("api_key");
  in.add(api_key != nullptr ? in.value_position(*api_key) : execution.anchor(), execution.field("api_key"),
         *missing + " (`run` refuses to start without it)");
}

void read_execution(Reader& in, const Section& root, const LoadOptions& options, const EnvLookup& env,
                    ExecutionSection& out) {
  const auto execution = in.child_section(root, "execution", kExecutionKeys, false, "a mapping of LLM settings");
  if (!execution) return;
  if (const auto provider = in.read_choice(*execution, "provider", {"anthropic", "openai"})) {
    out.provider = *provider;
  }
  in.read_string(*execution, "model", out.model,
                 {.required = execution->find("model") != nullptr, .expected = "a model name, e.g. claude-sonnet-4-5"});
  in.read_string(*execution, "system_prompt", out.system_prompt);
  // A temperature the provider's API refuses would fail every order.
  if (out.provider == "anthropic") {
    in.read_number(*execution, "temperature", out.temperature, 0, 1,
                   "a number from 0 to 1 (Anthropic's API refuses any other; OpenAI's accepts 0 to 2)");
  } else {
    in.read_number(*execution, "temperature", out.temperature, 0, 2,
                   "a number from 0 to 2 (OpenAI's API refuses any other)");
  }
  in.read_int(*execution, "max_tokens", out.max_tokens, 1, 200000);
  in.read_int(*execution, "max_input_tokens", out.max_input_tokens, 1, 10000000);
  // An unset ${VAR} here is fine: the provider's own variable is used later.
  in.read_string(*execution, "api_key", out.api_key,
                 {.secret = true, .allow_unset_env = true, .expected = "an API key string"});
  out.api_key = trim(out.api_key);
  in.read_url(*execution, "base_url", out.base_url);
  in.read_int(*execution, "timeout_seconds", out.timeout_seconds, 1, 3600);
  in.read_int(*execution, "connect_timeout_seconds", out.connect_timeout_seconds, 1, 300);
  in.read_int(*execution, "max_retries", out.max_retries, 0, 10);
  read_budget(in, *execution, out.budget);
  if (options.require_llm_key) check_llm_key(in, *execution, out, env);
  read_stream_and_fallback(in, *execution, options.require_llm_key, env, out);
}

void read_delivery(Reader& in, const Section& root, DeliverySection& out) {
  const auto delivery = in.child_section(root, "delivery", kDeliveryKeys, false, "a mapping of delivery settings");
  if (!delivery) return;
  if (const auto format = in.read_choice(*delivery, "format", {"markdown", "text", "json"})) {
    if (*format == "markdown") out.format = DeliveryFormat::Markdown;
    if (*format == "text") out.format = DeliveryFormat::Text;
    if (*format == "json") out.format = DeliveryFormat::Json;
  }
  in.read_bool(*delivery, "auto_deliver", out.auto_deliver);
  in.read_string(*delivery, "truncation_marker", out.truncation_marker);
}

void read_heartbeat(Reader& in, const Section& root, HeartbeatSection& out) {
  const auto heartbeat = in.child_section(root, "heartbeat", kHeartbeatKeys, false, "a mapping of heartbeat settings");
  if (!heartbeat) return;
  in.read_bool(*heartbeat, "enabled", out.enabled);
  // Checked even when heartbeats are off, so turning them on later holds no surprise.
  in.read_seconds(*heartbeat, "interval_seconds", out.interval_seconds,
                  {.advised_minimum = 5,
                   .maximum = 3600,
                   .why_not_smaller = "a heartbeat more often than every 5 s loads the marketplace without making "
                                      "the agent look more alive (it counts as online for minutes after each one); "
                                      "recommend 30"});
}

void read_logging(Reader& in, const Section& root, LoggingSection& out) {
  const auto logging = in.child_section(root, "logging", kLoggingKeys, false, "a mapping of logging settings");
  if (!logging) return;
  if (const auto level = in.read_choice(*logging, "level", {"debug", "info", "warn", "error"})) out.level = *level;
  if (const auto format = in.read_choice(*logging, "format", {"text", "json"})) out.format = *format;
}

void read_backend(Reader& in, const Section& root, BackendSection& out) {
  const auto backend = in.child_section(root, "backend", kBackendKeys, false, "a mapping with `url`");
  if (!backend) return;
  in.read_url(*backend, "url", out.url);
}

void read_observability(Reader& in, const Section& root, ObservabilitySection& out) {
  const auto section = in.child_section(root, "observability", kObservabilityKeys, false, "a mapping with `listen`");
  if (!section) return;
  std::string listen;
  in.read_string(*section, "listen", listen, {.expected = "HOST:PORT, such as 127.0.0.1:9464"});
  listen = trim(listen);
  if (listen.empty()) return;
  std::string error;
  if (!parse_listen_address(listen, error)) {
    in.add(in.value_position(*section->find("listen")), section->field("listen"),
           quote_for_message(listen) + ": " + error);
    return;
  }
  out.listen = listen;
}

// Parses `source` and walks the schema.
void read_document(Reader& in, std::string_view source, const LoadOptions& options, const EnvLookup& env,
                   Config& config) {
  YAML::Node document;
  try {
    document = YAML::Load(std::string(source));
  } catch (const YAML::ParserException& error) {
    Diagnosis diagnosis = diagnose_parse_error(source, error);
    in.add(diagnosis.position, "", std::move(diagnosis.message));
    return;
  }
  const std::string sections_hint =
      "expected a mapping with the sections agent, owner and gigs (run `gigent-runtime init` for a commented "
      "template)";
  if (!document || document.IsNull()) {
    in.add({}, "", "file has no settings (it is empty or only comments); " + sections_hint);
    return;
  }
  if (!document.IsMap()) {
    in.add(position_of(document.Mark()), "", "the document is " + kind_of(document) + "; " + sections_hint);
    return;
  }
  const auto root = in.open_section(document, "", Position{}, kRootKeys, "a mapping");
  if (!root) return;
  read_agent(in, *root, config.agent);
  read_owner(in, *root, config.owner);
  read_runtime(in, *root, config.runtime);
  // Before the gigs: a gig's own temperature is checked for the provider.
  // Problems are sorted by position, so the order of reading shows nowhere.
  read_execution(in, *root, options, env, config.execution);
  read_gigs(in, *root, config.execution.provider, config.gigs);
  read_delivery(in, *root, config.delivery);
  read_heartbeat(in, *root, config.heartbeat);
  read_logging(in, *root, config.logging);
  read_backend(in, *root, config.backend);
  read_observability(in, *root, config.observability);
}

}  // namespace

std::string Problem::to_string() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (severity == Severity::Warning) out += "warning: ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

std::string to_string(DeliveryFormat format) {
  switch (format) {
    case DeliveryFormat::Markdown:
      return "markdown";
    case DeliveryFormat::Text:
      return "text";
    case DeliveryFormat::Json:
      return "json";
  }
  return "markdown";
}

std::string to_string(FailedOrderAction action) {
  switch (action) {
    case FailedOrderAction::Leave:
      return "leave";
    case FailedOrderAction::Reject:
      return "reject";
    case FailedOrderAction::Cancel:
      return "cancel";
  }
  return "leave";
}

LoadResult load_string_with_env(const std::string& yaml_text, const std::string& file_label, const EnvLookup& env,
                                const LoadOptions& options) {
  std::string_view source = yaml_text;
  const std::optional<Diagnosis> unreadable = check_raw_text(source);
  // A UTF-8 byte order mark is legal but invisible in editors: drop it so
  // columns on line 1 match what the user sees.
  if (!unreadable && source.starts_with("\xEF\xBB\xBF")) source.remove_prefix(3);
  Reader in(source, file_label, env, options.strict);
  LoadResult result;
  if (unreadable) {
    in.add(unreadable->position, "", unreadable->message);
  } else {
    try {
      read_document(in, source, options, env, result.config);
    } catch (const std::exception& error) {
      // Not expected: every node access is type-checked first. Still, a config
      // problem must never take the daemon down with an exception.
      in.add({}, "", std::string("internal error while reading the config: ") + error.what());
    } catch (...) {
      in.add({}, "", "internal error while reading the config");
    }
  }
  in.finish(result);
  return result;
}

LoadResult load_string(const std::string& yaml_text, const std::string& file_label, const LoadOptions& options) {
  return load_string_with_env(yaml_text, file_label, process_env(), options);
}

LoadResult load_file(const std::string& path, const LoadOptions& options) {
  LoadResult result;
  const auto fail = [&](std::string message) {
    result.problems.push_back(Problem{path, 1, 1, "", std::move(message)});
    return result;
  };
  if (path.empty()) return fail("no config path given; expected a path to gigent-agent.yaml");

  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  absolute = absolute.lexically_normal();

  const auto status = std::filesystem::status(absolute, error);
  if (error || !std::filesystem::exists(status)) {
    if (error && error != std::errc::no_such_file_or_directory) {
      return fail("cannot read: " + error.message());
    }
    return fail("file not found; run `gigent-runtime init` to create one");
  }
  if (std::filesystem::is_directory(status)) {
    return fail("is a directory; expected a YAML file such as gigent-agent.yaml");
  }

  std::ifstream in(absolute, std::ios::binary);
  if (!in) return fail(std::string("cannot open: ") + errno_text(errno));
  // Read at most one byte past the limit: enough to refuse a huge file
  // (or an endless one like /dev/zero) without loading it.
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(std::string("cannot read: ") + errno_text(errno));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return fail("file is larger than 1 MiB; expected a gigent-agent.yaml of a few KiB");
  }

  result = load_string(text, path, options);
  result.config.path = absolute.string();
  return result;
}

}  // namespace gigent::config
