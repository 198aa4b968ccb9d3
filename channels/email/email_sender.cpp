// One reply at a time from the outbox worker (queue/outbox_worker.hpp): read
// its case (subject, reference, earlier Message-IDs, reply token) → compose →
// send on the transfer thread → record (participant, Message-ID index,
// delivery status `sent`); the worker retries, dead-letters and acknowledges.
#include "channels/email/email_sender.hpp"

#include "channels/email/outbound_mail.hpp"
#include "channels/text.hpp"
#include "server/log.hpp"
#include "channels/text.hpp"
#include "queue/keys.hpp"

#include <boost/asio/post.hpp>
#include <curl/curl.h>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;
namespace {

/// libcurl's connect timeout: never longer than this, whatever the whole transfer may take.
constexpr long max_connect_seconds = 30;
/// Backoff doubles from the configured first wait up to this.
constexpr std::chrono::milliseconds max_backoff{15 * 60 * 1000};
/// Messages of a case read to build References.
constexpr std::size_t max_case_messages = 200;

/// A case's reply token: 16 characters, 80 bits, lower case (addresses are matched lower-cased).
std::string random_token() { return random_text(10, "0123456789abcdefghjkmnpqrstvwxyz"); }

/// CR, LF and NUL as spaces: text from residents' mail meant for one header line.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; }, ' ');
  return s;
}

std::string random_boundary() { return "=_balie_" + random_text(12, "0123456789abcdef"); }

struct curl_cleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct upload {
  std::string const& data;
  std::size_t offset = 0;
};

int abort_when_cancelled(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool> const*>(flag)->load() ? 1 : 0;
}

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& u = *static_cast<upload*>(user);
  auto const n = std::min(size * count, u.data.size() - u.offset);
  // Bytes for libcurl, not a C string: nothing to terminate.
  std::memcpy(buffer, u.data.data() + u.offset, n);  // NOLINT(bugprone-not-null-terminated-result)
  u.offset += n;
  return n;
}

} // namespace

smtp_result send_with_curl(email_config const& cfg, std::string const& envelope_from, std::string const& recipient,
                           std::string const& message, std::atomic<bool> const& cancelled) {
  std::unique_ptr<CURL, curl_cleanup> c(curl_easy_init());
  if (!c) return {smtp_result::kind::temporary, "libcurl unavailable"};
  // The URL path is the EHLO name.
  auto url = cfg.smtp_url;
  if (url.find('/', url.find("//") + 2) == std::string::npos) url += "/" + cfg.domain;
  upload body{message};
  std::unique_ptr<curl_slist, curl_cleanup> rcpt(curl_slist_append(nullptr, ("<" + recipient + ">").c_str()));
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, ("<" + envelope_from + ">").c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &body);
  curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c.get(), CURLOPT_USE_SSL, cfg.smtp_require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, std::min<long>(static_cast<long>(cfg.smtp_timeout.count()), max_connect_seconds));
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, static_cast<long>(cfg.smtp_timeout.count()));
  if (!cfg.smtp_username.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, cfg.smtp_username.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, cfg.smtp_password.c_str());
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, abort_when_cancelled);
  curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancelled));
  auto const rc = curl_easy_perform(c.get());
  long code = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) return {smtp_result::kind::sent, "accepted by the relay"};
  auto detail = std::string(curl_easy_strerror(rc)) + (error[0] ? std::string(": ") + error : "");
  if (code > 0) detail = "relay answered " + std::to_string(code) + " (" + detail + ")";
  // Balie's own login refused: no reply can leave, whoever it is for. Not the recipient's
  // fault, so not final for this reply: it waits until an operator fixes the credentials.
  if (rc == CURLE_LOGIN_DENIED) return {smtp_result::kind::temporary, detail, smtp_result::relay_state::bad_credentials};
  if (code == 0) return {smtp_result::kind::temporary, detail, smtp_result::relay_state::unreachable};
  // 5xx is final; everything else (4xx, no connection, timeouts, TLS) may pass later.
  if (code >= 500 && code < 600) return {smtp_result::kind::permanent, detail};
  return {smtp_result::kind::temporary, detail};
}

struct email_sender::outgoing {
  outbox_entry entry;
  nlohmann::json msg;
  std::string to_address, to_name;
  std::string composed;
  std::string verp;
  std::string rfc_message_id;
  delivery_done done;
};

email_sender::email_sender(email_config cfg, outbox_config outbox, std::shared_ptr<queue::redis_connection> own, queue::case_store& store,
                           queue::email_threads threads, queue::case_workflow& workflow,
                           std::shared_ptr<channels::resident_texts const> texts, clock_fn clock, smtp_transport transport, server::metrics* stats)
    : config_(std::move(cfg)), outbox_config_(outbox), redis_(std::move(own)), store_(store), threads_(threads), workflow_(workflow), texts_(std::move(texts)), clock_(std::move(clock)),
      transport_(std::move(transport)), stats_(stats) {
  identity_.domain = ascii_lower(config_.domain);
  for (auto const& [address, inbox] : config_.addresses) identity_.own_addresses.push_back(address);
  identity_.bounce_local_part = config_.bounce_local_part;
}

email_sender::~email_sender() { worker_.join(); }

void email_sender::start() {
  queue::outbox_settings settings{"email", outbox_config_.takeover_after, outbox_config_.block,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.smtp_retry_initial), max_backoff,
                                  config_.max_send_attempts};
  auto outbox = std::make_shared<queue::outbox_worker>(
      redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      outbox_log("email", stats_));
  {
    std::lock_guard lock(hold_mutex_);
    outbox->set_held(held_);
    outbox_ = outbox;
  }
  outbox->start();
}

void email_sender::set_held(bool held) {
  std::lock_guard lock(hold_mutex_);
  held_ = held;
  if (outbox_) outbox_->set_held(held);
}

void email_sender::stop() {
  cancelled_ = true;  // a mail in transfer is abandoned, stays pending and goes out after the restart
  if (outbox_) outbox_->stop();
}

// Runs on the outbox worker's strand.
void email_sender::deliver(outbox_entry const& entry, delivery_done done) {
  auto o = std::make_shared<outgoing>();
  o->entry = entry;
  o->done = std::move(done);
  o->msg = nlohmann::json::parse(entry.msg, nullptr, false);
  if (o->msg.is_discarded() || !o->msg.is_object()) return o->done({delivery_outcome::kind::failed, "unreadable outbound message"});
  for (auto const& a : o->msg["resident"].value("addresses", nlohmann::json::array()))
    if (a.value("kind", "") == "email" && o->to_address.empty()) o->to_address = a.value("value", "");
  o->to_name = o->msg["resident"].value("name", "");
  if (o->to_address.empty()) return o->done({delivery_outcome::kind::failed, "no email address to send to"});
  // The relay took it already and only the recording failed: record, never send twice.
  if (relayed_.count(entry.id)) {
    o->rfc_message_id = email::outbound_message_id(entry.case_id, entry.message_id, identity_.domain);
    return record_sent(o);
  }
  compose(o);
}

void email_sender::compose(std::shared_ptr<outgoing> o) {
  auto const self = shared_from_this();
  store_.read_case(o->entry.case_id, max_case_messages, [self, o](boost::system::error_code ec, queue::case_record c) {
    if (ec) return o->done({delivery_outcome::kind::store_unavailable, "the case store is unavailable"});
    if (c.summary.fields.empty()) return o->done({delivery_outcome::kind::failed, "the case no longer exists"});
    auto const field = [&c](char const* k) {
      auto it = c.summary.fields.find(k);
      return it == c.summary.fields.end() ? std::string{} : it->second;
    };
    // References: every Message-ID of this case's mail so far, oldest first; In-Reply-To: the resident's last.
    std::vector<std::string> references;
    std::string in_reply_to;
    for (auto const& stored : c.messages) {
      auto const j = nlohmann::json::parse(stored.json, nullptr, false);
      if (j.is_discarded() || j.value("channel", "") != "email" || j.value("id", "") == o->entry.message_id) continue;
      if (j.value("direction", "") == "inbound") {
        auto const id = j.value("provider_message_id", "");
        if (id.empty() || id.rfind("sha256:", 0) == 0) continue;
        references.push_back(id);
        in_reply_to = id;
      } else {
        references.push_back(email::outbound_message_id(o->entry.case_id, j.value("id", ""), self->identity_.domain));
      }
    }
    auto const with_token = [self, o, references, in_reply_to, reference = field("reference"),
                             case_subject = field("subject")](std::string const& token) {
      email::outbound_mail m;
      m.from_address = self->identity_.own_addresses.empty() ? "info@" + self->identity_.domain : self->identity_.own_addresses.front();
      m.from_name = self->config_.from_name;
      m.to_address = o->to_address;
      m.to_name = o->to_name;
      m.to_name = one_line(m.to_name);
      m.reply_to = email::reply_address(token, self->identity_);
      auto subject = o->msg.value("subject", "");
      if (subject.empty()) subject = case_subject.empty() ? self->texts_->text("email.reply.subject") : "Re: " + case_subject;
      if (!reference.empty() && subject.find(reference) == std::string::npos) subject += " [" + reference + "]";
      m.subject = one_line(subject);  // subjects come from residents' mail: a line break must not become a header
      o->rfc_message_id = email::outbound_message_id(o->entry.case_id, o->entry.message_id, self->identity_.domain);
      m.message_id = o->rfc_message_id;
      m.in_reply_to = in_reply_to;
      m.references = references;
      m.text = o->msg.value("text", "");
      m.automatic = o->msg.value("auto_generated", false);
      m.date = self->clock_();
      m.boundary = random_boundary();
      auto composed = email::compose_mail(m);
      if (!composed) return o->done({delivery_outcome::kind::failed, composed.error().detail});
      o->composed = std::move(*composed);
      o->verp = email::verp_sender(o->entry.case_id, o->entry.message_id, self->identity_);
      asio::post(self->worker_, [self, o] {
        auto result = self->transport_(self->config_, o->verp, o->to_address, o->composed, self->cancelled_);
        asio::post(self->redis_->strand(), [self, o, result] { self->finish(o, result); });
      });
    };
    if (auto const token = field("email_token"); !token.empty()) return with_token(token);
    // The case's first mail: its reply token is made once and kept, whoever sends first.
    self->threads_.reply_token(o->entry.case_id, random_token(), [o, with_token](boost::system::error_code ec, std::string const& token) {
      if (ec || token.empty()) return o->done({delivery_outcome::kind::store_unavailable, "the case store is unavailable"});
      with_token(token);
    });
  });
}

std::pair<smtp_result::relay_state, std::string> email_sender::relay() const {
  std::lock_guard lock(relay_mutex_);
  return relay_;
}

void email_sender::finish(std::shared_ptr<outgoing> o, smtp_result result) {
  {
    std::lock_guard lock(relay_mutex_);
    relay_ = {result.relay, result.relay == smtp_result::relay_state::answered ? std::string{} : result.detail};
  }
  if (result.outcome == smtp_result::kind::permanent) return o->done({delivery_outcome::kind::failed, result.detail});
  if (result.outcome == smtp_result::kind::temporary) return o->done({delivery_outcome::kind::retry, result.detail});
  relayed_.insert(o->entry.id);
  record_sent(o);
}

void email_sender::record_sent(std::shared_ptr<outgoing> o) {
  // The recipient takes part in the case, and an answer to this Message-ID finds it.
  auto const self = shared_from_this();
  auto const unavailable = delivery_outcome{delivery_outcome::kind::store_unavailable, "the case store is unavailable"};
  threads_.record_sent(o->entry.case_id, ascii_lower(o->to_address), o->rfc_message_id, [self, o, unavailable](boost::system::error_code ec) {
                   if (ec) return o->done(unavailable);
                   queue::delivery_update u{o->entry.case_id, o->entry.message_id, "sent", o->entry.attempts + 1, "",
                                            format_rfc3339(self->clock_())};
                   self->workflow_.report_delivery(u, [self, o, unavailable](boost::system::error_code ec, queue::action_result) {
                     if (ec) return o->done(unavailable);
                     log::info("email.sent", {{"case_id", o->entry.case_id}, {"message_id", o->entry.message_id}});
                     asio::post(self->redis_->strand(), [self, o] {
                       self->relayed_.erase(o->entry.id);
                       o->done({});
                     });
                   });
                 });
}

} // namespace balie::email
