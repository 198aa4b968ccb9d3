// One job per mail: worker thread (parse, store files, prepare) → network
// thread (bounce report or submit, then maybe an acknowledgement) → the
// caller's handler, exactly once. A disk or Redis failure is a temporary
// failure: the MTA or the IMAP poller tries again later, and dedup makes
// the retry harmless.
#include "channels/email/email_intake.hpp"

#include "channels/automatic_message.hpp"

#include "channels/attachment_store.hpp"
#include "channels/text.hpp"
#include "server/log.hpp"
#include "queue/keys.hpp"

#include <boost/asio/post.hpp>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;

struct email_intake::job {
  std::string raw;
  email::mail_envelope envelope;
  std::string provider;
  std::string inbox;
  std::function<void(mail_result)> done;
  email::prepared_mail mail;
  bool while_off = false;  ///< taken while switched off: marked, and answered with the notice
  bool unmatched_bounce = false;  ///< a bounce of no reply Balie knows: filed at low priority for staff to filter
};

email_intake::email_intake(asio::any_io_executor ex, email_config cfg, inbound_sink& sink, queue::case_workflow& workflow,
                           std::shared_ptr<channels::resident_texts const> texts, channels::acknowledgement_writer write,
                           channels::automatic_limit automatic, clock_fn clock, id_source& ids)
    : executor_(std::move(ex)), config_(std::move(cfg)), texts_(std::move(texts)), write_acknowledgement_(std::move(write)), automatic_(automatic), sink_(sink), workflow_(workflow), clock_(std::move(clock)), ids_(ids),
      enabled_(config_.enabled) {
  identity_.domain = ascii_lower(config_.domain);
  for (auto const& [address, inbox] : config_.addresses) identity_.own_addresses.push_back(address);
  identity_.bounce_local_part = config_.bounce_local_part;
}

email_intake::~email_intake() { workers_.join(); }

void email_intake::stop() { workers_.join(); }

std::string email_intake::inbox_for(std::string_view address) const {
  auto lower = ascii_lower(address);
  auto const at = lower.rfind('@');
  if (at == std::string::npos) return {};
  if (auto const plus = lower.find('+'); plus != std::string::npos && plus < at) lower.erase(plus, at - plus);
  for (auto const& [own, inbox] : config_.addresses)
    if (own == lower) return inbox;
  return {};
}

bool email_intake::accepts(std::string_view address) const {
  return !inbox_for(address).empty() || email::outbound_ref_from_verp(address, identity_).has_value();
}

void email_intake::deliver(std::string raw, email::mail_envelope envelope, std::string provider, std::string inbox,
                           std::function<void(mail_result)> done) {
  if (!taking_mail()) return asio::post(executor_, [done = std::move(done)] { done(mail_deferred{"switched off"}); });
  auto j = std::make_shared<job>();
  j->while_off = !enabled_;
  j->raw = std::move(raw);
  j->envelope = std::move(envelope);
  j->provider = std::move(provider);
  j->inbox = std::move(inbox);
  if (j->inbox.empty())
    for (auto const& r : j->envelope.recipients)
      if (j->inbox.empty()) j->inbox = inbox_for(r);
  j->done = std::move(done);
  asio::post(workers_, [self = shared_from_this(), j] {
    try {
      email::parse_limits limits;
      limits.max_depth = self->config_.max_mime_depth;
      limits.max_attachments = self->config_.max_attachments;
      limits.max_attachment_bytes = self->config_.max_message_bytes;
      auto const parsed = email::parse_mail(j->raw, limits);
      channels::attachment_store store(self->config_.attachment_dir);
      std::vector<attachment> files;
      for (auto const& part : parsed.attachments) {
        auto const f = store.put(part.bytes);
        files.push_back({part.filename, part.content_type, part.bytes.size(), f.sha256, f.ref});
      }
      // The whole mail as it arrived: nothing the extraction dropped is lost.
      auto const original = store.put(j->raw);
      files.push_back({"bericht.eml", "message/rfc822", j->raw.size(), original.sha256, original.ref});
      auto const now = self->clock_();
      j->mail = email::prepare_mail(parsed, j->envelope, self->identity_, std::move(files), j->provider, self->ids_.ulid(now),
                                    self->ids_.ulid(now), self->ids_.case_reference(), now);
      j->mail.message.received_while_off = j->while_off;
      for (auto const& r : j->envelope.recipients)
        if (!j->mail.message.addressed_to && !self->inbox_for(r).empty()) j->mail.message.addressed_to = ascii_lower(r);
      j->raw.clear();
      asio::post(self->executor_, [self, j] { self->prepared(j); });
    } catch (std::exception const& e) {
      log::warn("email.not_stored", {{"provider", j->provider}, {"error", e.what()}});
      asio::post(self->executor_, [j] { j->done(mail_deferred{"not stored"}); });
    }
  });
}

void email_intake::prepared(std::shared_ptr<job> j) {
  if (!j->mail.bounced) return submit(j);
  // A bounce of one of Balie's replies: staff see the reply failed, and why.
  auto const& report = *j->mail.bounced;
  queue::delivery_update u{report.case_id, report.message_id, "failed", 1, j->mail.bounce_reason, format_rfc3339(clock_())};
  workflow_.report_delivery(u, [self = shared_from_this(), j](boost::system::error_code ec, queue::action_result r) {
    if (ec) return j->done(mail_deferred{"store unavailable"});
    if (r.status == queue::action_status::not_found) {  // not ours after all: a person looks at it, when there is time
      j->unmatched_bounce = true;
      return self->submit(j);
    }
    log::info("email.bounce_recorded", {{"case_id", j->mail.bounced->case_id}, {"message_id", j->mail.bounced->message_id}});
    j->done(mail_receipt{mail_receipt::kind::bounce_recorded, {}});
  });
}

void email_intake::submit(std::shared_ptr<job> j) {
  submit_options options;
  options.inbox = j->inbox;
  options.thread = j->mail.thread;
  if (j->unmatched_bounce) options.priority = priority::low;
  auto message = j->mail.message;
  sink_.submit(std::move(message), j->mail.dedup_key,
               [self = shared_from_this(), j](boost::system::error_code ec, submit_result r) {
                 if (ec) return j->done(mail_deferred{"store unavailable"});
                 if (r.status == submit_status::duplicate) return j->done(mail_receipt{mail_receipt::kind::duplicate, r.reference});
                 if (r.joined) log::info("email.threaded", {{"case_id", r.case_id}, {"message_id", r.message_id}});
                 if (!r.linked_case.empty()) log::info("email.linked", {{"case_id", r.case_id}, {"linked_case", r.linked_case}});
                 self->acknowledge(j, r);
               },
               std::move(options));
}

void email_intake::set_enabled(bool on, channels::channel_notice notice) {
  std::lock_guard lock(notice_mutex_);
  notice_ = std::move(notice);
  enabled_ = on;
}

void email_intake::acknowledge(std::shared_ptr<job> j, submit_result const& stored) {
  auto const finish = [j, ref = stored.reference] { j->done(mail_receipt{mail_receipt::kind::stored, ref}); };
  auto const& in = j->mail.message;
  // Never to an auto-reply, a bounce or list mail, nor to Balie's own addresses (may_acknowledge), nor without a promise.
  if (!j->mail.may_acknowledge || in.resident.addresses.empty() || !stored.answer_by) return finish();
  // Switched off: the notice goes to every mail, also one that joins a case (the loop guard still counts).
  if (!j->while_off && (!config_.acknowledge || !stored.created)) return finish();
  // The mail is durable already; a failed acknowledgement must not make the MTA send it again.
  channels::acknowledgement_request req;
  req.language = in.resident.language == "eng" ? "en" : "nl";  // ISO 639-3 in the case-message
  req.reference = stored.reference;
  req.answer_by = stored.answer_by;
  req.outside_hours = stored.outside_hours;
  if (j->while_off) {
    auto notice = [this, &req] {
      std::lock_guard lock(notice_mutex_);
      return std::string(req.language == "en" && !notice_.en.empty() ? notice_.en : notice_.nl);
    }();
    if (notice.empty()) notice = texts_->text("email.switched_off.notice", req.language);
    req.switched_off_notice = notice;
  }
  auto const written = write_acknowledgement_(req);
  auto const now = clock_();
  auto m = channels::automatic_message(stored, channel::email, written.text, written.rule, now, ids_.ulid(now));
  m.subject = written.subject;
  // The acknowledgement goes to a From address anyone can forge, so it carries
  // nothing the sender wrote: no display name (a phishing line there would be
  // mailed by the municipality), no link, only Balie's own text and reference.
  m.resident = in.resident;
  m.resident.name.reset();
  auto const message = to_json(m);
  queue::automatic_request req_out{stored.case_id, m.id, "email", message.dump(), message["delivery"].dump(),
                                   queue::keys::email_automatic(ascii_lower(in.resident.addresses.front().value)), automatic_.limit,
                                   automatic_.period};
  workflow_.queue_automatic(req_out, [finish, case_id = stored.case_id](boost::system::error_code ec, queue::action_result r) {
    if (ec) log::warn("email.acknowledgement_not_queued", {{"case_id", case_id}, {"error", ec.message()}});
    else if (r.status == queue::action_status::limited) log::info("email.acknowledgement_limited", {{"case_id", case_id}});
    finish();
  });
}

} // namespace balie::email
