#include "server/metrics.hpp"

#include <sstream>

namespace balie::server {

void metrics::received(std::string_view c, std::string_view p) {
  std::lock_guard lock(mutex_);
  ++received_[{std::string(c), std::string(p), {}}];
}
void metrics::duplicated(std::string_view c, std::string_view p) {
  std::lock_guard lock(mutex_);
  ++duplicated_[{std::string(c), std::string(p), {}}];
}
void metrics::rejected(std::string_view c, std::string_view p, std::string_view reason) {
  std::lock_guard lock(mutex_);
  ++rejected_[{std::string(c), std::string(p), std::string(reason)}];
}
void metrics::enqueue_failed(std::string_view c, std::string_view p) {
  std::lock_guard lock(mutex_);
  ++failed_[{std::string(c), std::string(p), {}}];
}
void metrics::enqueue_latency(std::chrono::microseconds d) {
  double const s = static_cast<double>(d.count()) / 1e6;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < std::size(bounds_); ++i)
    if (s <= bounds_[i]) ++buckets_[i];
  ++latency_count_;
  latency_sum_ += s;
}
void metrics::redis_reconnects_from(std::function<std::uint64_t()> f) {
  std::lock_guard lock(mutex_);
  reconnects_ = std::move(f);
}

void metrics::handler_exception(std::string_view where) {
  std::lock_guard lock(mutex_);
  ++exceptions_[std::string(where)];
}

void metrics::set_health(std::string const& source, std::string const& state) {
  std::lock_guard lock(mutex_);
  health_[source] = state;
}

std::map<std::string, std::string> metrics::health() const {
  std::lock_guard lock(mutex_);
  return health_;
}

void metrics::set_overdue(std::string const& inbox, long long cases) {
  std::lock_guard lock(mutex_);
  overdue_[inbox] = cases;
}

void metrics::set_channel_enabled(std::string const& channel, bool enabled) {
  std::lock_guard lock(mutex_);
  channel_enabled_[channel] = enabled;
}

void metrics::set_channel_up(std::string const& channel, bool up) {
  std::lock_guard lock(mutex_);
  channel_up_[channel] = up;
}

void metrics::sent(std::string_view channel) {
  std::lock_guard lock(mutex_);
  auto it = sent_.find(channel);
  if (it == sent_.end()) it = sent_.emplace(std::string(channel), 0).first;
  ++it->second;
}

std::uint64_t metrics::received_total(std::string_view channel) const {
  std::lock_guard lock(mutex_);
  std::uint64_t n = 0;
  for (auto const& [k, v] : received_)
    if (std::get<0>(k) == channel) n += v;
  return n;
}

std::uint64_t metrics::sent_total(std::string_view channel) const {
  std::lock_guard lock(mutex_);
  auto it = sent_.find(channel);
  return it == sent_.end() ? 0 : it->second;
}

std::string metrics::render() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  auto family = [&](char const* name, char const* help, std::map<key, std::uint64_t> const& values, bool with_reason) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n";
    for (auto const& [k, v] : values) {
      out << name << "{channel=\"" << std::get<0>(k) << "\",provider=\"" << std::get<1>(k) << '"';
      if (with_reason) out << ",reason=\"" << std::get<2>(k) << '"';
      out << "} " << v << '\n';
    }
  };
  family("balie_messages_received_total", "Messages made durable, per channel and provider.", received_, false);
  out << "# HELP balie_source_up Polled sources: 1 up, 0.5 degraded, 0 down.\n# TYPE balie_source_up gauge\n";
  for (auto const& [source, state] : health_)
    out << "balie_source_up{source=\"" << source << "\"} " << (state == "up" ? "1" : state == "degraded" ? "0.5" : "0") << '\n';
  out << "# HELP balie_cases_overdue Cases past their inbox's answer time that no person has acted on.\n"
         "# TYPE balie_cases_overdue gauge\n";
  for (auto const& [inbox, n] : overdue_) out << "balie_cases_overdue{inbox=\"" << inbox << "\"} " << n << '\n';
  out << "# HELP balie_channel_enabled Channels switched on (1) or off (0) by admins, as this instance applies it.\n"
         "# TYPE balie_channel_enabled gauge\n";
  for (auto const& [channel, on] : channel_enabled_) out << "balie_channel_enabled{channel=\"" << channel << "\"} " << (on ? 1 : 0) << '\n';
  out << "# HELP balie_channel_up Channels working (1: up or degraded) or not (0: down, bad credentials), as their module reports.\n"
         "# TYPE balie_channel_up gauge\n";
  for (auto const& [channel, up] : channel_up_) out << "balie_channel_up{channel=\"" << channel << "\"} " << (up ? 1 : 0) << '\n';
  out << "# HELP balie_replies_sent_total Replies a channel's sender delivered.\n# TYPE balie_replies_sent_total counter\n";
  for (auto const& [channel, n] : sent_) out << "balie_replies_sent_total{channel=\"" << channel << "\"} " << n << '\n';
  family("balie_messages_duplicated_total", "Redeliveries recognised by their dedup key.", duplicated_, false);
  family("balie_messages_rejected_total", "Input refused as invalid, per reason.", rejected_, true);
  family("balie_enqueue_failures_total", "Messages not made durable (sender told to retry).", failed_, false);
  out << "# HELP balie_enqueue_duration_seconds Time from intake to durable enqueue.\n"
         "# TYPE balie_enqueue_duration_seconds histogram\n";
  for (std::size_t i = 0; i < std::size(bounds_); ++i)  // each bucket already counts every observation <= bound
    out << "balie_enqueue_duration_seconds_bucket{le=\"" << bounds_[i] << "\"} " << buckets_[i] << '\n';
  out << "balie_enqueue_duration_seconds_bucket{le=\"+Inf\"} " << latency_count_ << '\n'
      << "balie_enqueue_duration_seconds_sum " << latency_sum_ << '\n'
      << "balie_enqueue_duration_seconds_count " << latency_count_ << '\n';
  out << "# HELP balie_redis_reconnects_total Redis connections re-established after a loss.\n"
         "# TYPE balie_redis_reconnects_total counter\n"
      << "balie_redis_reconnects_total " << (reconnects_ ? reconnects_() : 0) << '\n';
  out << "# HELP balie_handler_exceptions_total Exceptions caught by the safety net instead of ending the process.\n"
         "# TYPE balie_handler_exceptions_total counter\n";
  for (auto const& [where, n] : exceptions_) out << "balie_handler_exceptions_total{where=\"" << where << "\"} " << n << '\n';
  return out.str();
}

} // namespace balie::server
