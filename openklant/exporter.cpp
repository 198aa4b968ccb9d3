#include "openklant/exporter.hpp"

#include "channels/awaited.hpp"
#include "channels/json_fields.hpp"
#include "channels/webhook_signatures.hpp"
#include "openklant/answers.hpp"
#include "openklant/klantcontact.hpp"
#include "queue/case_store.hpp"
#include "queue/keys.hpp"
#include "queue/lua_script.hpp"
#include "queue/outbox_worker.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>

#include <set>

namespace balie::openklant {
namespace asio = boost::asio;
using boost::system::error_code;
using nlohmann::json;
using json_fields::text;
using kind = delivery_outcome::kind;
namespace {

/// More messages than any case holds; the store reads them all.
constexpr std::size_t max_messages = 100'000;
/// Pages of a lookup; beyond this a reference is no case of Balie's.
constexpr int max_pages = 50;
constexpr std::chrono::milliseconds max_backoff{30 * 60 * 1000};
/// The longest answer read: a page of klantcontacten (100 by default) with their links.
constexpr std::size_t max_answer = std::size_t{4} * 1024 * 1024;

/// Stores the uuids Open Klant gave, unless the case was destroyed meanwhile.
/// ARGV: 1 the case hash, 2 its hand-over hash, 3.. field, value, ...
queue::lua_script const& remember_script() {
  static queue::lua_script const s(R"lua(#!lua
if redis.call('EXISTS', ARGV[1]) == 0 then return 0 end
redis.call('HSET', ARGV[2], unpack(ARGV, 3))
return 1
)lua");
  return s;
}

json const& member(json const& object, char const* name) {
  static json const none;
  if (!object.is_object()) return none;
  auto const it = object.find(name);
  return it == object.end() ? none : *it;
}

std::string value_of(std::map<std::string, std::string> const& m, std::string const& key) {
  auto const it = m.find(key);
  return it == m.end() ? std::string{} : it->second;
}

/// A request body; text that is not UTF-8 (never from intake, but stored data is not trusted) is replaced, not thrown on.
std::string body_of(json const& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

delivery_outcome outcome_of(api_result const& r) {
  if (r.outcome == api_result::kind::refused) return {kind::failed, r.detail};
  return {kind::retry, r.detail, std::chrono::duration_cast<std::chrono::milliseconds>(r.retry_after)};
}

} // namespace

exporter::exporter(openklant_config config, outbox_config outbox, std::shared_ptr<queue::redis_connection> own,
                   std::shared_ptr<queue::redis_connection> shared, queue::case_store& store, queue::case_workflow& workflow, clock_fn clock,
                   channels::outbound_call call, server::metrics* stats)
    : config_(std::move(config)), outbox_config_(outbox), own_(std::move(own)), redis_(std::move(shared)), store_(store),
      workflow_(workflow), clock_(std::move(clock)), call_(std::move(call)), stats_(stats) {}

exporter::~exporter() { calls_.join(); }

void exporter::start() {
  queue::outbox_settings settings{std::string(queue::keys::handover_channel), outbox_config_.takeover_after, outbox_config_.block,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(config_.retry_initial), max_backoff,
                                  config_.max_attempts};
  settings.reports_delivery = false;  // an entry is a whole case, no message of it
  worker_ = std::make_shared<queue::outbox_worker>(
      own_, workflow_, std::move(settings), clock_,
      [weak = weak_from_this()](outbox_entry const& e, delivery_done done) {
        if (auto self = weak.lock()) return self->deliver(e, std::move(done));
        done({kind::store_unavailable, "stopping"});
      },
      server::outbox_log("openklant", stats_));
  worker_->start();
}

void exporter::stop() {
  cancelled_ = true;  // a call in flight is abandoned; the case stays pending and resumes after the restart
  if (worker_) worker_->stop();
}

handover_health exporter::health() const {
  std::lock_guard lock(health_mutex_);
  return health_;
}

void exporter::note(handover_health h) {
  std::lock_guard lock(health_mutex_);
  health_ = std::move(h);
}

void exporter::deliver(outbox_entry const& entry, delivery_done done) {
  asio::co_spawn(own_->strand(), hand_over(shared_from_this(), entry), [done = std::move(done)](std::exception_ptr e, delivery_outcome o) {
    if (e) return done({kind::retry, "the hand-over could not be prepared"});
    done(std::move(o));
  });
}

// Runs on the outbox worker's strand, and so does every step below.
asio::awaitable<delivery_outcome> exporter::hand_over([[maybe_unused]] std::shared_ptr<exporter> self, outbox_entry entry) {
  delivery_outcome const unavailable{kind::store_unavailable, "the case store is unavailable"};
  auto const& case_id = entry.case_id;
  auto const [read_failed, record] = co_await awaited<error_code, queue::case_record>(
      [this, &case_id](auto done) { store_.read_case(case_id, max_messages, std::move(done)); });
  if (read_failed) co_return unavailable;
  if (record.summary.fields.empty()) {
    server::log::info("openklant.case_gone", {{"case_id", case_id}});  // destroyed before its hand-over
    co_return delivery_outcome{};
  }
  auto const [failed, stored] = co_await awaited<error_code, queue::redis_reply>(
      [this, &case_id](auto done) { redis_->execute({"HGETALL", queue::keys::case_handover(case_id)}, std::move(done)); });
  if (failed || stored.is_error()) co_return unavailable;
  auto done = queue::pairs(stored);

  auto const& f = record.summary.fields;
  case_facts const facts{case_id, value_of(f, "reference"), value_of(f, "subject"), value_of(f, "confidential") == "1"};
  // A long case yields now and then (another instance must not take it over while it still runs).
  auto const yield_at = std::chrono::steady_clock::now() + outbox_config_.takeover_after / 3;
  int handed = 0;
  for (auto const& m : record.messages) {
    auto const message = json::parse(m.json, nullptr, false);
    auto const id = text(message, "id");
    if (id.empty() || done.count(id + ":done")) continue;
    auto const d = record.delivery.find(id);
    auto const delivery = d == record.delivery.end() ? json() : json::parse(d->second, nullptr, false);
    auto const moment = contact_moment_for(message, facts, delivery, value_of(done, text(message, "in_reply_to")), config_);
    if (!moment) continue;
    if (std::chrono::steady_clock::now() >= yield_at) co_return delivery_outcome{kind::store_unavailable, "to be continued"};
    auto outcome = co_await hand_over_message(case_id, *moment, done);
    if (outcome.outcome != kind::done) co_return outcome;
    ++handed;
  }
  server::log::info("openklant.handed_over", {{"case_id", case_id}, {"contacts", std::to_string(handed)}});
  co_return delivery_outcome{};
}

asio::awaitable<delivery_outcome> exporter::hand_over_message(std::string const& case_id, contact_moment const& m, progress& done) {
  delivery_outcome const unavailable{kind::store_unavailable, "the case store is unavailable"};
  auto const& id = m.message_id;
  auto klantcontact = value_of(done, id), betrokkene = value_of(done, id + ":betrokkene");
  bool fresh = false;  // made in this attempt: nothing of it can exist yet
  if (klantcontact.empty()) {
    // Made before, its uuid lost? The same reference, kanaal and moment, not yet another message's.
    std::set<std::string> taken;
    for (auto const& [field, uuid] : done)
      if (field.find(':') == std::string::npos) taken.insert(uuid);
    std::string const query = "klantcontacten?referentienummer=" +
                              channels::percent_encode(text(member(m.request, "klantcontact"), "referentienummer")) +
                              "&kanaal=" + channels::percent_encode(m.kanaal);
    auto const earlier = co_await list(query);
    if (earlier.outcome != api_result::kind::ok) co_return outcome_of(earlier);
    for (auto const& c : member(earlier.body, "results")) {
      auto const at = parse_rfc3339(text(c, "plaatsgevondenOp"));
      auto const uuid = text(c, "uuid");
      if (!at || *at != m.occurred || uuid.empty() || taken.count(uuid)) continue;
      klantcontact = uuid;
      for (auto const& b : member(c, "hadBetrokkenen"))
        if (betrokkene.empty()) betrokkene = text(b, "uuid");
      break;
    }
    if (klantcontact.empty()) {
      channels::outbound_request const request{"POST", config_.url + "/maak-klantcontact", {}, body_of(m.request)};
      std::string const what = "POST /maak-klantcontact";
      auto const made = co_await call(request, 201, what);
      if (made.outcome != api_result::kind::ok) co_return outcome_of(made);
      klantcontact = text(member(made.body, "klantcontact"), "uuid");
      betrokkene = text(member(made.body, "betrokkene"), "uuid");
      if (klantcontact.empty()) co_return delivery_outcome{kind::retry, what + ": an answer without the klantcontact's uuid"};
      fresh = true;
    }
    std::vector<std::string> fields{id, klantcontact};
    if (!betrokkene.empty()) fields.insert(fields.end(), {id + ":betrokkene", betrokkene});
    if (!co_await remember(case_id, std::move(fields))) co_return unavailable;
    done[id] = klantcontact;
  }
  if (betrokkene.empty()) {
    // A klantcontact without the resident (made by hand?): the resident joins it.
    json body = member(m.request, "betrokkene");
    body["hadKlantcontact"] = {{"uuid", klantcontact}};
    channels::outbound_request const request{"POST", config_.url + "/betrokkenen", {}, body_of(body)};
    std::string const what = "POST /betrokkenen";
    auto const made = co_await call(request, 201, what);
    if (made.outcome != api_result::kind::ok) co_return outcome_of(made);
    betrokkene = text(made.body, "uuid");
    if (betrokkene.empty()) co_return delivery_outcome{kind::retry, what + ": an answer without the betrokkene's uuid"};
    std::vector<std::string> fields{id + ":betrokkene", betrokkene};
    if (!co_await remember(case_id, std::move(fields))) co_return unavailable;
  }
  if (m.address) {
    bool exists = false;
    if (!fresh) {
      std::string const query = "digitaleadressen?verstrektDoorBetrokkene__uuid=" + channels::percent_encode(betrokkene);
      auto const given = co_await list(query);
      if (given.outcome != api_result::kind::ok) co_return outcome_of(given);
      for (auto const& a : member(given.body, "results")) exists = exists || text(a, "adres") == text(*m.address, "adres");
    }
    if (!exists) {
      json body = *m.address;
      body["verstrektDoorBetrokkene"] = {{"uuid", betrokkene}};
      channels::outbound_request const request{"POST", config_.url + "/digitaleadressen", {}, body_of(body)};
      std::string const what = "POST /digitaleadressen";
      auto const made = co_await call(request, 201, what);
      if (made.outcome != api_result::kind::ok) co_return outcome_of(made);
    }
  }
  if (!m.attachments.empty()) {
    std::set<std::pair<std::string, std::string>> present;
    if (!fresh) {
      std::string const query = "bijlagen?klantcontact__uuid=" + channels::percent_encode(klantcontact);
      auto const attached = co_await list(query);
      if (attached.outcome != api_result::kind::ok) co_return outcome_of(attached);
      for (auto const& b : member(attached.body, "results")) {
        auto const& i = member(b, "bijlageidentificator");
        present.emplace(text(i, "objectId"), text(i, "codeObjecttype"));
      }
    }
    for (auto const& a : m.attachments) {
      if (!present.emplace(text(a, "objectId"), text(a, "codeObjecttype")).second) continue;  // there, or twice in one message
      json const body = {{"wasBijlageVanKlantcontact", {{"uuid", klantcontact}}}, {"bijlageidentificator", a}};
      channels::outbound_request const request{"POST", config_.url + "/bijlagen", {}, body_of(body)};
      std::string const what = "POST /bijlagen";
      auto const made = co_await call(request, 201, what);
      if (made.outcome != api_result::kind::ok) co_return outcome_of(made);
    }
  }
  std::vector<std::string> fields{id + ":done", "1"};
  if (!co_await remember(case_id, std::move(fields))) co_return unavailable;
  done[id + ":done"] = "1";
  co_return delivery_outcome{};
}

asio::awaitable<api_result> exporter::list(std::string const& query) {
  api_result all{api_result::kind::ok, {{"results", json::array()}}, ""};
  std::string const what = "GET /" + query.substr(0, query.find('?'));  // the filter's values stay out of logs
  for (int page = 1; page <= max_pages; ++page) {
    channels::outbound_request const request{"GET", config_.url + "/" + query + "&page=" + std::to_string(page), {}, {}};
    auto const answer = co_await call(request, 200, what);
    if (answer.outcome != api_result::kind::ok) co_return answer;
    for (auto const& r : member(answer.body, "results")) all.body["results"].push_back(r);
    if (!member(answer.body, "next").is_string()) break;
  }
  co_return all;
}

asio::awaitable<api_result> exporter::call(channels::outbound_request const& r, long expected, std::string const& what) {
  auto request = r;
  request.headers = {{"Authorization", "Token " + config_.token}, {"Accept", "application/json"}};
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.max_answer = max_answer;
  // By reference: the coroutine waits for the call, so they outlive it (see channels/awaited.hpp).
  auto const answer = co_await awaited_on(calls_, [this, &request] { return call_(request, config_.timeout, cancelled_); });
  auto result = read_answer(answer, expected, what);
  switch (result.outcome) {
    case api_result::kind::ok:
    case api_result::kind::refused: note({"up", ""}); break;
    case api_result::kind::unavailable: note({"down", result.detail}); break;
    case api_result::kind::bad_credentials: note({"bad-credentials", result.detail}); break;
  }
  co_return result;
}

asio::awaitable<bool> exporter::remember(std::string const& case_id, std::vector<std::string> fields) {
  std::vector<std::string> args{queue::keys::case_hash(case_id), queue::keys::case_handover(case_id)};
  args.insert(args.end(), std::make_move_iterator(fields.begin()), std::make_move_iterator(fields.end()));
  auto const [ec, reply] = co_await awaited<error_code, queue::redis_reply>(
      [this, &args](auto done) { remember_script().run(*redis_, {}, args, std::move(done)); });
  co_return !ec && !reply.is_error();
}

} // namespace balie::openklant
