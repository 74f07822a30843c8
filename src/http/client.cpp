#include "http/client.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include <curl/curl.h>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace gigent::http {
namespace {

std::once_flag g_curl_init;

using SteadyClock = std::chrono::steady_clock;

struct Transfer {
  ClientResponse* response = nullptr;
  std::size_t max_bytes = 0;
  bool too_large = false;
  const Cancellation* cancel = nullptr;
  bool cancelled = false;
  CURL* easy = nullptr;
  const std::function<bool(std::string_view)>* sink = nullptr;  // null: collect the body
  std::optional<bool> to_sink;                                  // decided at the first body byte
  std::size_t received = 0;
  bool sink_stopped = false;
  std::chrono::milliseconds stall_timeout{0};
  SteadyClock::time_point last_byte = SteadyClock::now();
  bool stalled = false;

  // Whether the stall limit has passed since the last byte; marks it once.
  bool stall_expired() {
    if (stall_timeout.count() <= 0 || stalled) return stalled;
    stalled = SteadyClock::now() - last_byte >= stall_timeout;
    return stalled;
  }
};

// A 2xx event stream goes to the sink; anything else (an error body, or a
// server that ignored the stream request and answered JSON) is collected.
bool body_goes_to_sink(const Transfer& t) {
  if (!t.sink || !*t.sink) return false;
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  const auto type = t.response->header("content-type");
  return status >= 200 && status < 300 && type && type->rfind("text/event-stream", 0) == 0;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  t->last_byte = SteadyClock::now();
  if (t->received + bytes > t->max_bytes) {
    t->too_large = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  t->received += bytes;
  if (!t->to_sink) t->to_sink = body_goes_to_sink(*t);
  if (*t->to_sink) {
    if ((*t->sink)(std::string_view(data, bytes))) return bytes;
    t->sink_stopped = true;
    return 0;
  }
  t->response->body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  t->last_byte = SteadyClock::now();
  std::string line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after a redirect or 100-continue)
    return bytes;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return bytes;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  auto first = value.find_first_not_of(" \t");
  auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  t->response->headers[name] = value;
  return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel && t->cancel->cancelled()) {
    t->cancelled = true;
    return 1;  // aborts with CURLE_ABORTED_BY_CALLBACK
  }
  return t->stall_expired() ? 1 : 0;
}

// Drives one transfer on the multi handle. Unlike curl_easy_perform, whose
// progress callback runs only about once a second on an idle connection,
// the poll here also watches the Cancellation's fd, so a shutdown interrupts
// a long-poll or a slow LLM call at once.
CURLcode run_transfer(CURLM* multi, CURL* easy, Transfer& transfer) {
  if (!multi) return curl_easy_perform(easy);
  const Cancellation* cancel = transfer.cancel;
  curl_multi_add_handle(multi, easy);
  curl_waitfd wake{};
  int wake_count = 0;
  if (cancel && cancel->wake_fd() >= 0) {
    wake.fd = cancel->wake_fd();
    wake.events = CURL_WAIT_POLLIN;
    wake_count = 1;
  }
  CURLcode code = CURLE_OK;
  bool done = false;
  while (!done) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      code = CURLE_FAILED_INIT;
      break;
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
        code = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    if (cancel && cancel->cancelled()) {
      transfer.cancelled = true;
      code = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    if (transfer.stall_expired()) {
      code = CURLE_OPERATION_TIMEDOUT;
      break;
    }
    curl_multi_poll(multi, wake_count ? &wake : nullptr, static_cast<unsigned>(wake_count), 1000, nullptr);
  }
  curl_multi_remove_handle(multi, easy);
  return code;
}

}  // namespace

std::optional<std::string> ClientResponse::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

Client::Client(const Cancellation* cancel) : cancel_(cancel) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  handle_ = curl_easy_init();
  multi_ = curl_multi_init();
}

Client::~Client() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

Client& this_thread_client() {
  thread_local Client client;
  return client;
}

ClientResult ThreadClientTransport::perform(const ClientRequest& request) {
  Client& client = this_thread_client();
  client.bind(cancel_);
  ClientResult result = client.perform(request);
  client.bind(nullptr);  // the Cancellation may end before the thread's next transfer
  return result;
}

ClientResult Client::perform(const ClientRequest& request) {
  ClientResult result;
  auto* curl = static_cast<CURL*>(handle_);
  if (!curl) {
    result.error = "libcurl could not create a handle";
    return result;
  }
  // Reset clears options but keeps the connection cache, so keep-alive survives.
  curl_easy_reset(curl);
  Transfer transfer;
  transfer.response = &result.response;
  transfer.max_bytes = request.max_response_bytes;
  transfer.cancel = cancel_;
  transfer.easy = curl;
  transfer.sink = request.body_sink ? &request.body_sink : nullptr;
  transfer.stall_timeout = request.stall_timeout;

  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line.append(": ").append(value);
    headers = curl_slist_append(headers, line.c_str());
  }
  // curl would otherwise wait up to a second for "100 Continue" on larger bodies.
  headers = curl_slist_append(headers, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  CURLcode code = run_transfer(static_cast<CURLM*>(multi_), curl, transfer);
  curl_slist_free_all(headers);
  result.streamed = transfer.to_sink.value_or(false);
  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.response.status = static_cast<int>(status);
    return result;
  }
  result.cancelled = transfer.cancelled;
  result.too_large = transfer.too_large;
  result.stalled = transfer.stalled && !transfer.cancelled;
  result.timed_out = code == CURLE_OPERATION_TIMEDOUT || result.stalled;
  result.sink_stopped = transfer.sink_stopped;
  if (transfer.too_large)
    result.error = "response body larger than " + std::to_string(request.max_response_bytes) + " bytes";
  else if (transfer.cancelled)
    result.error = "cancelled";
  else if (result.stalled)
    result.error = fmt::format("no data for {} s (stalled)", request.stall_timeout.count() / 1000.0);
  else if (transfer.sink_stopped)
    result.error = "the stream reader stopped the transfer";
  else
    result.error = curl_easy_strerror(code);
  return result;
}

std::string url_encode(const std::string& value) {
  return boost::urls::encode(value, boost::urls::unreserved_chars);
}

}  // namespace gigent::http
