// gigent-longpoll-client: the agent side of bench/parked_longpolls.sh. Parks
// one long-poll per agent (thousands of connections on one epoll thread),
// reports the server's resident memory once they are parked, then places
// orders for random agents and times each order from the moment its POST is
// sent until that agent's parked request answers with it.
//
// With MODE "multi", one multi-agent wait (POST /api/orders/wait) for all
// AGENTS stands in for the long-polls: it also times the wait's first answer
// (every key checked, cold and then cached, and one grouped count), and each
// order from its POST until the wait, re-sent with its cursor after every
// answer, names that agent.
//
//   gigent-longpoll-client PORT KEYS_FILE AGENTS ORDERS SERVER_PID [GAP_MS] [MODE]
//       KEYS_FILE: "agent_id api_key" per line (gigent-server --seed-keys-out).
//       Prints one wake latency in ms per line, then a summary on stderr.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Agent {
  std::string id, key;
  int fd = -1;
  std::string in;  // response bytes read so far
  bool ordered = false;
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed: raise ulimit -n");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("connect() failed");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send() failed");
    sent += static_cast<std::size_t>(n);
  }
}

// The whole response once `in` holds it (Content-Length framing), else "".
std::string complete_body(std::string& in) {
  auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return "";
  std::size_t length = 0;
  for (auto at = in.find('\n'); at < end; at = in.find('\n', at + 1)) {
    std::string line = in.substr(at + 1, 16);
    for (auto& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.rfind("content-length:", 0) == 0) length = std::strtoul(in.c_str() + at + 16, nullptr, 10);
  }
  if (in.size() < end + 4 + length) return "";
  std::string body = in.substr(end + 4, length);
  in.erase(0, end + 4 + length);
  return body;
}

// One blocking request on a kept-alive connection.
std::string request(int fd, const std::string& text) {
  send_all(fd, text);
  std::string in;
  char buf[65536];
  for (;;) {
    std::string body = complete_body(in);
    if (!body.empty()) return body;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("connection closed");
    in.append(buf, static_cast<std::size_t>(n));
  }
}

std::string long_poll(const Agent& a) {
  return "GET /api/orders?agent_id=" + a.id +
         "&role=seller&status=pending&wait=30 HTTP/1.1\r\nHost: x\r\nX-API-Key: " + a.key + "\r\n\r\n";
}

std::string gig_of(int fd, const Agent& a) {
  std::string body = request(fd, "GET /api/gigs?agent_id=" + a.id + "&limit=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto at = body.find("\"id\":\"");
  if (at == std::string::npos) throw std::runtime_error("agent has no gig: " + a.id);
  return body.substr(at + 6, body.find('"', at + 6) - at - 6);
}

long rss_kib(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// Reads what arrived on `a`; re-parks it when the answer was an empty page
// (its 30 s deadline). True when the answer held an order.
bool on_readable(Agent& a) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(a.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    a.in.append(buf, static_cast<std::size_t>(n));
  }
  std::string body = complete_body(a.in);
  if (body.empty()) return false;
  if (body.find("\"orders\":[]") != std::string::npos) {
    send_all(a.fd, long_poll(a));
    return false;
  }
  return true;
}

std::string post(const std::string& path, const std::string& body, const std::string& key = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
         (key.empty() ? "" : "X-API-Key: " + key + "\r\n") + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string place_order(int fd, const Agent& buyer, const std::string& gig) {
  return request(fd, post("/api/orders", R"({"gig_id":")" + gig + R"(","brief":"wake","pay_now":false})", buyer.key));
}

// The string value of `"name":"..."` in `json`, or "".
std::string string_field(const std::string& json, const std::string& name) {
  const std::string marker = "\"" + name + "\":\"";
  auto at = json.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return json.substr(at, json.find('"', at) - at);
}

double since_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void summary(std::vector<double> latencies, const std::string& what, const std::string& server_pid) {
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))];
  };
  std::fprintf(stderr, "%s over %zu orders: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; server RSS %ld MiB\n",
               what.c_str(), latencies.size(), pct(0.5), pct(0.9), pct(0.99), latencies.back(),
               rss_kib(server_pid) / 1024);
}

// One multi-agent wait for every agent, re-sent after each answer.
int run_multi(int port, std::vector<Agent>& agents, int orders, const std::string& server_pid, int gap_ms) {
  std::string list;
  for (const auto& a : agents)
    list += std::string(list.empty() ? "" : ",") + R"({"agent_id":")" + a.id + R"(","api_key":")" + a.key + "\"}";
  auto wait_body = [&](int wait, const std::string& cursor) {
    return R"({"agents":[)" + list + R"(],"wait":)" + std::to_string(wait) +
           (cursor.empty() ? "" : R"(,"cursor":")" + cursor + "\"") + "}";
  };
  const int fd = connect_to(port);
  auto started = Clock::now();
  std::string answer = request(fd, post("/api/orders/wait", wait_body(0, "")));
  const double cold = since_ms(started);
  if (answer.find("\"ready\"") == std::string::npos) throw std::runtime_error("unexpected answer: " + answer);
  std::vector<double> warm;
  for (int i = 0; i < 20; ++i) {
    started = Clock::now();
    answer = request(fd, post("/api/orders/wait", wait_body(0, "")));
    warm.push_back(since_ms(started));
  }
  std::sort(warm.begin(), warm.end());
  std::fprintf(stderr,
               "a wait for %zu agents answered at once (request body %zu KiB): first %.2f ms (keys not cached), "
               "then median %.2f ms, max %.2f ms (20 requests)\n",
               agents.size(), wait_body(0, "").size() / 1024, cold, warm[warm.size() / 2], warm.back());
  std::string cursor = string_field(answer, "cursor");

  const int buyer_fd = connect_to(port);
  std::mt19937 rng(42);
  std::vector<double> latencies;
  for (int k = 0; k < orders; ++k) {
    std::size_t seller = rng() % agents.size();
    while (agents[seller].ordered) seller = (seller + 1) % agents.size();
    const Agent& buyer = agents[(seller + 1) % agents.size()];
    const std::string gig = gig_of(buyer_fd, agents[seller]);
    send_all(fd, post("/api/orders/wait", wait_body(30, cursor)));
    // At least 10 ms, so the wait is parked (its answer at once takes a few) before the order.
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + rng() % (2 * gap_ms + 1)));
    auto sent = Clock::now();
    place_order(buyer_fd, buyer, gig);
    agents[seller].ordered = true;
    bool woke = false;
    while (!woke) {
      std::string in;
      char buf[65536];
      for (answer.clear(); answer.empty();) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) throw std::runtime_error("the wait's connection closed");
        in.append(buf, static_cast<std::size_t>(n));
        answer = complete_body(in);
      }
      cursor = string_field(answer, "cursor");
      woke = answer.find(R"("agent_id":")" + agents[seller].id + "\"") != std::string::npos;
      if (!woke) send_all(fd, post("/api/orders/wait", wait_body(30, cursor)));  // its 30 s ended
    }
    latencies.push_back(since_ms(sent));
    std::printf("%.2f\n", latencies.back());
  }
  summary(latencies, "multi-agent wait woken", server_pid);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s PORT KEYS_FILE AGENTS ORDERS SERVER_PID [GAP_MS]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::size_t count = std::strtoul(argv[3], nullptr, 10);
  const int orders = std::atoi(argv[4]);
  const std::string server_pid = argv[5];
  const int gap_ms = argc > 6 ? std::atoi(argv[6]) : 20;
  const std::string mode = argc > 7 ? argv[7] : "longpoll";
  std::vector<Agent> agents;
  std::ifstream keys(argv[2]);
  for (std::string id, key; agents.size() < count && keys >> id >> key;) {
    Agent agent;
    agent.id = id;
    agent.key = key;
    agents.push_back(std::move(agent));
  }
  if (agents.size() < 2) return 2;
  if (mode == "multi") return run_multi(port, agents, orders, server_pid, gap_ms);

  const long rss_before = rss_kib(server_pid);
  int epoll = ::epoll_create1(0);
  for (std::size_t i = 0; i < agents.size(); ++i) {
    agents[i].fd = connect_to(port);
    send_all(agents[i].fd, long_poll(agents[i]));
    epoll_event ev{EPOLLIN, {.u64 = i}};
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, agents[i].fd, &ev);
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the server park the last ones
  std::fprintf(stderr, "parked %zu long-polls; server RSS %ld MiB (%ld MiB before)\n", agents.size(),
               rss_kib(server_pid) / 1024, rss_before / 1024);

  int buyer_fd = connect_to(port);
  std::mt19937 rng(42);
  std::vector<double> latencies;
  std::vector<epoll_event> events(1024);
  for (int k = 0; k < orders; ++k) {
    std::size_t seller = rng() % agents.size();
    while (agents[seller].ordered) seller = (seller + 1) % agents.size();
    Agent& buyer = agents[(seller + 1) % agents.size()];
    std::string gig = gig_of(buyer_fd, agents[seller]);
    auto sent = Clock::now();
    place_order(buyer_fd, buyer, gig);
    agents[seller].ordered = true;
    bool woke = false;
    while (!woke && Clock::now() - sent < std::chrono::seconds(40)) {
      int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 1000);
      for (int e = 0; e < n; ++e) {
        Agent& a = agents[events[e].data.u64];
        if (on_readable(a) && &a == &agents[seller]) woke = true;
      }
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    if (!woke) std::fprintf(stderr, "agent %s not woken within 40 s\n", agents[seller].id.c_str());
    latencies.push_back(ms);
    std::printf("%.2f\n", ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % (2 * gap_ms + 1)));
  }
  summary(latencies, "wake", server_pid);
  return 0;
}
