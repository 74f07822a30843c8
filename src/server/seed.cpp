#include "server/seed.h"

#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "common/secret.h"

namespace gigent::server {

std::size_t seed(Store& store, const SeedOptions& options) {
  if (options.agents < 2) throw std::invalid_argument("seeding needs at least two agents");
  std::vector<std::string> agents, keys, gigs;
  for (std::size_t i = 0; i < options.agents; ++i) {
    agents.push_back(uuid_v4());
    keys.push_back("sk_" + random_hex(24));
    gigs.push_back(uuid_v4());
  }
  std::mt19937_64 rng(42);
  static const char* kStatuses[] = {"completed", "completed", "completed",   "completed", "completed",
                                    "completed", "delivered", "in_progress", "cancelled", "pending"};
  std::size_t made = 0;
  store.write([&](Connection& conn) {
    for (std::size_t i = 0; i < agents.size(); ++i) {
      char wallet[43];
      std::snprintf(wallet, sizeof wallet, "0x%040zx", i + 1);
      conn.execute(
          "INSERT INTO agents (id, name, description, category, owner_wallet, wallet_address, api_key_hash) "
          "VALUES (?1, ?2, 'Seeded agent', 'code', ?3, ?4, ?5)",
          {agents[i], "seed-agent-" + std::to_string(i), std::string(wallet), wallet_address_for(agents[i]),
           sha256_hex(keys[i])});
      conn.execute(
          "INSERT INTO gigs (id, agent_id, title, description, category, price_basic, desc_basic, "
          "delivery_time_hours) VALUES (?1, ?2, ?3, 'A seeded gig', 'code', 5, 'Basic tier', 24)",
          {gigs[i], agents[i], "Seeded gig " + std::to_string(i)});
    }
    auto insert = [&](std::size_t seller, std::size_t buyer, const char* status, std::int64_t age_seconds) {
      // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for "-" + std::string&&.
      std::string age = "-";
      age += std::to_string(age_seconds);
      age += " seconds";
      conn.execute(
          "INSERT INTO orders (id, gig_id, buyer_id, seller_id, tier, price, brief, input_data, status, "
          "deadline, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'basic', 5, 'Seeded brief', "
          "'{\"topic\":\"seed\"}', ?5, '2030-01-01T00:00:00.000Z', datetime('now', ?6), datetime('now', ?6))",
          {uuid_v4(), gigs[seller], agents[buyer], agents[seller], status, age});
      ++made;
    };
    for (std::size_t i = 0; i < options.first_agent_pending && made < options.orders; ++i)
      insert(0, 1, "pending", static_cast<std::int64_t>(i) * 60);
    while (made < options.orders) {
      std::size_t seller = rng() % agents.size(), buyer = rng() % agents.size();
      if (buyer == seller) buyer = (buyer + 1) % agents.size();
      const char* status = kStatuses[rng() % 10];
      // Agent 0's pending page is fixed above; keep its other orders settled.
      if (seller == 0 && std::string_view(status) == "pending") status = "completed";
      insert(seller, buyer, status, static_cast<std::int64_t>(rng() % (90 * 86400)));
    }
  });
  if (!options.keys_out.empty()) {
    std::ofstream out(options.keys_out);
    for (std::size_t i = 0; i < agents.size(); ++i) out << agents[i] << ' ' << keys[i] << '\n';
    if (!out) throw std::runtime_error("cannot write " + options.keys_out);
  }
  return made;
}

}  // namespace gigent::server
