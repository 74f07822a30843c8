#pragma once
// Order pages by filter, valid while the store's generation is unchanged:
// agents poll the same pending list far more often than orders change.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace gigent::server {

struct CachedPage {
  std::uint64_t generation = 0;  // Store::generation() read before the query
  std::string body;
  std::string etag;
};

class PageCache {
 public:
  // Bounded by bytes, since a page of 100 orders is tens of kilobytes.
  explicit PageCache(std::size_t max_bytes = 32u << 20) : max_bytes_(max_bytes) {}

  // The page stored under `key`, if it was computed at `generation`.
  std::optional<CachedPage> find(const std::string& key, std::uint64_t generation) const;
  // Stores (or replaces) the page; when the bytes would pass the bound, the
  // whole cache is dropped first (a stale cache refills in one poll round).
  void put(std::string key, CachedPage page);

 private:
  std::size_t max_bytes_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, CachedPage> pages_;
  std::size_t bytes_ = 0;
};

}  // namespace gigent::server
