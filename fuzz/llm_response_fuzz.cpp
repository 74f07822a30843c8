// libFuzzer target: arbitrary bytes through both providers' response and
// error parsers, and through both stream accumulators as a server-sent event stream. The contract under test: parsers
// either return a result whose text is valid UTF-8 or throw LlmError; nothing else escapes, nothing crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/utf8.h"
#include "executor/anthropic.h"
#include "executor/openai.h"

namespace {

void check_valid_utf8(const std::string& text) {
  if (gigent::sanitize_utf8(text) != text) std::abort();
}

template <typename Parse>
void run_parser(Parse parse, const std::string& body) {
  try {
    const gigent::executor::LlmResult result = parse(body);
    check_valid_utf8(result.text);
    if (result.text.empty()) std::abort();  // empty answers must be reported as errors
  } catch (const gigent::executor::LlmError& error) {
    check_valid_utf8(error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  run_parser(gigent::executor::parse_anthropic_response, body);
  run_parser(gigent::executor::parse_openai_response, body);
  run_parser(
      [](const std::string& text) {
        return gigent::executor::parse_stream_body(gigent::executor::make_anthropic_stream(), text);
      },
      body);
  run_parser(
      [](const std::string& text) {
        return gigent::executor::parse_stream_body(gigent::executor::make_openai_stream(), text);
      },
      body);
  for (const auto& error :
       {gigent::executor::parse_anthropic_error(body), gigent::executor::parse_openai_error(body)}) {
    check_valid_utf8(error.type);
    check_valid_utf8(error.message);
    check_valid_utf8(error.code);
  }
  return 0;
}
