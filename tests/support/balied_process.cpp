#include "tests/support/balied_process.hpp"

#include "queue/keys.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <fstream>

namespace balie::test {

nlohmann::json balied_process::base_config(std::string const& redis_socket, std::filesystem::path const& dir) {
  return {{"data_dir", (dir / "data").string()},
          {"threads", 2},
          {"shutdown_deadline_ms", 10000},
          {"log", {{"level", "info"}}},
          {"http", {{"address", "127.0.0.1"}, {"port", 0}, {"max_body_bytes", 5 * 1024 * 1024}, {"read_timeout_ms", 5000}}},
          {"redis", {{"unix_socket", redis_socket}, {"command_timeout_ms", 2000}, {"reconnect_min_ms", 20}, {"reconnect_max_ms", 200}}},
          {"auth", {{"tokens_file", std::string(BALIE_SOURCE_DIR) + "/config/dev-tokens.json"}}},
          {"texts", {{"dir", std::string(BALIE_SOURCE_DIR) + "/config/texts"}}},
          {"inboxes", {{{"id", "algemeen"}, {"name", "Algemeen"}}, {{"id", "telefoon"}, {"name", "Telefoon"}}, {{"id", "vergunningen"}, {"name", "Vergunningen"}}}},
          {"routing", {{"default_inbox", "algemeen"}, {"channels", {{"phone", "telefoon"}}}}},
          {"channels", {{"phone", {{"enabled", true}, {"spool_dir", "spool/phone"}, {"spool_poll_ms", 50}}},
                        {"webchat", {{"enabled", true}, {"allowed_origins", {"loopback"}}, {"acknowledge", false}}}}}};
}

balied_process::balied_process(balied_options options) : options_(std::move(options)) {
  config_file_ = options_.dir / "balied.json";
  rewrite_config(options_.overrides);
  process_.spawn({BALIED_PATH, "--config", config_file_.string()});
  if (!wait_for_event("http.listening")) throw std::runtime_error("balied did not start listening");
  for (auto const& j : log())
    if (j.value("event", "") == "http.listening") port_ = static_cast<std::uint16_t>(std::stoi(j.value("port", "0")));
  if (options_.wait_for_redis && !wait_for_event("redis.ready")) throw std::runtime_error("balied did not reach Redis");
  // The config file's switches and rules are seeded into Redis once it is ready (the rules last): a test
  // starts from there, so that nothing it does (a paused Redis, a killed one) races the seeding.
  if (options_.wait_for_redis && !wait_for_event("routing.applied")) throw std::runtime_error("balied did not load its routing rules");
  // The one-time search index pass writes to Redis at start: done (or left to another instance) before a test begins.
  if (options_.wait_for_redis && !process_.wait_for_line([](std::string const& line) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        auto const e = !j.is_discarded() && j.is_object() ? j.value("event", "") : std::string{};
        return e == "search.backfill.done" || e == "search.backfill.done_before" || e == "search.backfill.busy";
      }, std::chrono::seconds(30)))
    throw std::runtime_error("balied did not settle its search index pass");
}

balied_process::~balied_process() {
  if (process_.running()) process_.signal_and_wait(SIGKILL);
  // A sanitizer build reports into balied's output; such a report fails the test.
  for (auto const& line : process_.lines())
    CHECK_MESSAGE((line.find("Sanitizer") == std::string::npos && line.find("runtime error:") == std::string::npos), line);
}

void balied_process::rewrite_config(nlohmann::json const& overrides) {
  auto cfg = base_config(options_.redis_socket, options_.dir);
  cfg.merge_patch(overrides);
  std::ofstream(config_file_) << cfg.dump(2);
}

std::vector<nlohmann::json> balied_process::log() const {
  std::vector<nlohmann::json> out;
  for (auto const& line : process_.lines()) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

bool balied_process::logged_since(std::string const& event, std::size_t& checked) const {
  auto const fresh = process_.lines_from(checked);
  checked += fresh.size();
  for (auto const& line : fresh) {
    if (line.find(event) == std::string::npos) continue;  // most lines: no parse
    auto const j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("event", "") == event) return true;
  }
  return false;
}

bool balied_process::wait_for_event(std::string const& event, std::size_t count, std::chrono::seconds timeout) {
  std::size_t seen = 0;  // lines are offered in order from the first, once each
  return process_.wait_for_line(
      [&](std::string const& line) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        seen += !j.is_discarded() && j.is_object() && j.value("event", "") == event;
        return seen >= count;
      },
      timeout);
}

test_stack::test_stack(nlohmann::json overrides) {
  redis.start();
  balied = std::make_unique<balied_process>(balied_options{redis.socket(), dir.path, std::move(overrides)});
}

long long test_stack::inbox_length(std::string const& inbox) {
  return redis.integer({"XLEN", queue::keys::inbox_stream(inbox)});
}

} // namespace balie::test
