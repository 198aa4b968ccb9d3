#include "gateway/privacy_backfill.hpp"

#include "channels/awaited.hpp"
#include "channels/bsn.hpp"
#include "gateway/staff_views.hpp"
#include "queue/errc.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/system/system_error.hpp>

#include <random>

namespace balie::gateway {
namespace asio = boost::asio;
using boost::system::error_code;
namespace {

/// Longer than one batch takes; renewed with every batch.
constexpr std::chrono::seconds lock_ttl{300};
constexpr std::size_t stream_batch = 500;
constexpr std::size_t case_batch = 100;

struct what_it_says {
  bool confidential = false;
  std::string topic;
};

/// Off the Redis strand: the messages a case holds, parsed.
what_it_says read_messages(queue::case_record const& c) {
  what_it_says out;
  for (auto const& stored : c.messages) {
    auto const m = stored_case_message(stored);
    if (!m) continue;
    if (out.topic.empty() && m->routing && m->routing->topic) out.topic = *m->routing->topic;
    if (m->direction != direction::inbound) continue;
    if (m->classification.confidential || m->classification.possible_bsn || contains_possible_bsn(m->text) ||
        contains_possible_bsn(m->subject.value_or("")))
      out.confidential = true;
  }
  return out;
}


/// One command; `args` is a named local of the awaiting coroutine (never a temporary in a co_await: GCC 12).
auto command(queue::redis_connection& redis, std::vector<std::string> const& args) {
  return awaited<error_code, queue::redis_reply>([&redis, &args](auto done) { redis.execute(args, std::move(done)); });
}

/// Every shared stream a case can have entries in: the inboxes', the outbound and dead-letter streams.
asio::awaitable<std::pair<error_code, std::vector<std::string>>> shared_streams(queue::redis_connection& redis) {
  std::vector<std::string> out;
  std::vector<std::string> const members = {"SMEMBERS", std::string(queue::keys::inboxes)};
  auto [ec, inboxes] = co_await command(redis, members);
  if (ec) co_return std::pair{ec, out};
  for (auto const& i : inboxes.elements) out.push_back(queue::keys::inbox_stream(i.str));
  for (auto const* pattern : {"balie:out:{*}", "balie:dead:{*}"}) {
    std::string cursor = "0";
    do {
      std::vector<std::string> const scan = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "stream"};
      auto [failed, page] = co_await command(redis, scan);
      if (failed || page.elements.size() != 2) co_return std::pair{failed ? failed : error_code(queue::errc::unexpected_reply), out};
      cursor = page.elements[0].str;
      for (auto const& k : page.elements[1].elements) out.push_back(k.str);
    } while (cursor != "0");
  }
  co_return std::pair{error_code{}, out};
}

/// The pass itself (a free function: a coroutine's arguments live in its frame, a lambda's captures would not).
asio::awaitable<bool> run_pass(std::shared_ptr<queue::redis_connection> redis_ptr, queue::case_store& store,
                               std::shared_ptr<queue::case_search> search, std::shared_ptr<queue::case_retention> retention,
                               asio::thread_pool& work, std::function<retention_config()> terms_of) {
  auto& redis = *redis_ptr;
  std::vector<std::string> const get_mark = {"GET", std::string(queue::keys::privacy_backfilled)};
  auto [ec, mark] = co_await command(redis, get_mark);
  if (ec) throw boost::system::system_error(ec);
  if (mark.type == queue::redis_reply::kind::string) co_return true;
  std::random_device rd;
  auto const owner = std::to_string(rd()) + "-" + std::to_string(rd());
  auto const lock = std::string(queue::keys::privacy_backfill_lock);
  auto [lock_ec, mine] = co_await awaited<error_code, bool>([&](auto d) { retention->lock(lock, owner, lock_ttl, std::move(d)); });
  if (lock_ec) throw boost::system::system_error(lock_ec);
  if (!mine) {
    server::log::info("privacy.backfill.busy");
    co_return false;
  }
  server::log::info("privacy.backfill.started");
  // 1. Entries in shared streams, recorded on their cases.
  auto [streams_ec, streams] = co_await shared_streams(redis);
  if (streams_ec) throw boost::system::system_error(streams_ec);
  std::size_t entries = 0;
  for (auto const& stream : streams) {
    std::string from = "-";
    for (;;) {
      std::vector<std::string> const range = {"XRANGE", stream, from, "+", "COUNT", std::to_string(stream_batch)};
      auto [read_ec, page] = co_await command(redis, range);
      if (read_ec) throw boost::system::system_error(read_ec);
      std::vector<std::pair<std::string, std::string>> found;
      for (auto const& e : page.elements) {
        if (e.elements.size() != 2) continue;
        auto const f = queue::pairs(e.elements[1]);
        auto const c = f.find("case_id");
        if (c != f.end() && !c->second.empty()) found.emplace_back(c->second, stream + " " + e.elements[0].str);
      }
      auto [track_ec] = co_await awaited<error_code>([&](auto d) { retention->track_entries(found, std::move(d)); });
      if (track_ec) throw boost::system::system_error(track_ec);
      entries += found.size();
      retention->renew(lock, owner, lock_ttl);
      if (page.elements.size() < stream_batch) break;
      from = "(" + page.elements.back().elements[0].str;
    }
  }
  // 2. Every case: files counted, confidential flag, topic, retention term.
  std::size_t cases = 0;
  auto const terms = terms_of();
  for (auto const& inbox : streams) {
    if (inbox.rfind("balie:inbox:{", 0) != 0) continue;
    auto const id_of_inbox = inbox.substr(13, inbox.size() - 14);
    for (std::size_t offset = 0;; offset += case_batch) {
      auto [page_ec, ids, more] = co_await awaited<error_code, std::vector<std::string>, bool>(
          [&](auto d) { search->cases_page(id_of_inbox, offset, case_batch, std::move(d)); });
      if (page_ec) throw boost::system::system_error(page_ec);
      for (auto const& id : ids) {
        auto [read_ec, record] = co_await awaited<error_code, queue::case_record>(
            [&](auto d) { store.read_case(id, max_case_messages, std::move(d)); });
        if (read_ec) throw boost::system::system_error(read_ec);
        if (record.summary.fields.empty()) continue;
        auto const* c = &record;
        auto const says = co_await awaited_on(work, [c] { return read_messages(*c); });
        auto const closed = non_negative_number(field(record.summary, "closed_at"));
        auto const plan = terms.plan(timestamp{std::chrono::milliseconds{closed.value_or(0)}}).json();
        auto [fill_ec] = co_await awaited<error_code>(
            [&](auto d) { retention->backfill_case(id, plan, says.confidential, says.topic, std::move(d)); });
        if (fill_ec) throw boost::system::system_error(fill_ec);
        ++cases;
      }
      retention->renew(lock, owner, lock_ttl);
      if (!more) break;
    }
  }
  std::vector<std::string> const set_mark = {"SET", std::string(queue::keys::privacy_backfilled), "1"};
  auto [mark_ec, marked] = co_await command(redis, set_mark);
  if (mark_ec) throw boost::system::system_error(mark_ec);
  retention->unlock(lock, owner);
  server::log::info("privacy.backfill.done", {{"cases", std::to_string(cases)}, {"entries", std::to_string(entries)}});
  co_return true;
}

} // namespace

privacy_backfill::privacy_backfill(asio::any_io_executor executor, std::shared_ptr<queue::redis_connection> redis, queue::case_store& store,
                                   std::shared_ptr<queue::case_search> search, std::shared_ptr<queue::case_retention> retention,
                                   asio::thread_pool& work, std::function<retention_config()> terms)
    : executor_(std::move(executor)), redis_(std::move(redis)), store_(store), search_(std::move(search)), retention_(std::move(retention)),
      work_(work), terms_(std::move(terms)) {}

void privacy_backfill::start(std::function<void(bool)> done) {
  if (running_.exchange(true)) return;
  auto self = shared_from_this();
  asio::co_spawn(executor_, run_pass(redis_, store_, search_, retention_, work_, terms_), [self, done = std::move(done)](std::exception_ptr e, bool finished) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {  // the lock expires; the next start runs the pass again
        server::log::warn("privacy.backfill.stopped", {{"error", ex.what()}});
      }
      finished = false;
    }
    self->running_ = false;
    if (done) done(finished);
  });
}

} // namespace balie::gateway
