#pragma once
// The order events this server process has seen, for POST /api/orders/wait:
// one monotonic sequence, and per agent and side (seller, buyer) the sequence
// of its last event. Events are order placements and status changes, local or
// announced by another process on the same PostgreSQL database. A cursor
// names a point of the sequence of this process only ("<instance>-<seq>"), so
// a cursor of another process or of an earlier run is not taken for one of
// ours. Thread-safe.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gigent::server {

enum class OrderSide { Seller, Buyer };

class OrderEvents {
 public:
  OrderEvents();  // a random instance id

  // One event per changed order: its seller and its buyer each get the new
  // sequence on their side. Returns that sequence.
  std::uint64_t record(const std::string& seller, const std::string& buyer);
  // The sequence of the last event (0 before any).
  std::uint64_t now() const;
  // The agents of `agents` (in their order) whose last event on `side` is
  // after `since`; all of them when a gap() came after `since`.
  std::vector<std::string> changed_since(const std::vector<std::string>& agents, OrderSide side,
                                         std::uint64_t since) const;

  std::string cursor(std::uint64_t seq) const;
  // The sequence a cursor of this process names; nullopt for anything else
  // (another process's, an earlier run's, one past now(), one from before a
  // gap, not a cursor).
  std::optional<std::uint64_t> parse_cursor(std::string_view cursor) const;

  // Events may have been lost (other processes' announcements while the
  // listener was away): from now on every cursor handed out so far is
  // unknown, and changed_since since before now names every agent.
  void gap();

  // Agents with at least one event (one entry each, bounded by the agents table).
  std::size_t agents_tracked() const;

 private:
  struct Last {
    std::uint64_t seller = 0, buyer = 0;
  };
  const std::string instance_;
  mutable std::mutex mutex_;
  std::uint64_t seq_ = 0;
  std::uint64_t floor_ = 0;  // the first sequence after the last gap
  std::unordered_map<std::string, Last> last_;
};

}  // namespace gigent::server
