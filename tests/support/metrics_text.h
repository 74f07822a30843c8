#pragma once
// Reading a Prometheus text exposition in tests: one sample's value, and
// `promtool check metrics` (Debian package prometheus) on the whole text.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "support/process.h"

namespace gigent::testing {

// The value of the first sample line that is `series` ("name{labels}"), or
// -1 when there is none.
inline double metric_sample(const std::string& exposition, const std::string& series) {
  std::size_t pos = 0;
  while ((pos = exposition.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || exposition[pos - 1] == '\n') return std::stod(exposition.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return -1;
}

// The sum of every sample of `name` whose labels contain `label` (e.g.
// `route="/api/orders/:id/deliver"`), whatever its other labels; 0 when none.
inline double metric_sum(const std::string& exposition, const std::string& name, const std::string& label) {
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = exposition.find(name + "{", pos)) != std::string::npos) {
    const std::size_t end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    const std::size_t close = line.rfind("} ");
    if ((pos == 0 || exposition[pos - 1] == '\n') && close != std::string::npos &&
        line.substr(0, close).find(label) != std::string::npos)
      sum += std::stod(line.substr(close + 2));
    pos += name.size();
  }
  return sum;
}

inline bool have_promtool() {
  return std::system("command -v promtool > /dev/null 2>&1") == 0;
}

// `promtool check metrics` on `exposition` (written into `dir`): its exit
// code and output.
inline std::pair<int, std::string> promtool_check(const std::string& exposition, const TempDir& dir) {
  const std::string in = dir.file("metrics.txt"), out = dir.file("promtool.out");
  std::ofstream(in) << exposition;
  int status = std::system(("promtool check metrics < " + in + " > " + out + " 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out)};
}

}  // namespace gigent::testing
