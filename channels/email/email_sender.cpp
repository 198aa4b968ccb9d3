// One reply at a time from the outbox worker (queue/outbox_worker.hpp), as
// one coroutine: read its case (subject, reference, earlier Message-IDs,
// reply token) → compose → send on the transfer thread → record
// (participant, Message-ID index, delivery status `sent`); the worker
// retries, dead-letters and acknowledges.
#include "channels/email/email_sender.hpp"
#include "channels/subject.hpp"

#include "channels/awaited.hpp"
#include "channels/email/outbound_mail.hpp"
#include "channels/json_fields.hpp"
#include "channels/text.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <curl/curl.h>

namespace balie::email {
using namespace server;
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

/// libcurl's connect timeout: never longer than this, whatever the whole transfer may take.
constexpr long max_connect_seconds = 30;
/// Messages of a case read to build References.
constexpr std::size_t max_case_messages = 200;

/// A case's reply token: 16 characters, 80 bits, lower case (addresses are matched lower-cased).
std::string random_token() { return random_text(10, "0123456789abcdefghjkmnpqrstvwxyz"); }

/// CR, LF and NUL as spaces: text from residents' mail meant for one header line.
std::string one_line(std::string s) {
  std::replace_if(s.begin(), s.end(), [](char ch) { return ch == '\r' || ch == '\n' || ch == '\0'; }, ' ');
  return s;
}

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
  if (!c) return smtp_failure{false, "libcurl unavailable"};
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
  if (rc == CURLE_OK) return {};
  auto detail = std::string(curl_easy_strerror(rc)) + (error[0] ? std::string(": ") + error : "");
  if (code > 0) detail = "relay answered " + std::to_string(code) + " (" + detail + ")";
  // Balie's own login refused: no reply can leave, whoever it is for. Not the recipient's
  // fault, so not final for this reply: it waits until an operator fixes the credentials.
  if (rc == CURLE_LOGIN_DENIED) return smtp_failure{false, detail, relay_state::bad_credentials};
  if (code == 0) return smtp_failure{false, detail, relay_state::unreachable};
  // 5xx is final; everything else (4xx, no connection, timeouts, TLS) may pass later.
  return smtp_failure{code >= 500 && code < 600, detail};
}

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
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.smtp_retry_initial), max_send_backoff,
                                  config_.max_send_attempts};
  auto outbox = std::make_shared<queue::outbox_worker>(
      redis_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({delivery_outcome::kind::store_unavailable, "stopping"});
      },
      outbox_log("email", stats_));
  outbox_.start(std::move(outbox));
}

void email_sender::set_held(bool held) {
  outbox_.set_held(held);
}

void email_sender::stop() {
  cancelled_ = true;  // a mail in transfer is abandoned, stays pending and goes out after the restart
  outbox_.stop();
}

// Runs on the outbox worker's strand, and so does the whole coroutine.
void email_sender::deliver(outbox_entry const& entry, delivery_done done) {
  asio::co_spawn(redis_->strand(), send(shared_from_this(), entry), [done = std::move(done)](std::exception_ptr e, delivery_outcome o) {
    if (e) return done({delivery_outcome::kind::retry, "the reply could not be prepared"});
    done(std::move(o));
  });
}

asio::awaitable<delivery_outcome> email_sender::send([[maybe_unused]] std::shared_ptr<email_sender> self, outbox_entry entry) {
  auto const msg = nlohmann::json::parse(entry.msg, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) co_return delivery_outcome{delivery_outcome::kind::failed, "unreadable outbound message"};
  std::string to_address;
  auto const resident = msg.find("resident");
  auto const addresses = resident == msg.end() ? msg.end() : resident->find("addresses");
  if (resident != msg.end() && addresses != resident->end() && addresses->is_array())
    for (auto const& a : *addresses)
      if (json_fields::text(a, "kind") == "email" && to_address.empty()) to_address = json_fields::text(a, "value");
  if (to_address.empty()) co_return delivery_outcome{delivery_outcome::kind::failed, "no email address to send to"};
  auto const rfc_message_id = email::outbound_message_id(entry.case_id, entry.message_id, identity_.domain);
  // The relay took it already and only the recording failed: record, never send twice.
  if (!relayed_.count(entry.id)) {
    auto const mail = co_await compose(entry, msg, to_address, rfc_message_id);
    if (!mail) co_return mail.error();
    auto const verp = email::verp_sender(entry.case_id, entry.message_id, identity_);
    // By reference: the coroutine waits for the transfer, so they outlive it (see channels/awaited.hpp).
    auto const result = co_await awaited_on(
        worker_, [this, &verp, &to_address, &mail] { return transport_(config_, verp, to_address, *mail, cancelled_); });
    {
      std::lock_guard lock(relay_mutex_);
      relay_ = result ? std::pair{relay_state::answered, std::string{}} : std::pair{result.error().relay, result.error().detail};
    }
    if (!result)
      co_return delivery_outcome{result.error().permanent ? delivery_outcome::kind::failed : delivery_outcome::kind::retry, result.error().detail};
    relayed_.insert(entry.id);
  }
  // The recipient takes part in the case, and an answer to this Message-ID finds it.
  auto const unavailable = delivery_outcome{delivery_outcome::kind::store_unavailable, "the case store is unavailable"};
  auto const [recorded] = co_await awaited<error_code>([this, &entry, &to_address, &rfc_message_id](auto done) {
    threads_.record_sent(entry.case_id, ascii_lower(to_address), rfc_message_id, std::move(done));
  });
  if (recorded) co_return unavailable;
  queue::delivery_update const u{entry.case_id, entry.message_id, "sent", entry.attempts + 1, "", format_rfc3339(clock_())};
  auto const [reported, ignored] = co_await awaited<error_code, queue::action_result>(
      [this, &u](auto done) { workflow_.report_delivery(u, std::move(done)); });
  if (reported) co_return unavailable;
  log::info("email.sent", {{"case_id", entry.case_id}, {"message_id", entry.message_id}});
  relayed_.erase(entry.id);
  co_return delivery_outcome{};
}

// The case (subject, reference, earlier Message-IDs, reply token) → the mail as it goes to the relay.
asio::awaitable<boost::system::result<std::string, delivery_outcome>> email_sender::compose(
    outbox_entry const& entry, nlohmann::json const& msg, std::string const& to_address, std::string const& rfc_message_id) {
  auto const unavailable = delivery_outcome{delivery_outcome::kind::store_unavailable, "the case store is unavailable"};
  auto const [ec, record] = co_await awaited<error_code, queue::case_record>(
      [this, &entry](auto done) { store_.read_case(entry.case_id, max_case_messages, std::move(done)); });
  auto const& c = record;  // a lambda below reads it: clang 14 captures no structured binding
  if (ec) co_return unavailable;
  if (c.summary.fields.empty()) co_return delivery_outcome{delivery_outcome::kind::failed, "the case no longer exists"};
  auto const field = [&c](char const* k) {
    auto it = c.summary.fields.find(k);
    return it == c.summary.fields.end() ? std::string{} : it->second;
  };
  email::outbound_mail m;
  // References: every Message-ID of this case's mail so far, oldest first; In-Reply-To: the resident's last.
  for (auto const& stored : c.messages) {
    auto const j = nlohmann::json::parse(stored.json, nullptr, false);
    if (json_fields::text(j, "channel") != "email" || json_fields::text(j, "id") == entry.message_id) continue;
    if (json_fields::text(j, "direction") == "inbound") {
      auto const id = json_fields::text(j, "provider_message_id");
      if (id.empty() || id.rfind("sha256:", 0) == 0) continue;
      m.references.push_back(id);
      m.in_reply_to = id;
    } else {
      m.references.push_back(email::outbound_message_id(entry.case_id, json_fields::text(j, "id"), identity_.domain));
    }
  }
  auto token = field("email_token");
  if (token.empty()) {
    // The case's first mail: its reply token is made once and kept, whoever sends first.
    auto const [failed, kept] = co_await awaited<error_code, std::string>(
        [this, &entry](auto done) { threads_.reply_token(entry.case_id, random_token(), std::move(done)); });
    if (failed || kept.empty()) co_return unavailable;
    token = kept;
  }
  m.from_address = identity_.own_addresses.empty() ? "info@" + identity_.domain : identity_.own_addresses.front();
  m.from_name = config_.from_name;
  m.to_address = to_address;
  auto const resident = msg.find("resident");
  m.to_name = one_line(resident == msg.end() ? std::string{} : json_fields::text(*resident, "name"));
  m.reply_to = email::reply_address(token, identity_);
  auto subject = json_fields::text(msg, "subject");
  auto const case_subject = field("subject"), reference = field("reference");
  if (subject.empty()) subject = reply_subject(case_subject);
  if (subject.empty()) subject = texts_->text("email.reply.subject");
  if (!reference.empty() && subject.find(reference) == std::string::npos) subject += " [" + reference + "]";
  m.subject = one_line(subject);  // subjects come from residents' mail: a line break must not become a header
  m.message_id = rfc_message_id;
  m.text = json_fields::text(msg, "text");
  auto const automatic = msg.find("auto_generated");
  m.automatic = automatic != msg.end() && automatic->is_boolean() && automatic->get<bool>();
  m.date = clock_();
  m.boundary = random_boundary();
  auto composed = email::compose_mail(m);
  if (!composed) co_return delivery_outcome{delivery_outcome::kind::failed, composed.error().detail};
  co_return std::move(*composed);
}

std::pair<relay_state, std::string> email_sender::relay() const {
  std::lock_guard lock(relay_mutex_);
  return relay_;
}

} // namespace balie::email
