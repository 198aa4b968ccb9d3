#include "channels/email/team_notices.hpp"

#include "calendar/dutch_dates.hpp"
#include "channels/email/outbound_mail.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

namespace balie::email {

outcome<team_notice_mail> compose_team_notice(std::string const& msg, email_config const& c, timestamp now) {
  auto const notice = nlohmann::json::parse(msg, nullptr, false);
  if (!notice.is_object()) return rejection{400, "team-notice", "the notice is not readable", ""};
  auto const to = json_fields::text(notice, "to"), reference = json_fields::text(notice, "reference"), inbox = json_fields::text(notice, "inbox");
  auto const answer_by = json_fields::optional_integer(notice, "answer_by");
  if (to.empty() || reference.empty() || inbox.empty() || !answer_by)
    return rejection{400, "team-notice", "the notice names no team address, case or inbox", ""};
  outbound_mail m;
  m.from_address = c.addresses.empty() ? "info@" + c.domain : c.addresses.front().first;
  m.from_name = c.from_name;
  m.to_address = to;
  m.reply_to = m.from_address;
  m.subject = "Zaak " + reference + " wacht te lang op antwoord";
  m.message_id = "team." + random_text(12, "0123456789abcdef") + "@" + c.domain;
  m.text = "Beste collega's,\n\n"
           "Zaak " + reference + " in de inbox " + inbox + " heeft nog geen antwoord. " +
           (answer_by->value_or(0) > 0 ? "We beloofden de inwoner een antwoord uiterlijk " +
                                             calendar::format_day(timestamp{std::chrono::milliseconds{**answer_by}}, "nl") + ". "
                                       : std::string{}) +
           "De inwoner wacht nu twee keer zo lang als we beloofden.\n\n"
           "Open de zaak in Balie en neem hem op. Of geef hem aan een collega die er nu tijd voor heeft.\n\n"
           "Dit bericht komt automatisch van Balie. U hoeft er niet op te antwoorden.";
  m.automatic = true;
  m.date = now;
  m.boundary = random_boundary();
  auto composed = compose_mail(m);
  if (!composed) return composed.error();
  return team_notice_mail{to, std::move(*composed)};
}

team_notice_sender::team_notice_sender(email_config c, outbox_config o, std::shared_ptr<queue::redis_connection> own, queue::case_workflow& w,
                                       clock_fn clock, smtp_transport t, server::metrics* stats)
    : config_(std::move(c)), outbox_config_(o), redis_(std::move(own)), workflow_(w), clock_(std::move(clock)), transport_(std::move(t)), stats_(stats) {}

team_notice_sender::~team_notice_sender() { worker_.join(); }

void team_notice_sender::start() {
  queue::outbox_settings settings{std::string(queue::keys::team_notices), outbox_config_.takeover_after, outbox_config_.block,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.smtp_retry_initial),
                                  max_send_backoff, config_.max_send_attempts};
  settings.reports_delivery = false;  // a notice is no message on the case
  outbox_ = std::make_shared<queue::outbox_worker>(
      redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      server::outbox_log("team", stats_));
  outbox_->start();
}

void team_notice_sender::stop() {
  cancelled_ = true;
  if (outbox_) outbox_->stop();
}

// The transfer blocks (libcurl): on the sender's own thread, never on the worker's strand.
void team_notice_sender::deliver(outbox_entry const& entry, delivery_done done) {
  auto mail = compose_team_notice(entry.msg, config_, clock_());
  if (!mail) return done({delivery_outcome::kind::failed, mail.error().detail});
  boost::asio::post(worker_, [self = shared_from_this(), case_id = entry.case_id, mail = std::move(*mail), done = std::move(done)]() mutable {
    auto const bounces = self->config_.bounce_local_part + "@" + self->config_.domain;
    auto const r = self->transport_(self->config_, bounces, mail.to, mail.message, self->cancelled_);
    // Never the last reference on worker_'s own thread: the destructor joins worker_.
    auto const strand = self->redis_->strand();
    boost::asio::post(strand, [self = std::move(self)] {});
    if (r) {
      server::log::info("team.notice_sent", {{"case_id", case_id}});
      return done({});
    }
    done({r.error().permanent ? delivery_outcome::kind::failed : delivery_outcome::kind::retry, r.error().detail});
  });
}

} // namespace balie::email
