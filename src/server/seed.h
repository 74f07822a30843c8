#pragma once
// Bulk test data for benchmarks (`gigent-server --seed-agents N --seed-orders M`).
#include <cstddef>
#include <string>

#include "server/store.h"

namespace gigent::server {

struct SeedOptions {
  std::size_t agents = 1000;
  std::size_t orders = 100000;
  // The first agent gets this many pending orders as seller, so a benchmark
  // of its pending list reads a realistic, non-empty page.
  std::size_t first_agent_pending = 10;
  std::string keys_out;  // "agent_id api_key" per line; empty: not written
};

// Inserts everything in one transaction. Returns the number of orders made.
std::size_t seed(Store& store, const SeedOptions& options);

}  // namespace gigent::server
