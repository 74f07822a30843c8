#include "server/row_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include <sqlite3.h>

namespace gigent::server {

using Json = nlohmann::ordered_json;

Json column_value(const sqlite::Statement& row, int i) {
  switch (row.column_type(i)) {
    case SQLITE_INTEGER:
      return row.column_int64(i);
    case SQLITE_FLOAT: {
      double v = row.column_double(i);
      // JavaScript prints 5.0 as 5; so does the deployed service.
      if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0)
        return static_cast<std::int64_t>(v);
      return v;
    }
    case SQLITE_NULL:
      return nullptr;
    default:
      return row.column_string(i);
  }
}

// ASCII is escaped here; anything else goes through nlohmann, which also
// repairs invalid UTF-8 that an old database might hold.
void append_json_string(std::string& out, const char* text, std::size_t size) {
  static const char* hex = "0123456789abcdef";
  std::size_t mark = out.size();
  out.push_back('"');
  std::size_t run = 0;  // start of the pending run of characters copied as they are
  for (std::size_t i = 0; i < size; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) continue;
    if (c >= 0x80) {
      out.resize(mark);
      out += Json(std::string(text, size)).dump(-1, ' ', false, Json::error_handler_t::replace);
      return;
    }
    out.append(text + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(text + run, size - run);
  out.push_back('"');
}

void append_json_value(std::string& out, const sqlite::Statement& row, int i) {
  switch (row.column_type(i)) {
    case SQLITE_INTEGER: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, row.column_int64(i));
      out.append(buf, end);
      return;
    }
    case SQLITE_FLOAT:
    case SQLITE_NULL:
      out += column_value(row, i).dump();
      return;
    default: {
      auto text = row.column_text(i);
      append_json_string(out, text.data(), text.size());
    }
  }
}

}  // namespace gigent::server
