#pragma once
// Brings a database written by an earlier gigent-server to the row shapes of
// the contract: renamed counters (rating → rating_avg, earnings →
// total_earnings, ...), owner_wallet no longer unique, reviews keyed by
// reviewed_id and gig_id, "" where the deployed service has null.
//
// create_schema() runs prepare_migration() first, then creates what is
// missing as on any start, then finish_migration(). Each step looks at the
// columns on disk, so running it on a current database does nothing.
#include <string>

#include "server/connection.h"

namespace gigent::server {

struct MigrationPlan {
  bool agents_rebuilt = false;  // old rows wait in agents_previous
  bool gig_counters = false;    // gigs.total_orders → order_count, rating_count
  bool review_links = false;    // reviews gained gig_id
  bool empty_to_null = false;   // "" → null in optional text columns
};

// Moves what ALTER TABLE ADD COLUMN cannot fix out of the way. Call with
// foreign keys off and inside the schema transaction.
MigrationPlan prepare_migration(Connection& conn);

// Copies and recomputes into the freshly created tables.
void finish_migration(Connection& conn, const MigrationPlan& plan);

}  // namespace gigent::server
