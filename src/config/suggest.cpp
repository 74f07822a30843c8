#include "config/suggest.h"

#include <algorithm>

#include "common/text.h"

namespace gigent::config {

namespace {

// Long garbage keys get no suggestion; this also bounds the quadratic work.
constexpr std::size_t kMaxComparedLength = 64;

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t rows = a.size() + 1;
  const std::size_t cols = b.size() + 1;
  std::vector<std::size_t> d(rows * cols);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * cols + j]; };
  for (std::size_t i = 0; i < rows; ++i) at(i, 0) = i;
  for (std::size_t j = 0; j < cols; ++j) at(0, j) = j;
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < cols; ++j) {
      const std::size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + substitution});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        best = std::min(best, at(i - 2, j - 2) + 1);
      }
      at(i, j) = best;
    }
  }
  return at(rows - 1, cols - 1);
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  if (word.empty() || word.size() > kMaxComparedLength) return std::nullopt;
  const std::string lowered = lowercase(word);
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(lowered, lowercase(candidate));
    const std::size_t longest = std::max(word.size(), candidate.size());
    const std::size_t allowed = std::max<std::size_t>(1, longest / 3);
    // A truncated key ("poll_interval" for "poll_interval_seconds") is a
    // plausible slip too, however many characters are missing.
    const bool is_prefix = word.size() >= 4 && lowercase(candidate).starts_with(lowered);
    if (distance > allowed && !is_prefix) continue;
    if (!best || distance < best_distance) {
      best = std::string(candidate);
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace gigent::config
