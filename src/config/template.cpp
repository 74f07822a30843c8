// The file `gigent-runtime init` writes. It must load with zero problems as
// written (tests/unit/config_template_test.cpp checks that, and that every
// field of the schema appears in it), so a new user can run it right away and
// then edit one thing at a time.
#include "config/config.h"

namespace gigent::config {

namespace {

constexpr const char* kTemplate = R"YAML(# gigent-agent.yaml: everything your Gigent seller agent is and does.
#
# Run `gigent-runtime run` in this directory to start the agent. Any string
# value may use ${ENV_VAR} (or ${ENV_VAR:-default}) to read the environment,
# e.g. `url: ${GIGENT_API_URL:-http://localhost:3000}`; write $${ for a
# literal "${". Keep secrets in the environment, not in this file.
#
# A gigent-agent.yaml written for the TypeScript gigent-runtime loads as is.
# `gigent-runtime validate` lists problems and warnings (unknown keys, unwise
# values) as FILE:LINE:COL; `validate --strict` makes warnings errors too.

# --- Who the agent is (sent when the agent registers) ----------------------
agent:
  # Required. The display name buyers see.
  name: "Acme Writer Bot"
  # Optional. One or two sentences about what the agent does.
  description: "Writes clear, well-structured blog posts and articles on demand."
  # Optional, default ai. One of: data, code, writing, creative, research,
  # finance, automation, ai: the categories buyers browse by. Any other (such
  # as general, the marketplace's default) is sent as written, with a warning.
  category: writing
  # Optional. Search keywords, at most 20.
  tags: [writing, blog, seo]
  # Optional. An http:// or https:// image URL; empty for none.
  avatar_url: ""

# --- Who owns it --------------------------------------------------------------
owner:
  # Required. Your wallet address: 0x followed by 40 hex digits.
  # REPLACE this example address with your own before going live
  # (`validate` warns while it is still this one).
  wallet: "0x0000000000000000000000000000000000000001"

# --- What it sells (published at start; a gig whose title is already ---------
# --- published for this agent is skipped, so titles must be unique) ----------
gigs:
  - # Required. Unique among your gigs.
    title: "Blog post writer"
    # Required. What the buyer gets.
    description: "An original, SEO-friendly blog post on the topic of your choice."
    # Required. One of: data, code, writing, creative, research, finance,
    # automation, ai.
    category: writing
    # Optional. Free-form, e.g. blog.
    subcategory: blog
    # Optional. Search keywords, at most 20.
    tags: [blog, seo, content]
    # Required: basic (price in USD > 0 and description). Optional: standard
    # and premium, same shape; remove a tier to not offer it. Each tier may
    # say delivery_days (days until due, > 0; default 1, 2 and 3): the
    # marketplace shows one delivery time per gig, basic's days x 24 hours.
    pricing:
      basic:    { price: 5,  description: "500-word post", delivery_days: 1 }
      standard: { price: 15, description: "1500-word post with headings and meta description", delivery_days: 2 }
      premium:  { price: 30, description: "3000-word long-form post with outline and sources", delivery_days: 3 }
    # Each tier may also say `instructions`: how orders of that tier are
    # done, added to the system prompt for them (the tier's name and
    # description go in the order's message), e.g.
    #   premium: { price: 30, description: "...", instructions: "3,000 words, with an outline and sources" }
    # Optional, default pricing.basic.delivery_days x 24. Hours until the
    # order is due, 1..8760; when both are set they must agree.
    delivery_time_hours: 24
    # Optional, default 1. Revisions a buyer may request, 0..100.
    max_revisions: 1
    # Optional. Shown to buyers as an example of a brief and of a result,
    # and given to the model as one worked example.
    example_input: "Topic: why small businesses should start a blog. Tone: friendly."
    example_output: "# Why Your Small Business Needs a Blog\n\nA blog is the cheapest..."
    # Optional. After renaming a gig, its title before the rename: the
    # published gig is renamed (keeping its orders and reviews) instead of
    # being paused and replaced by a new one. E.g.
    # replaces: "Blog writer"
    # Optional. This gig's own execution settings, merged over `execution`
    # below (any of model, system_prompt, max_tokens, temperature), e.g.
    # execution:
    #   model: claude-sonnet-4-5
    #   system_prompt: "You are a senior editor who writes for small businesses."
    #   max_tokens: 8192
    #   temperature: 0.5
    # Optional. A JSON Schema (draft-07, as YAML or as JSON text) of the
    # input_data buyers send; published as the gig's api_schema. An order
    # whose input does not satisfy it is not worked: the buyer is told each
    # problem and the order is rejected (or left, per failed_order_action).
    # input_schema:
    #   type: object
    #   required: [topic]
    #   properties:
    #     topic: { type: string, minLength: 3 }
    # Optional, with delivery.format json. A JSON Schema the reply must
    # satisfy; a reply that does not gets one corrective turn quoting the
    # problems, then the order fails with the reason.
    # output_schema:
    #   type: object
    #   required: [title, body]

# --- How the agent runs (all optional; the values shown are the defaults) ---
runtime:
  # Seconds between checks for new orders, 1..3600. A fraction is rounded up
  # to whole seconds (below 1, with a warning).
  poll_interval_seconds: 10
  # Accept new orders automatically (true) or leave them pending (false).
  # Or a rule: only orders that pass every condition given are accepted; any
  # other stays pending for you (listed in `gigent-runtime status`, taken with
  # `gigent-runtime accept ORDER_ID`). E.g.
  # auto_accept:
  #   max_price: 50                 # USD, the order's price
  #   tiers: [basic, standard]      # basic | standard | premium
  #   categories: [writing]         # the gig's category
  auto_accept: true
  # Orders worked on at the same time, 1..256.
  max_concurrent_orders: 3
  # At shutdown, seconds in-flight orders get to finish, 0..3600.
  shutdown_grace_seconds: 60
  # Attempts per order before it is given up on, 1..100.
  max_order_attempts: 3
  # What to do with an order given up on: leave | reject | cancel.
  failed_order_action: leave
  # Allow a second daemon to run on this same config (true | false).
  allow_replicas: false
  # Long-poll wait in seconds when the server offers it, 0..300; 0 disables.
  long_poll_seconds: 25

# --- How orders are worked on (all optional; defaults shown) -----------------
execution:
  # LLM provider: anthropic | openai.
  provider: anthropic
  # Model name at that provider.
  model: claude-sonnet-4-5
  # Instructions given to the model for every order.
  system_prompt: |
    You are a professional writer working on the Gigent marketplace.
    Follow the buyer's brief exactly and deliver polished, original work.
  # Sampling temperature: 0..1 for anthropic (its API refuses more), 0..2
  # for openai.
  temperature: 0.7
  # Maximum length of one answer in tokens, 1..200000.
  max_tokens: 4096
  # Largest order prompt (brief + input data) run, in tokens estimated as
  # bytes/4; larger orders are refused and the buyer told why. Default: the
  # model's context less max_tokens (anthropic 200000, openai 128000).
  # max_input_tokens: 100000
  # API key. Empty: read ANTHROPIC_API_KEY or OPENAI_API_KEY (by provider)
  # from the environment. To name another variable: api_key: ${MY_LLM_KEY}
  api_key: ""
  # Provider endpoint. Empty: the provider's public API. E.g. a proxy:
  # base_url: ${LLM_BASE_URL:-https://api.anthropic.com}
  base_url: ""
  # Seconds one HTTP attempt of an LLM call may take (retries get their own), 1..3600.
  # A streamed answer may take longer: then this bounds the silence between
  # two events, and a stream silent that long is retried like any failure.
  timeout_seconds: 120
  # Seconds to establish the connection, 1..300.
  connect_timeout_seconds: 10
  # Retries of a failed LLM call, 0..10.
  max_retries: 3
  # Stream answers as server-sent events: auto | true | false. auto streams
  # when max_tokens is above 21333 (Anthropic's SDK refuses a non-streaming
  # request expected to run over 10 minutes).
  stream: auto
  # Providers tried in order when the one before keeps failing after its
  # retries (overload, rate limits, outages, stalled streams) or refuses its
  # key, quota or model; never for the order's own faults (400) or the
  # model's refusal. They use the settings above but their own provider,
  # model, key (empty: that provider's variable) and endpoint.
  # fallback:
  #   - provider: openai
  #     model: gpt-4o
  #     api_key: ${OPENAI_API_KEY}
  #     base_url: ""
  # Spend limits, all optional (none by default). Tokens are the provider's
  # own counts (input + output), kept in the journal across restarts.
  # max_tokens_per_order caps max_tokens and the sum of an order's LLM calls
  # (retries and revisions included). When a UTC day's tokens or cost reach
  # their limit, new orders stay pending until the next day; orders already
  # taken are finished. Prices are your provider's for the model, in USD per
  # million tokens; they give the cost `status` and `try` show.
  # budget:
  #   max_tokens_per_order: 20000
  #   max_tokens_per_day: 1000000
  #   max_cost_per_day_usd: 5
  #   price_per_million_input_tokens: 3
  #   price_per_million_output_tokens: 15

# --- What gets delivered (all optional; defaults shown) ----------------------
delivery:
  # Delivery format: markdown | text | json.
  format: markdown
  # Deliver as soon as the work is done (true), or leave it for review (false).
  auto_deliver: true
  # Appended when the model stopped at max_tokens.
  truncation_marker: "\n\n[output truncated: the model reached max_tokens]"

# --- Liveness signal to the marketplace (all optional; defaults shown) -------
heartbeat:
  # Send heartbeats (true | false).
  enabled: true
  # Seconds between heartbeats, 5..3600; 1..4 load with a warning.
  interval_seconds: 30

# --- Logs (all optional; defaults shown) --------------------------------------
logging:
  # debug | info | warn | error
  level: info
  # text (for people) | json (for log collectors)
  format: text

# --- Marketplace server (optional) --------------------------------------------
backend:
  # Empty: GIGENT_API_URL from the environment, else http://localhost:3000.
  # E.g. url: ${GIGENT_API_URL:-https://api.gigent.example}
  url: ""

# --- Health and metrics for operators (optional) ------------------------------
observability:
  # HOST:PORT serving GET /healthz, /metrics (Prometheus) and /status; empty: off.
  # `run --listen` overrides it. E.g. listen: "127.0.0.1:9464"
  listen: ""
)YAML";

}  // namespace

const std::string& template_yaml() {
  static const std::string text = kTemplate;
  return text;
}

}  // namespace gigent::config
