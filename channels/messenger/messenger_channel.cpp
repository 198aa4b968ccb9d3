#include "channels/messenger/messenger_channel.hpp"

#include "channels/messenger/messenger_intake.hpp"
#include "channels/messenger/messenger_sender.hpp"
#include "channels/messenger/reply_rules.hpp"
#include "server/log.hpp"

#include <curl/curl.h>

namespace balie::messenger {
namespace {

/// WhatsApp's own limit for a text message.
constexpr std::size_t max_whatsapp_text = 4096;
constexpr std::size_t max_matrix_text = std::size_t{32} * 1024;

} // namespace

messenger_channel::messenger_channel(messenger_config settings, channels::channel_services& s)
    : settings_(std::move(settings)), contacts_(s.redis), clock_(s.clock) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  // The sender blocks on its outbox: a connection of its own.
  sender_ = std::make_shared<messenger_sender>(settings_, s.outbox, s.own_connection("messenger"), contacts_, s.workflow, s.clock,
                                               channels::call_with_curl, &s.stats);
  intake_ = std::make_shared<messenger_intake>(
      settings_, s, contacts_,
      [weak = std::weak_ptr<messenger_sender>(sender_)](std::string const& platform, channels::outbound_request req,
                                                         std::function<void(channels::outbound_answer)> done) {
        if (auto sender = weak.lock()) return sender->call(platform, std::move(req), std::move(done));
        done({});
      });
  if (settings_.whatsapp.configured) parts_on_["whatsapp"] = settings_.whatsapp.enabled;
  if (settings_.matrix.configured) parts_on_["matrix"] = settings_.matrix.enabled;
}

messenger_channel::~messenger_channel() = default;

std::vector<server::http_route> messenger_channel::routes() { return intake_->routes(); }

std::vector<std::pair<std::string, bool>> messenger_channel::parts() const {
  std::vector<std::pair<std::string, bool>> out;
  if (settings_.whatsapp.configured) out.emplace_back("whatsapp", settings_.whatsapp.enabled);
  if (settings_.matrix.configured) out.emplace_back("matrix", settings_.matrix.enabled);
  return out;
}

void messenger_channel::set_part_enabled(std::string_view part, bool on) {
  intake_->set_platform_enabled(part, on);
  std::lock_guard lock(parts_mutex_);
  if (auto it = parts_on_.find(part); it != parts_on_.end()) it->second = on;
}

void messenger_channel::start() { sender_->start(); }

void messenger_channel::stop() { sender_->stop(); }

std::vector<channels::contact_point> messenger_channel::contact_points() const {
  std::vector<channels::contact_point> out;
  std::lock_guard lock(parts_mutex_);
  auto const on = [this](char const* part) {
    auto const it = parts_on_.find(part);
    return it != parts_on_.end() && it->second;
  };
  if (settings_.matrix.configured && on("matrix")) out.push_back({"matrix", settings_.matrix.bot(), "https://matrix.to/#/" + settings_.matrix.bot(), false});
  auto const& number = settings_.whatsapp.public_number;
  if (settings_.whatsapp.configured && on("whatsapp") && !number.empty())
    out.push_back({"whatsapp", number, "https://wa.me/" + number.substr(1), true});
  return out;
}

// Degraded: a platform is switched off or fails; bad-credentials: a platform refused Balie's own token;
// down: every platform off or failing.
channels::channel_health messenger_channel::health() const {
  std::string reasons;
  auto const add = [&reasons](std::string const& why) { reasons += (reasons.empty() ? "" : "; ") + why; };
  std::size_t out_of_order = 0;
  bool credentials = false;
  std::lock_guard lock(parts_mutex_);
  for (auto const& [name, on] : parts_on_) {
    auto const h = sender_->health(name);
    if (!on) {
      ++out_of_order;
      add(name + " switched off");
    } else if (h.now != platform_health::state::answered) {
      ++out_of_order;
      add(name + ": " + h.why);
    }
    credentials = credentials || h.now == platform_health::state::bad_credentials;
  }
  if (credentials) return {"bad-credentials", reasons};
  if (out_of_order == parts_on_.size()) return {"down", reasons};
  if (!reasons.empty()) return {"degraded", reasons};
  return {};
}

void messenger_channel::set_enabled(bool on, channels::channel_notice const& notice) {
  intake_->set_enabled(on, notice);
  sender_->set_held(!on);
}

void messenger_channel::validate_reply(channels::reply_draft const& d, channels::reply_verdict done) const {
  using channels::reply_refusal;
  if (d.address.starts_with('@')) {
    if (!settings_.matrix.configured) return done({}, reply_refusal{"Matrix is not set up here. Choose another channel.", "channel", "not configured"});
    if (d.text.size() > max_matrix_text) return done({}, reply_refusal{"The text is too long for one Matrix message.", "text", "too long"});
    return done({}, std::nullopt);
  }
  if (!settings_.whatsapp.configured) return done({}, reply_refusal{"WhatsApp is not set up here. Choose another channel.", "channel", "not configured"});
  if (mentions_bsn(d.text))
    return done({}, reply_refusal{"Never ask for a BSN through WhatsApp (government policy). Ask the resident to call, or answer on another channel.",
                                  "text", "asks for a BSN or contains one"});
  if (d.text.size() > max_whatsapp_text) return done({}, reply_refusal{"The text is too long for one WhatsApp message.", "text", "longer than 4096 bytes"});
  contacts_.last_inbound(d.address, [clock = clock_, done = std::move(done)](boost::system::error_code ec, std::optional<long long> last) {
    if (ec) return done(ec, std::nullopt);
    auto const when = last ? std::optional<timestamp>(timestamp(std::chrono::milliseconds(*last))) : std::nullopt;
    if (!window_open(when, clock()))
      return done({}, reply_refusal{"The resident's last WhatsApp message is more than 24 hours old, so WhatsApp takes no free text now. "
                                    "Send the approved template that asks them to reply, or answer on another channel.",
                                    "text", "outside WhatsApp's 24-hour window"});
    done({}, std::nullopt);
  });
}

messenger_config messenger_channel::reconfigure(messenger_config const& fresh) {
  auto running = settings_;
  running.enabled = fresh.enabled;  // the switch itself goes through the switchboard
  if (running != fresh) server::log::warn("reload.needs_restart", {{"sections", "channels.messenger"}});
  return running;
}

} // namespace balie::messenger
