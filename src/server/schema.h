#pragma once
// The marketplace's tables, indexes and seeded categories, and the migration
// that brings a database made by an older version up to date.
#include "server/connection.h"

namespace gigent::server {

// Creates every missing table, column and index, and seeds the categories.
// Safe to run on every start.
void create_schema(Connection& conn);

}  // namespace gigent::server
