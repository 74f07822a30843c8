// The HTTP server: the acceptor with its connection cap and descriptor
// back-off (Server::Impl), and one Session per connection (read header, read
// body, hand to the handler, write, keep alive or close), with the timeouts
// that stop slow senders. It is one file on purpose, although past 500
// lines: the Session's phases and the Impl's registry of sessions (which
// connection is idle, which may be closed to make room) share private state
// and strands, and splitting them would publish that state in a header that
// every user of http/server.h would see.
#include "http/server.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "common/log.h"

namespace gigent::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Splits a request target into its decoded path and query parameters ('+' in
// the query is a space). False for a target that is not a valid URI reference
// (a stray '%', say), which the caller answers with 400.
bool split_target(std::string_view target, std::string& path, std::map<std::string, std::string>& query) {
  const auto parsed = boost::urls::parse_uri_reference(target);
  if (!parsed) return false;
  path = parsed->path();
  for (const auto& param : parsed->params()) query[param.key] = param.value;
  return true;
}

std::string error_body(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

}  // namespace

std::optional<std::string> Request::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response json_error(int status, const std::string& message) {
  Response r;
  r.status = status;
  r.body = error_body(message);
  return r;
}

std::size_t default_max_connections(std::size_t reserved_fds) {
  rlimit limit{};
  std::size_t soft = 1024;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
    soft = limit.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(limit.rlim_cur);
  if (soft >= 2 * reserved_fds) return soft - reserved_fds;
  return std::max<std::size_t>(1, soft / 2);
}

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ticks() {
  return Clock::now().time_since_epoch().count();
}

// A warning a flood can raise thousands of times a second. The first of a quiet
// spell is logged in full at once; the rest are counted, and a timer logs one
// line with the count per interval while they keep coming.
class ThrottledWarning {
 public:
  ThrottledWarning(net::io_context& ioc, std::chrono::seconds interval)
      : strand_(net::make_strand(ioc)), timer_(strand_), interval_(interval) {}

  // `full` is logged when this is the first event of a quiet spell;
  // `summary(n)` once per interval while n more keep coming.
  template <typename Full, typename Summary>
  void note(Full full, Summary summary) {
    {
      std::lock_guard lock(mutex_);
      if (open_) {
        ++count_;
        return;
      }
      open_ = true;
    }
    full();
    net::post(strand_, [this, summary = std::function<void(std::size_t)>(std::move(summary))]() mutable {
      arm(std::move(summary));
    });
  }

 private:
  // On the strand: the timer is never touched from two threads at once.
  void arm(std::function<void(std::size_t)> summary) {
    timer_.expires_after(interval_);
    timer_.async_wait([this, summary = std::move(summary)](beast::error_code ec) mutable {
      if (ec) return;
      std::size_t n = 0;
      {
        std::lock_guard lock(mutex_);
        n = std::exchange(count_, 0);
        if (n == 0) open_ = false;
      }
      if (n == 0) return;
      summary(n);
      arm(std::move(summary));
    });
  }

  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer timer_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  bool open_ = false;
  std::size_t count_ = 0;
};

std::string seconds_text(std::chrono::milliseconds d) {
  return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000.0);
}

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

constexpr std::chrono::seconds kWarningInterval{10};
constexpr std::chrono::milliseconds kFirstAcceptPause{10};
constexpr std::chrono::milliseconds kLongestAcceptPause{1000};
constexpr std::chrono::milliseconds kRoomCheck{100};

}  // namespace

class Session;

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::size_t max_connections = 0;
  net::io_context ioc;
  // The acceptor, its pause timer and the accept state live on one strand, as
  // in the Beast examples; each connection has its own strand.
  net::strand<net::io_context::executor_type> accept_strand{net::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  net::steady_timer accept_pause{accept_strand};
  std::chrono::milliseconds next_pause{kFirstAcceptPause};
  // Keeps the threads running while the acceptor is closed at shutdown and
  // the only work left is replies still to come from handlers.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::vector<std::thread> threads;
  mutable std::mutex mutex;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;  // every open connection
  bool waiting_for_room = false;  // at the cap with nothing to close (see wait_for_room)
  std::atomic<bool> stopping{false};
  std::uint16_t port = 0;
  std::shared_ptr<spdlog::logger> log = gigent::log::get("http");
  ThrottledWarning no_descriptors{ioc, kWarningInterval};
  ThrottledWarning made_room{ioc, kWarningInterval};
  ThrottledWarning all_busy{ioc, kWarningInterval};
  ThrottledWarning slow_senders{ioc, kWarningInterval};

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void pause_accepting(const beast::error_code& ec);
  void wait_for_room();
  bool close_idlest(const Session* keep = nullptr);
  void forget(Session* s);
  void note_slow_sender(const std::string& remote, const std::string& why);
};

// One client connection: wait for a request, read its headers and then its body
// (each under its own deadline), hand it to the handler, write the reply when
// it comes, repeat while keep-alive holds. All socket work runs on the
// connection's strand; a Reply may be called from any thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void start() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    enter(Phase::waiting);
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // For the cap: the order in which connections are closed to make room, or
  // nullopt for one that must not be. First those waiting for (or still
  // receiving the headers of) their next request, longest waiting first; then
  // those sending a body below the minimum rate, longest sending first. A
  // request being handled (a parked long-poll) or answered is never chosen.
  std::optional<std::pair<int, std::int64_t>> reclaim_rank(std::int64_t now) const {
    if (closing_.load()) return std::nullopt;
    return rank(now);
  }

  // Closes the connection if the strand finds it still reclaimable; a request
  // that completed meanwhile is served.
  void reclaim() {
    closing_.store(true);
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->rank(now_ticks()))
        self->shutdown();
      else
        self->closing_.store(false);
    });
  }

  // At shutdown: a connection waiting for its next request closes now; one
  // whose request is being handled or answered closes after that answer
  // (write() sees `stopping` and drops keep-alive).
  void close_when_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->phase_.load() != Phase::busy) self->shutdown();
    });
  }

  void close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
  }

 private:
  enum class Phase { busy, waiting, body };

  void enter(Phase phase) {
    if (phase == Phase::body) body_received_.store(0);
    since_.store(now_ticks());
    phase_.store(phase);
  }

  // reclaim_rank without the check for a close already on its way.
  std::optional<std::pair<int, std::int64_t>> rank(std::int64_t now) const {
    auto since = since_.load();
    switch (phase_.load()) {
      case Phase::waiting:
        return std::pair{0, since};
      case Phase::body:
        if (lagging(now)) return std::pair{1, since};
        return std::nullopt;
      case Phase::busy:
        break;
    }
    return std::nullopt;
  }

  // Below the minimum body rate since the body started (the grace aside).
  bool lagging(std::int64_t now) const {
    double rate = static_cast<double>(server_.options.body_min_rate);
    if (rate <= 0) return false;
    double elapsed = std::chrono::duration<double>(Clock::duration(now - since_.load())).count();
    return static_cast<double>(body_received_.load()) < rate * elapsed;
  }

  // Waits for the first byte of the next request under the idle timeout; the
  // header deadline starts with that byte.
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    enter(Phase::waiting);
    if (buffer_.size() > 0) {  // the client sent the next request right behind the last one
      read_header();
      return;
    }
    stream_.expires_after(server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstRead),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec || self->closed_) {
                                self->shutdown();
                                return;
                              }
                              self->read_header();
                            });
  }

  void read_header() {
    stream_.expires_after(server_.options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == beast::error::timeout && !closed_) {
      server_.note_slow_sender(remote_,
                               "request headers not complete within " + seconds_text(server_.options.header_timeout));
    }
    if (read_failed(ec)) return;
    if (parser_->is_done()) {
      enter(Phase::busy);
      on_request();
      return;
    }
    enter(Phase::body);
    body_started_ = Clock::now();
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      // The client waits for this before sending the body.
      stream_.expires_after(server_.options.write_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) {
                           self->shutdown();
                           return;
                         }
                         self->enter(Phase::body);
                         self->body_started_ = Clock::now();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  // The body's deadline moves with every byte received: the grace plus one
  // second per body_min_rate bytes. A client that stops sending meets it.
  void read_body() {
    auto allowed = std::chrono::duration_cast<Clock::duration>(server_.options.body_grace);
    if (server_.options.body_min_rate > 0) {
      allowed += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          static_cast<double>(body_received_.load()) / static_cast<double>(server_.options.body_min_rate)));
    }
    stream_.expires_at(body_started_ + allowed);
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_body(ec, n); });
  }

  void on_body(beast::error_code ec, std::size_t n) {
    if (ec == beast::error::timeout && !closed_) {
      server_.note_slow_sender(remote_, "request body slower than " + std::to_string(server_.options.body_min_rate) +
                                            " bytes/s after " + seconds_text(server_.options.body_grace) + " (" +
                                            std::to_string(body_received_.load()) + " bytes received)");
    }
    if (read_failed(ec)) return;
    body_received_ += n;
    if (parser_->is_done()) {
      enter(Phase::busy);
      on_request();
    } else {
      read_body();
    }
  }

  // Ends the connection for a failed read, answering what deserves an answer.
  // True when the read failed.
  bool read_failed(const beast::error_code& ec) {
    if (!ec) return false;
    if (closed_ || ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset || ec == net::error::eof) {
      shutdown();
    } else if (ec == bhttp::error::body_limit) {
      write_error_and_close(413, "Request body too large: the limit is " +
                                     std::to_string(server_.options.body_limit / (1024 * 1024)) + " MB");
    } else {
      write_error_and_close(400, std::string("Malformed HTTP request: ") + ec.message());
    }
    return true;
  }

  void on_request() {
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    if (!split_target(request.target, request.path, request.query)) {
      write_error_and_close(400, "Malformed request target: not a valid URI reference");
      return;
    }
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(message.body());
    request.remote = remote_;

    // No deadline while the handler works: a long-poll may hold the request.
    stream_.expires_never();
    auto replied = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<Session> weak = shared_from_this();
    // If every copy of the reply is dropped unanswered, close the connection.
    auto guard = std::shared_ptr<void>(nullptr, [weak, replied](void*) {
      if (!replied->load())
        if (auto self = weak.lock()) self->close();
    });
    Reply reply = [weak, replied, guard](Response response) {
      if (replied->exchange(true)) return;
      if (auto self = weak.lock()) {
        net::post(self->stream_.get_executor(),
                  [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
      }
    };
    try {
      server_.handler(std::move(request), std::move(reply));
    } catch (const std::exception& e) {
      server_.log->error("handler threw: {}", e.what());
      write_error_and_close(500, "Internal server error");
    }
  }

  void write(Response response) {
    if (response.truncate_body_at) {
      write_truncated(std::move(response));
      return;
    }
    if (response.stream) {
      write_streamed(std::move(response));
      return;
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::content_type, response.content_type);
    // Clients compare clocks with it (`gigent-runtime doctor`); HTTP asks an origin server with a clock to send it.
    res->set(bhttp::field::date, fmt::format("{:%a, %d %b %Y %H:%M:%S} GMT", fmt::gmtime(std::time(nullptr))));
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    bool keep = keep_alive_ && !response.close_connection && !server_.stopping.load();
    res->keep_alive(keep);
    res->prepare_payload();
    stream_.expires_after(server_.options.write_timeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
      if (ec || !keep) {
        self->shutdown();
        return;
      }
      self->read();
    });
  }

  // Headers promise the whole body; only part of it is sent before the socket
  // closes. Test servers use it to imitate a connection dropped mid-body.
  void write_truncated(Response response) {
    std::size_t keep = std::min(*response.truncate_body_at, response.body.size());
    auto raw = std::make_shared<std::string>();
    *raw = "HTTP/1.1 " + std::to_string(response.status) + " " +
           std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status))) + "\r\n";
    *raw += "Content-Type: " + response.content_type + "\r\n";
    for (auto& [name, value] : response.headers) raw->append(name).append(": ").append(value).append("\r\n");
    *raw += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
    raw->append(response.body, 0, keep);
    net::async_write(stream_, net::buffer(*raw),
                     [self = shared_from_this(), raw](beast::error_code, std::size_t) { self->shutdown(); });
  }

  // A streamed answer: the head with chunked transfer encoding, then each
  // chunk after its delay (on a timer, so a slow stream holds no thread).
  struct StreamState {
    std::vector<StreamChunk> chunks;
    std::size_t next = 0;
    bool cut = false;
    bool keep = false;
    std::unique_ptr<net::steady_timer> timer;
  };

  void write_streamed(Response response) {
    auto state = std::make_shared<StreamState>();
    state->chunks = std::move(*response.stream);
    state->cut = response.stream_cut;
    state->keep = keep_alive_ && !response.close_connection && !response.stream_cut && !server_.stopping.load();
    state->timer = std::make_unique<net::steady_timer>(stream_.get_executor());
    auto head = std::make_shared<std::string>(fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\n", response.status,
        std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status))), response.content_type));
    for (auto& [name, value] : response.headers) head->append(name).append(": ").append(value).append("\r\n");
    head->append("Transfer-Encoding: chunked\r\n");
    head->append(state->keep ? "\r\n" : "Connection: close\r\n\r\n");
    send_stream_piece(head, state);
  }

  void send_stream_piece(const std::shared_ptr<std::string>& piece, const std::shared_ptr<StreamState>& state) {
    stream_.expires_after(server_.options.write_timeout);
    net::async_write(stream_, net::buffer(*piece),
                     [self = shared_from_this(), piece, state](beast::error_code ec, std::size_t) {
                       if (ec) {
                         self->shutdown();
                         return;
                       }
                       self->next_stream_chunk(state);
                     });
  }

  void next_stream_chunk(const std::shared_ptr<StreamState>& state) {
    if (state->next == state->chunks.size()) {
      if (state->cut) {
        shutdown();
        return;
      }
      auto last = std::make_shared<std::string>("0\r\n\r\n");
      stream_.expires_after(server_.options.write_timeout);
      net::async_write(stream_, net::buffer(*last),
                       [self = shared_from_this(), last, state](beast::error_code ec, std::size_t) {
                         if (ec || !state->keep) {
                           self->shutdown();
                           return;
                         }
                         self->read();
                       });
      return;
    }
    const StreamChunk& chunk = state->chunks[state->next++];
    auto framed = std::make_shared<std::string>(fmt::format("{:x}\r\n{}\r\n", chunk.data.size(), chunk.data));
    if (chunk.data.empty()) framed->clear();  // an empty chunk would end the body: only its delay counts
    auto send = [self = shared_from_this(), framed, state] {
      if (framed->empty())
        self->next_stream_chunk(state);
      else
        self->send_stream_piece(framed, state);
    };
    if (chunk.delay.count() <= 0) {
      send();
      return;
    }
    stream_.expires_never();  // the delay is the test's; the write timeout applies to writes
    state->timer->expires_after(chunk.delay);
    state->timer->async_wait([self = shared_from_this(), send](beast::error_code ec) {
      if (ec) {
        self->shutdown();
        return;
      }
      send();
    });
  }

  void write_error_and_close(int status, const std::string& message) {
    enter(Phase::busy);
    Response r = json_error(status, message);
    r.close_connection = true;
    write(std::move(r));
  }

  void shutdown() {
    if (closed_) return;
    closed_ = true;
    enter(Phase::busy);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    server_.forget(this);
  }

  static constexpr std::size_t kFirstRead = 4096;
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool closed_ = false;
  Clock::time_point body_started_;  // the body's deadline counts from here
  std::string remote_;
  // Read by the accept strand to choose a connection to close at the cap.
  std::atomic<Phase> phase_{Phase::busy};
  std::atomic<std::int64_t> since_{0};  // when the phase began, in Clock ticks
  std::atomic<std::size_t> body_received_{0};
  std::atomic<bool> closing_{false};
};

void Server::Impl::do_accept() {
  if (stopping.load()) return;
  acceptor.async_accept(net::make_strand(ioc),
                        [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping.load() || ec == net::error::operation_aborted) return;
  if (ec) {
    pause_accepting(ec);
    return;
  }
  next_pause = kFirstAcceptPause;
  auto session = std::make_shared<Session>(std::move(socket), *this);
  std::size_t open = 0;
  {
    std::lock_guard lock(mutex);
    sessions.emplace(session.get(), session);
    open = sessions.size();
  }
  session->start();
  if (open <= max_connections) {
    do_accept();
    return;
  }
  if (close_idlest(session.get())) {
    made_room.note(
        [&] {
          log->info(
              "connection cap ({}, --max-connections) reached: closing the idlest connection (waiting for a "
              "request, else sending a body below --body-min-rate) for each new one",
              max_connections);
        },
        [this](std::size_t n) {
          log->info("connection cap: closed {} more connections to make room in the last {} s", n,
                    kWarningInterval.count());
        });
    do_accept();
    return;
  }
  all_busy.note(
      [&] {
        log->warn(
            "connection cap reached ({} open, --max-connections {}) and none is idle: new connections wait until "
            "one closes or turns idle",
            open, max_connections);
      },
      [this](std::size_t n) {
        log->warn("connection cap: all connections busy {} more times in the last {} s", n, kWarningInterval.count());
      });
  wait_for_room();
}

// Every connection is busy: new ones stay in the listen backlog (the kernel
// holds them without a descriptor of ours) until a connection closes (forget
// resumes at once) or one turns reclaimable, say a long-poll answered and now
// idle (checked here on a timer, since that changes no count).
void Server::Impl::wait_for_room() {
  bool room = false;
  {
    std::lock_guard lock(mutex);
    room = sessions.size() <= max_connections;
    auto now = now_ticks();
    for (auto it = sessions.begin(); !room && it != sessions.end(); ++it)
      room = it->second->reclaim_rank(now).has_value();
    waiting_for_room = !room;
  }
  if (room) {
    do_accept();
    return;
  }
  accept_pause.expires_after(kRoomCheck);
  accept_pause.async_wait([this](beast::error_code ec) {
    if (ec) return;
    bool still_waiting = false;
    {
      std::lock_guard lock(mutex);
      still_waiting = waiting_for_room;
    }
    if (still_waiting) wait_for_room();
  });
}

// Out of descriptors (or kernel memory): retrying at once would fail again and
// spin. Close the idlest connection to free one, wait, then accept again, with
// the wait doubling while the failures last.
void Server::Impl::pause_accepting(const beast::error_code& ec) {
  bool descriptors = out_of_descriptors(ec);
  if (descriptors) close_idlest();
  no_descriptors.note(
      [&] {
        std::lock_guard lock(mutex);
        if (descriptors) {
          log->warn(
              "accept failed: {}; {} connections open. Closing the idlest and pausing accepts; raise the descriptor "
              "limit (ulimit -n) or lower --max-connections (now {})",
              ec.message(), sessions.size(), max_connections);
        } else {
          log->warn("accept failed: {}; pausing accepts", ec.message());
        }
      },
      [this](std::size_t n) {
        std::lock_guard lock(mutex);
        log->warn("accept failed {} more times in the last {} s (postponed, {} connections open)", n,
                  kWarningInterval.count(), sessions.size());
      });
  accept_pause.expires_after(next_pause);
  next_pause = std::min(next_pause * 2, kLongestAcceptPause);
  accept_pause.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) do_accept();
  });
}

// Closes the connection Session::reclaim_rank puts first: the longest idle
// keep-alive, else the longest lagging body. Parked long-polls and requests in
// flight are never chosen: they are busy by design.
// `keep` is the connection just accepted, which must not make room for itself.
bool Server::Impl::close_idlest(const Session* keep) {
  std::shared_ptr<Session> idlest;
  std::pair<int, std::int64_t> best{};
  auto now = now_ticks();
  {
    std::lock_guard lock(mutex);
    for (auto& [ptr, session] : sessions) {
      if (ptr == keep) continue;
      auto rank = session->reclaim_rank(now);
      if (rank && (!idlest || *rank < best)) {
        idlest = session;
        best = *rank;
      }
    }
  }
  if (!idlest) return false;
  idlest->reclaim();
  return true;
}

void Server::Impl::forget(Session* s) {
  std::lock_guard lock(mutex);
  sessions.erase(s);
  if (waiting_for_room && sessions.size() <= max_connections && !stopping.load()) {
    waiting_for_room = false;
    net::post(accept_strand, [this] { do_accept(); });
  }
}

void Server::Impl::note_slow_sender(const std::string& remote, const std::string& why) {
  slow_senders.note([&] { log->info("closed {}: {}", remote, why); },
                    [this](std::size_t n) {
                      log->info("closed {} more slow senders in the last {} s", n, kWarningInterval.count());
                    });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() {
  stop();
}

void Server::start() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) throw std::runtime_error("invalid host address '" + impl_->options.host + "': " + ec.message());
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
                             ": " + ec.message());
  impl_->port = acceptor.local_endpoint().port();
  impl_->max_connections = impl_->options.max_connections > 0 ? impl_->options.max_connections
                                                              : default_max_connections(impl_->options.reserved_fds);
  impl_->keep_running.emplace(impl_->ioc.get_executor());
  net::post(impl_->accept_strand, [this] { impl_->do_accept(); });
  unsigned n = std::max(1u, impl_->options.threads);
  for (unsigned i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

std::uint16_t Server::port() const {
  return impl_->port;
}

std::size_t Server::open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

std::size_t Server::max_connections() const {
  return impl_->max_connections;
}

void Server::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

void Server::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  net::post(impl_->accept_strand, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_pause.cancel();
  });
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& [ptr, session] : impl_->sessions) session->close_when_idle();
  }
  // In-flight requests get a moment to be answered; then the loop stops and
  // whatever is left is closed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(impl_->mutex);
      if (impl_->sessions.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->keep_running.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  std::lock_guard lock(impl_->mutex);
  impl_->sessions.clear();  // destroys sockets while the io_context still exists
}

}  // namespace gigent::http
