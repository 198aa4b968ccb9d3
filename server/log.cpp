#include "server/log.hpp"

#include "channels/time_format.hpp"
#include "server/log_mask.hpp"
#include "server/metrics.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <mutex>

namespace balie::server {
namespace {

std::atomic<log_level> level{log_level::info};
std::mutex sink_mutex;
std::function<void(std::string_view)> sink;

bool trusted_identifier(std::string_view key) {
  return key == "message_id" || key == "case_id" || key == "trace_id" || key == "reference" || key == "inbox" ||
         key == "channel" || key == "provider";
}

std::string_view name(log_level l) {
  switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warn";
    case log_level::error: return "error";
  }
  return "info";
}

} // namespace

void log::set_level(log_level l) { level = l; }
void log::set_level(std::string_view s) {
  set_level(s == "debug" ? log_level::debug : s == "warn" ? log_level::warn : s == "error" ? log_level::error : log_level::info);
}

void log::set_sink(std::function<void(std::string_view)> s) {
  std::lock_guard lock(sink_mutex);
  sink = std::move(s);
}

void log::write(log_level l, std::string_view event, std::initializer_list<log_field> fields) {
  if (l < level.load(std::memory_order_relaxed)) return;
  nlohmann::json j = {{"time", format_rfc3339(system_now())}, {"level", name(l)}, {"event", event}};
  for (auto const& f : fields)
    j[std::string(f.key)] = trusted_identifier(f.key) ? std::string(f.value) : mask_personal_data(f.value);
  auto line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(sink_mutex);
  if (sink) return sink(line);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

outbox_log_fn outbox_log(std::string channel, metrics* stats) {
  return [channel = std::move(channel), stats](std::string_view what, outbox_entry const& e, int attempt, std::string_view detail) {
    if (what == "sent") {  // the channel logs its own delivery; here it is counted
      if (stats) stats->sent(channel);
      return;
    }
    log::warn(channel + "." + std::string(what), {{"case_id", e.case_id},
                                                  {"message_id", e.message_id},
                                                  {"attempt", std::to_string(attempt)},
                                                  {"error", detail}});
  };
}

} // namespace balie::server
