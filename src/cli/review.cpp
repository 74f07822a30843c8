#include "cli/review.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/manual_delivery.h"
#include "common/fs.h"
#include "common/text.h"
#include "engine/engine.h"
#include "engine/journal.h"
#include "engine/lock_file.h"
#include "engine/order_processor.h"

namespace gigent::cli {

namespace {

using nlohmann::json;

// A variable of the environment, "" when unset.
std::string env(const char* name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): a one-shot command; nothing here calls setenv
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The kept result of `order_id`, or nullopt after saying why there is none.
std::optional<engine::JobRecord> kept_result(engine::Journal& journal, const std::string& order_id, std::ostream& err) {
  auto record = journal.get(order_id);
  if (record && record->state == engine::JobState::AwaitingDelivery) return record;
  err << "error: no result kept for review for order " << order_id
      << " (state: " << (record ? engine::to_string(record->state) : std::string("unknown to this runtime"))
      << "); `gigent-runtime status` lists the results awaiting delivery\n";
  return std::nullopt;
}

// The text the operator edits: the content, or the JSON result, of the kept delivery_data.
std::string editable_text(const json& data) {
  if (data.is_object() && data.contains("content") && data["content"].is_string()) return data["content"];
  if (data.is_object() && data.contains("result"))
    return data["result"].is_string() ? data["result"].get<std::string>() : data["result"].dump(2);
  return data.is_string() ? data.get<std::string>() : data.dump(2);
}

// The edited text back in the shape it was kept in: a json-format result is
// parsed again (text when it no longer parses), as delivery::format_result does.
json with_edited_text(const json& data, const std::string& text) {
  const std::string format = data.is_object() ? data.value("format", "text") : "text";
  if (format == "json") {
    auto parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) return {{"result", parsed}, {"format", "json"}};
    return {{"result", text}, {"format", "text"}};
  }
  return {{"content", text}, {"format", format}};
}

// Runs the editor through the shell, as git does, so that EDITOR="code
// --wait" works; the file name is passed as an argument, never spliced in.
bool run_editor(const std::string& file, std::ostream& err) {
  std::string editor = env("EDITOR");
  if (editor.empty()) editor = env("VISUAL");
  if (editor.empty()) editor = "vi";
  const std::string command = editor + " \"$1\"";
  pid_t pid = ::fork();
  if (pid < 0) {
    err << "error: cannot start the editor: " << errno_text(errno) << "\n";
    return false;
  }
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), "sh", file.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  err << "error: the editor (" << editor << ") failed"
      << (WIFEXITED(status) ? " with exit code " + std::to_string(WEXITSTATUS(status)) : std::string())
      << "; nothing was delivered\n";
  return false;
}

// A private temporary file holding `text`; its path, or "" after saying why.
std::string write_temp(const std::string& text, std::ostream& err) {
  const std::string tmpdir = env("TMPDIR");
  std::string path = (tmpdir.empty() ? std::string("/tmp") : tmpdir) + "/gigent-result-XXXXXX.md";
  int fd = ::mkstemps(path.data(), 3);  // mode 0600: the result is the buyer's and the seller's only
  if (fd < 0) {
    err << "error: cannot create a temporary file for the editor: " << errno_text(errno) << "\n";
    return "";
  }
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    err << "error: cannot write the temporary file " << path << "\n";
    return "";
  }
  return path;
}

}  // namespace

int edit_and_deliver(const config::Config& config, const std::string& backend_url, const std::string& order_id,
                     std::ostream& out, std::ostream& err) {
  auto paths = engine::RuntimePaths::for_config(config.path);
  if (!credentials_or_report(paths, err)) return engine::kExitBootFailed;
  std::string edited;
  json data;
  try {
    engine::Journal journal(paths.journal);
    auto record = kept_result(journal, order_id, err);
    if (!record) return engine::kExitFailure;
    data = json::parse(record->delivery_data, nullptr, false);
    if (data.is_discarded()) data = {{"content", record->delivery_data}, {"format", "text"}};
    const std::string original = editable_text(data);
    const std::string file = write_temp(original, err);
    if (file.empty()) return engine::kExitFailure;
    const bool edited_ok = run_editor(file, err);
    if (edited_ok) edited = read_file(file);
    ::unlink(file.c_str());
    if (!edited_ok) return engine::kExitFailure;
    if (trim(edited).empty() || edited == original) {
      out << "the result was " << (trim(edited).empty() ? "emptied" : "not changed")
          << "; nothing was delivered (order " << order_id << " keeps its result)\n";
      return engine::kExitOk;
    }
    // Kept first, so a delivery that fails leaves the edited text for the next try.
    record->delivery_data = with_edited_text(data, edited).dump();
    journal.put(*record);
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return engine::kExitFailure;
  }
  return deliver_kept_result(config, backend_url, order_id, false);
}

int request_regeneration(const config::Config& config, const std::string& order_id, const std::string& note,
                         std::ostream& out, std::ostream& err) {
  auto paths = engine::RuntimePaths::for_config(config.path);
  try {
    engine::Journal journal(paths.journal);
    auto record = kept_result(journal, order_id, err);
    if (!record) return engine::kExitFailure;
    // A failed attempt due now without a saved result: the daemon's reconcile
    // takes it up again and calls the model, as for any order to retry.
    record->state = engine::JobState::Failed;
    record->delivery_data.clear();
    record->attempts = 0;
    record->next_attempt_at = 0;
    record->last_error = "a new result was asked for (gigent-runtime regenerate)";
    record->operator_note = note;
    journal.put(*record);
  } catch (const engine::JournalError& e) {
    err << "error: " << e.what() << "\n";
    return engine::kExitFailure;
  }
  out << "order " << order_id << ": a new result will be made" << (note.empty() ? "" : " with your note");
  if (engine::lock_is_held(paths.lock))
    out << " by the running daemon within a minute; it is kept for review again (`gigent-runtime status`)\n";
  else
    out << " when the daemon runs (no `gigent-runtime run` holds this config now)\n";
  return engine::kExitOk;
}

}  // namespace gigent::cli
