#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

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

class Session;

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  // Keeps the threads running while the acceptor is closed at shutdown and
  // the only work left is replies still to come from handlers.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;  // every open connection
  std::atomic<bool> stopping{false};
  std::uint16_t port = 0;
  std::shared_ptr<spdlog::logger> log = gigent::log::get("http");

  void do_accept();
  void forget(Session* s) {
    std::lock_guard lock(mutex);
    sessions.erase(s);
  }
};

// One client connection: read a request, hand it to the handler, write the
// reply when it comes, repeat while keep-alive holds. All socket work runs on
// the connection's strand; a Reply may be called from any thread.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void start() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // At shutdown: a connection waiting for its next request closes now; one
  // whose request is being handled or answered closes after that answer
  // (write() sees `stopping` and drops keep-alive).
  void close_when_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->shutdown();
    });
  }

  void close() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    stream_.expires_after(server_.options.idle_timeout);
    reading_ = true;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      shutdown();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      write_error_and_close(413, "Request body too large: the limit is " +
                                     std::to_string(server_.options.body_limit / (1024 * 1024)) + " MB");
      return;
    }
    if (ec) {
      write_error_and_close(400, std::string("Malformed HTTP request: ") + ec.message());
      return;
    }
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
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    bool keep = keep_alive_ && !response.close_connection && !server_.stopping.load();
    res->keep_alive(keep);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
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

  void write_error_and_close(int status, const std::string& message) {
    Response r = json_error(status, message);
    r.close_connection = true;
    write(std::move(r));
  }

  void shutdown() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    server_.forget(this);
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool reading_ = false;  // waiting for the next request (idle keep-alive)
  std::string remote_;
};

void Server::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping.load() && ec != net::error::operation_aborted) {
        log->warn("accept failed: {}", ec.message());
        do_accept();
      }
      return;
    }
    auto session = std::make_shared<Session>(std::move(socket), *this);
    {
      std::lock_guard lock(mutex);
      sessions.emplace(session.get(), session);
    }
    session->start();
    do_accept();
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
  impl_->keep_running.emplace(impl_->ioc.get_executor());
  impl_->do_accept();
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

void Server::run_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

void Server::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  net::post(impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
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
