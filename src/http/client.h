#pragma once
// A small libcurl client. One Client owns one easy handle, so connections are
// kept alive and reused between calls; a Client is used by one thread at a time.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/cancel.h"

namespace gigent::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  std::size_t max_response_bytes = 64u << 20;  // a larger body fails the call
  // Streaming: when set, the body of a 2xx answer whose content-type is
  // text/event-stream goes here piece by piece as it arrives (not into
  // ClientResponse::body); returning false aborts the transfer. Any other
  // answer is collected into the body as usual, so error bodies still parse.
  std::function<bool(std::string_view)> body_sink;
  // No byte received for this long fails the call as timed out and stalled
  // (zero: no such limit). With a stream it bounds the silence between
  // events, where total_timeout would bound the whole answer.
  std::chrono::milliseconds stall_timeout{0};
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // keys lowercased
  std::optional<std::string> header(const std::string& lowercase_name) const;
};

// Either a response (any status) or a transport failure.
struct ClientResult {
  ClientResponse response;
  std::string error;          // empty when a response arrived
  bool timed_out = false;     // the connect or total timeout fired
  bool cancelled = false;     // the Cancellation fired mid-transfer
  bool too_large = false;     // the body passed max_response_bytes
  bool stalled = false;       // no byte arrived for stall_timeout (timed_out is set too)
  bool streamed = false;      // the body went to body_sink, not into response.body
  bool sink_stopped = false;  // body_sink returned false
  bool ok() const { return error.empty(); }
};

// The seam the providers and the marketplace client are written against, so
// tests can swap the network for a scripted fake.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual ClientResult perform(const ClientRequest& request) = 0;
};

class Client final : public Transport {
 public:
  // `cancel`, when given, aborts a transfer in flight within ~100 ms of firing.
  explicit Client(const Cancellation* cancel = nullptr);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  ClientResult perform(const ClientRequest& request) override;
  // Binds the client to another Cancellation (or none) for its next
  // transfers, keeping its kept-alive connections.
  void bind(const Cancellation* cancel) { cancel_ = cancel; }

 private:
  void* handle_;  // CURL*
  void* multi_;   // CURLM*: owns the connection cache; its poll also wakes on cancellation
  const Cancellation* cancel_;
};

// This thread's Client, made on first use and kept until the thread ends:
// every user on a thread (each agent's marketplace client, the LLM calls)
// shares its kept-alive connections, so a process running many agents holds
// a connection per thread and host, not per agent. Bind it before each
// transfer: it keeps the Cancellation it was last bound to.
Client& this_thread_client();

// A Transport over this_thread_client(), bound to `cancel` for each transfer.
class ThreadClientTransport final : public Transport {
 public:
  explicit ThreadClientTransport(const Cancellation* cancel = nullptr) : cancel_(cancel) {}
  ClientResult perform(const ClientRequest& request) override;

 private:
  const Cancellation* cancel_;
};

// Percent-encodes a query value.
std::string url_encode(const std::string& value);

}  // namespace gigent::http
