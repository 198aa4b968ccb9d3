#include "channels/sms/sms_channel.hpp"

#include "channels/addresses.hpp"
#include "channels/sms/sms_intake.hpp"
#include "channels/sms/sms_sender.hpp"
#include "channels/sms_segments.hpp"
#include "server/log.hpp"

#include <curl/curl.h>

namespace balie::sms {

void sms_reply_check::validate_reply(channels::reply_draft const& d, channels::reply_verdict done) const {
  auto const size = sms_segments(d.text);
  if (size.segments > static_cast<std::size_t>(max_segments_))
    return done({}, channels::reply_refusal{"The text is too long for an SMS.", "text",
                                            "needs " + std::to_string(size.segments) + " SMS parts; at most " +
                                                std::to_string(max_segments_) + " are allowed"});
  if (!allow_links_ && has_web_address(d.text))
    return done({}, channels::reply_refusal{"SMS from the municipality carry no web addresses: residents cannot tell them from phishing.",
                                            "text", "contains a web address"});
  if (!is_e164(d.address)) return done({}, channels::reply_refusal{"The phone number cannot receive SMS.", "address", "not a valid mobile number"});
  numbers_.opted_out(d.address, [done = std::move(done)](boost::system::error_code ec, bool opted_out) {
    if (ec) return done(ec, std::nullopt);
    if (opted_out)
      return done({}, channels::reply_refusal{"This resident asked not to get SMS messages. Choose another channel.", "address", "opted out of SMS"});
    done({}, std::nullopt);
  });
}

sms_channel::sms_channel(sms_config settings, channels::channel_services& s)
    : settings_(std::move(settings)), check_(settings_.max_segments, settings_.allow_links, queue::sms_numbers(s.redis)) {
  intake_ = std::make_shared<sms_intake>(settings_, s, queue::sms_numbers(s.redis));
  if (!settings_.send_via.empty()) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    // The sender blocks on its outbox: a connection of its own.
    sender_ = std::make_shared<sms_sender>(settings_, s.outbox, s.own_connection("sms"), queue::sms_numbers(s.redis), s.workflow, s.clock,
                                           call_with_curl, &s.stats);
  }
  for (auto const& [name, p] : settings_.providers) parts_on_[name] = p.enabled;
}

sms_channel::~sms_channel() = default;

std::vector<server::http_route> sms_channel::routes() { return intake_->routes(); }

std::vector<std::pair<std::string, bool>> sms_channel::parts() const {
  std::vector<std::pair<std::string, bool>> out;
  for (auto const& [name, p] : settings_.providers) out.emplace_back(name, p.enabled);
  return out;
}

void sms_channel::set_part_enabled(std::string_view part, bool on) {
  intake_->set_provider_enabled(std::string(part), on);
  std::lock_guard lock(parts_mutex_);
  if (auto it = parts_on_.find(part); it != parts_on_.end()) it->second = on;
}

void sms_channel::start() {
  if (sender_) sender_->start();
}

void sms_channel::stop() {
  if (sender_) sender_->stop();
}

// Degraded: a provider's endpoint is switched off, or the sending provider fails;
// bad-credentials: the provider refused Balie's own credentials; down: every endpoint off.
std::vector<channels::contact_point> sms_channel::contact_points() const {
  if (settings_.public_number.empty()) return {};
  return {{"sms", settings_.public_number, "sms:" + settings_.public_number, false}};
}

channels::channel_health sms_channel::health() const {
  std::string reasons;
  auto const add = [&reasons](std::string const& why) { reasons += (reasons.empty() ? "" : "; ") + why; };
  std::size_t off = 0;
  {
    std::lock_guard lock(parts_mutex_);
    for (auto const& [name, on] : parts_on_)
      if (!on) ++off, add(name + " switched off");
  }
  bool credentials = false;
  if (sender_) {
    auto const [state, why] = sender_->provider();
    credentials = state == provider_state::bad_credentials;
    if (state != provider_state::answered) add(settings_.send_via + " sending: " + why);
  }
  if (credentials) return {"bad-credentials", reasons};
  if (off == parts_on_.size()) return {"down", reasons};
  if (!reasons.empty()) return {"degraded", reasons};
  return {};
}

void sms_channel::set_enabled(bool on, channels::channel_notice const& notice) {
  intake_->set_enabled(on, notice);
  if (sender_) sender_->set_held(!on);
}

sms_config sms_channel::reconfigure(sms_config const& fresh) {
  auto running = settings_;
  running.enabled = fresh.enabled;  // the switch itself goes through the switchboard
  if (running != fresh) server::log::warn("reload.needs_restart", {{"sections", "channels.sms"}});
  return running;
}

} // namespace balie::sms
