#pragma once
// Structured logging: one JSON object per line on stdout, which journald and
// any log shipper read as is. Every value passes through mask_personal_data,
// except identifiers Balie mints itself (message, case and trace ids), so
// a caller cannot leak personal data into a log line even by mistake.

#include "channels/outbox.hpp"

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace balie::server {

class metrics;

enum class log_level { debug, info, warn, error };

struct log_field {
  std::string_view key;
  std::string_view value;
};

class log {
public:
  static void set_level(log_level);
  static void set_level(std::string_view);
  /// Replaces stdout, for tests; the sink receives finished lines.
  static void set_sink(std::function<void(std::string_view line)>);

  static void write(log_level, std::string_view event, std::initializer_list<log_field> fields = {});
  static void debug(std::string_view e, std::initializer_list<log_field> f = {}) { write(log_level::debug, e, f); }
  static void info(std::string_view e, std::initializer_list<log_field> f = {}) { write(log_level::info, e, f); }
  static void warn(std::string_view e, std::initializer_list<log_field> f = {}) { write(log_level::warn, e, f); }
  static void error(std::string_view e, std::initializer_list<log_field> f = {}) { write(log_level::error, e, f); }
};

/// An outbox worker's events as `<channel>.send_deferred` and `<channel>.dead_letter` warnings;
/// each delivered reply (`sent`) counted in `stats` when given.
outbox_log_fn outbox_log(std::string channel, metrics* stats = nullptr);

} // namespace balie::server
