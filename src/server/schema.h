#pragma once
// The marketplace's tables, indexes and seeded categories, and the migration
// that brings a database made by an older version up to date.
#include "server/connection.h"

namespace gigent::server {

// Creates every missing table, column and index, and seeds the categories.
// Safe to run on every start.
// SQLite; records the schema version (schema_version).
void create_schema(Connection& conn);

// The same on PostgreSQL. Call with the schema advisory lock held.
void create_pg_schema(Connection& conn);

}  // namespace gigent::server
