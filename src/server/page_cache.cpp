#include "server/page_cache.h"

#include <mutex>
#include <utility>

namespace gigent::server {

std::optional<CachedPage> PageCache::find(const std::string& key, std::uint64_t generation) const {
  std::shared_lock lock(mutex_);
  if (auto it = pages_.find(key); it != pages_.end() && it->second.generation == generation) return it->second;
  return std::nullopt;
}

void PageCache::put(std::string key, CachedPage page) {
  std::unique_lock lock(mutex_);
  if (bytes_ + page.body.size() > max_bytes_) {
    pages_.clear();
    bytes_ = 0;
  }
  auto [it, inserted] = pages_.try_emplace(std::move(key));
  if (!inserted) bytes_ -= it->second.body.size();
  bytes_ += page.body.size();
  it->second = std::move(page);
}

}  // namespace gigent::server
