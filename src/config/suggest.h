#pragma once
// "Did you mean ...?" for misspelt keys and enum values.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gigent::config {

// Optimal-string-alignment (restricted Damerau-Levenshtein) distance: insertions,
// deletions, substitutions and adjacent transpositions each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` (case-insensitively), if it is close enough
// to be a plausible typo: at most 1 edit for short words, up to a third of the
// length for longer ones.
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace gigent::config
