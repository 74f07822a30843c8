// gigent-hostile-client: the attacker side of bench/hostile_clients.sh. Opens
// many connections to a server and misbehaves on each for a while, then says
// how many the server closed and after how long.
//
//   gigent-hostile-client MODE HOST PORT CONNECTIONS SECONDS
//
// MODE is one of
//   idle          connect and never send a byte
//   slow-body     send headers declaring a 1 MB body, then 10 bytes of it, then nothing
//   slow-headers  send a request line, then one header byte per second, never ending the headers
//
// Prints, after SECONDS: connections opened, closed by the server, still open,
// and the median and longest time from connect to the server's close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  Clock::time_point opened;
  double closed_after = -1;  // seconds; -1 while open
  std::size_t trickled = 0;  // slow-headers: bytes of the endless header sent
};

int open_connection(const sockaddr_in& address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  // A server that stopped accepting leaves the listen backlog full; do not hang on it.
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

int usage() {
  std::fprintf(stderr, "usage: gigent-hostile-client idle|slow-body|slow-headers HOST PORT CONNECTIONS SECONDS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) return usage();
  std::string mode = argv[1];
  if (mode != "idle" && mode != "slow-body" && mode != "slow-headers") return usage();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[3])));
  if (inet_pton(AF_INET, argv[2], &address.sin_addr) != 1) return usage();
  int wanted = std::atoi(argv[4]);
  double seconds = std::atof(argv[5]);

  const std::string slow_body_start =
      "POST /api/agents/register HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\n\r\n{\"name\": \"";
  const std::string slow_headers_start = "GET /api/health HTTP/1.1\r\nHost: bench\r\nX-Slow: ";

  auto start = Clock::now();
  std::vector<Connection> connections;
  int failed = 0;
  for (int i = 0; i < wanted; ++i) {
    int fd = open_connection(address);
    if (fd < 0) {
      ++failed;
      continue;
    }
    if (mode == "slow-body") send_all(fd, slow_body_start);
    if (mode == "slow-headers") send_all(fd, slow_headers_start);
    connections.push_back({fd, Clock::now()});
  }
  std::printf("opened %zu of %d connections in %.2f s (%d failed to connect)\n", connections.size(), wanted,
              std::chrono::duration<double>(Clock::now() - start).count(), failed);
  std::fflush(stdout);

  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto next_trickle = Clock::now() + std::chrono::seconds(1);
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  char sink[4096];
  while (Clock::now() < end) {
    fds.clear();
    index.clear();
    for (std::size_t i = 0; i < connections.size(); ++i) {
      if (connections[i].closed_after >= 0) continue;
      fds.push_back({connections[i].fd, POLLIN, 0});
      index.push_back(i);
    }
    if (fds.empty()) break;
    poll(fds.data(), fds.size(), 100);
    auto now = Clock::now();
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      auto& c = connections[index[k]];
      ssize_t n = recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        c.closed_after = std::chrono::duration<double>(now - c.opened).count();
        close(c.fd);
      }
    }
    if (mode == "slow-headers" && now >= next_trickle) {
      for (auto& c : connections)
        if (c.closed_after < 0) send(c.fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      next_trickle = now + std::chrono::seconds(1);
    }
  }

  std::vector<double> closed;
  std::size_t still_open = 0;
  for (auto& c : connections) {
    if (c.closed_after >= 0) {
      closed.push_back(c.closed_after);
    } else {
      ++still_open;
      close(c.fd);
    }
  }
  std::sort(closed.begin(), closed.end());
  std::printf("closed by the server: %zu, still open after %.0f s: %zu\n", closed.size(), seconds, still_open);
  if (!closed.empty()) {
    std::printf("time from connect to the server's close: median %.1f s, longest %.1f s\n", closed[closed.size() / 2],
                closed.back());
  }
  return 0;
}
