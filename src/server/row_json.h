#pragma once
// SQLite column values as JSON the way the deployed service writes them:
// numbers as numbers (a whole REAL prints without ".0", as JavaScript does),
// NULL as null, text as strings.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "sqlite/statement.h"

namespace gigent::server {

nlohmann::ordered_json column_value(const sqlite::Statement& row, int i);

// Appends `text` as a JSON string exactly as nlohmann::json would write it.
void append_json_string(std::string& out, const char* text, std::size_t size);

// Appends column `i` of the current row as JSON text, identical to
// column_value(row, i).dump().
void append_json_value(std::string& out, const sqlite::Statement& row, int i);

}  // namespace gigent::server
