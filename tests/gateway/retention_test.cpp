// Retention and destruction against a real redis-server and a real folder of
// files, with the clock passed in: a case past its term disappears entirely
// (a scan of every key, field, member and stream entry proves nothing of it
// remains), a file another case refers to survives, a legal hold and an open
// case stop it, a destruction that stopped half-way is finished by the next
// run, the destruction list has the entry and the reference is never given
// out again; the operational terms trim the events and empty the spool.
#include "channels/attachment_store.hpp"
#include "gateway/destruction_job.hpp"
#include "gateway/privacy_backfill.hpp"
#include "queue/case_search.hpp"
#include "queue/case_retention.hpp"
#include "queue/email_threads.hpp"
#include "queue/keys.hpp"
#include "queue/sms_numbers.hpp"
#include "tests/support/queue_stack.hpp"

#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace balie;
using namespace balie::queue;
using namespace balie::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using action = std::pair<boost::system::error_code, action_result>;
/// 15 January 2027, 08:00 UTC: the moment the cases are closed.
constexpr long long t0 = 1'800'000'000'000;
constexpr long long day = 24LL * 3600 * 1000;
/// 15 January 2028 08:00 UTC is one year after t0 (2027 is no leap year): worked out by hand.
constexpr long long one_year_later = t0 + 365 * day;

struct retention_stack : queue_stack {
  temp_dir files_dir;
  channels::attachment_store files{files_dir.path};
  case_workflow flow{h->redis};
  std::shared_ptr<case_retention> retention = std::make_shared<case_retention>(h->redis);
  boost::asio::thread_pool file_work{1};
  long long now = t0;
  std::shared_ptr<gateway::destruction_job> job = std::make_shared<gateway::destruction_job>(
      boost::asio::make_strand(h->ioc), retention, file_work, [this] { return timestamp{std::chrono::milliseconds{now}}; });
  gateway::retention_config terms = gateway::default_retention();
  id_source ids;
  int calls = 0;

  /// A new installation: its one-time pass over older cases has nothing to do and is marked done at once.
  retention_stack() { server.command({"SET", std::string(keys::privacy_backfilled), "1"}); }
  ~retention_stack() { file_work.join(); }

  /// A new case in `inbox` with a file (its bytes) from the resident, stored as channels store them.
  case_message with_file(std::string const& bytes, std::string const& inbox = "telefoon") {
    auto m = phone_message(ids, "call-" + std::to_string(++calls));
    m.routing->inbox = inbox;
    auto const f = files.put(bytes);
    m.attachments.push_back({"brief.pdf", "application/pdf", bytes.size(), f.sha256, f.ref});
    return m;
  }
  std::string store_case(case_message const& m, std::string const& conversation = {}, thread_lookup const& thread = {}) {
    std::promise<std::pair<boost::system::error_code, enqueue_result>> p;
    store->enqueue(m, "k:" + m.id, true, [&](boost::system::error_code ec, enqueue_result r) { p.set_value({ec, r}); }, conversation, thread,
                   std::nullopt, case_index{{"w:paspoort", "w:verlopen"}, "Mijn paspoort is verlopen"});
    auto const [ec, r] = p.get_future().get();
    REQUIRE(!ec);
    return r.case_id;
  }
  void close(std::string const& id, long long at) {
    auto const [ec, r] = await<action>([&](auto done) {
      flow.close(id, "anna", at, std::chrono::hours(24 * 30), done, terms.plan(timestamp{std::chrono::milliseconds{at}}).json());
    });
    REQUIRE(!ec);
    REQUIRE(r.status == action_status::done);
  }
  gateway::destruction_report run(long long at, fs::path spool = {}) {
    now = at;
    gateway::destruction_settings s{terms, {files_dir.path}, std::move(spool)};
    return await<gateway::destruction_report>([&](auto done) { job->run_once(s, done); });
  }
  fs::path file_of(std::string const& bytes) const { return files_dir.path / channels::attachment_store::ref_of(sha256_hex(bytes)); }

  /// Every key with everything it holds, as text: names, values, fields, members, scores, stream entries.
  std::map<std::string, std::string> everything() {
    std::map<std::string, std::string> out;
    std::string cursor = "0";
    do {
      auto const page = server.list({"SCAN", cursor, "COUNT", "1000"});
      REQUIRE(!page.empty());
      cursor = page[0];
      for (std::size_t i = 1; i < page.size(); ++i) {
        auto const& key = page[i];
        auto const type = server.command({"TYPE", key});
        std::vector<std::string> content;
        if (type == "string") content = {server.command({"GET", key})};
        else if (type == "hash") content = server.list({"HGETALL", key});
        else if (type == "set") content = server.list({"SMEMBERS", key});
        else if (type == "zset") content = server.list({"ZRANGE", key, "0", "-1", "WITHSCORES"});
        else if (type == "list") content = server.list({"LRANGE", key, "0", "-1"});
        else if (type == "stream") content = server.list({"XRANGE", key, "-", "+"});
        std::string text;
        for (auto const& c : content) text += c + "\n";
        out[key] = text;
      }
    } while (cursor != "0");
    return out;
  }
};


} // namespace

TEST_CASE("a case past its term is destroyed entirely: no key, field, member or stream entry of it remains") {
  retention_stack s;
  email_threads threads(*s.h->redis);
  sms_numbers numbers(s.h->redis);
  auto m = s.with_file("%PDF- een brief van Jan Jansen");
  m.channel = channel::webchat;
  thread_lookup const thread{{}, "+31600000001", {keys::email_message("<vraag-1@bewoner.gemeente.test>")}, std::chrono::seconds(3600)};
  auto const id = s.store_case(m, "gesprek-01", thread);
  // What a case gathers on its way: a reply on the outbound stream, a note, a reply token, a sent Message-ID, a recent SMS.
  reply_request const reply{id, "anna", t0 - 1000, 60'000ms, s.ids.ulid(system_now()), "sms",
                            R"({"text":"Uw nieuwe paspoort ligt klaar."})", R"({"status":"queued","attempts":0})", ""};
  REQUIRE(await<action>([&](auto d) { s.flow.reply(reply, d); }).second.status == action_status::done);
  REQUIRE(await<action>([&](auto d) { s.flow.add_note(id, "anna", "Gebeld met de balie.", t0 - 500, d); }).second.status == action_status::done);
  REQUIRE(!await<std::pair<boost::system::error_code, std::string>>([&](auto d) { threads.reply_token(id, "tok3n", d); }).first);
  REQUIRE(!await<boost::system::error_code>([&](auto d) { threads.record_sent(id, "jan@bewoner.gemeente.test", "antwoord-1@balie.gemeente.test", d); }));
  REQUIRE(!await<boost::system::error_code>([&](auto d) { numbers.record_sent(id, "+31600000001", 3600s, d); }));
  s.close(id, t0);

  auto const before = s.everything();
  auto const reference = m.reference;
  CHECK(s.server.command({"HGET", keys::case_hash(id), "retention_class"}) == "informatieverzoek");
  CHECK(s.server.command({"ZSCORE", std::string(keys::retention), id}) == std::to_string(one_year_later));
  CHECK(fs::exists(s.file_of("%PDF- een brief van Jan Jansen")));

  SUBCASE("not a day early") {
    auto const r = s.run(one_year_later - 1);
    CHECK(r.ran);
    CHECK(r.destroyed == 0);
    CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "1");
    CHECK(fs::exists(s.file_of("%PDF- een brief van Jan Jansen")));
  }
  SUBCASE("once the term has ended") {
    auto const r = s.run(one_year_later);
    CHECK(r.error == "");
    CHECK(r.destroyed == 1);
    CHECK(r.files_removed == 1);
    CHECK_FALSE(fs::exists(s.file_of("%PDF- een brief van Jan Jansen")));
    // The scan: what is left names neither the case, its message, its file, its conversation nor its token.
    auto const after = s.everything();
    CHECK(before.size() > after.size());
    for (auto const& entry : after) {  // no structured binding: clang 14 cannot capture one in INFO
      auto const& key = entry.first;
      auto const& text = entry.second;
      INFO(key);
      bool const record = key == keys::audit || key == keys::destroyed || key == keys::reference(reference);
      // A dedup mark (provider id → message) expires by itself, after days: long before any term ends.
      bool const expiring = key.rfind("balie:dedup:", 0) == 0;
      if (expiring) CHECK(s.server.integer({"TTL", key}) > 0);
      if (expiring) continue;
      if (!record) {
        CHECK(key.find(id) == std::string::npos);
        CHECK(text.find(id) == std::string::npos);
        CHECK(text.find(reference) == std::string::npos);
      }
      CHECK(text.find(m.id) == std::string::npos);
      CHECK(text.find("Jan Jansen") == std::string::npos);
      CHECK(text.find("paspoort") == std::string::npos);
      CHECK(text.find(sha256_hex("%PDF- een brief van Jan Jansen")) == std::string::npos);
      CHECK(key.find("gesprek-01") == std::string::npos);
      CHECK(key.find("tok3n") == std::string::npos);
    }
    CHECK(s.server.integer({"XLEN", keys::outbound("sms")}) == 0);
    for (auto const* gone : {"balie:sms:recent:", "balie:email:msgid:", "balie:email:token:"})
      for (auto const& entry : after) CHECK_MESSAGE(entry.first.rfind(gone, 0) == std::string::npos, entry.first);
    // The reference stays reserved, without the case id; a new case cannot take it.
    CHECK(s.server.command({"GET", keys::reference(reference)}) == "destroyed");
    auto again = phone_message(s.ids, "call-again");
    again.reference = reference;
    CHECK(enqueue(*s.store, again, "k:again").first == errc::reference_taken);
    // The destruction list: what, which class, when; no contents, no case id.
    auto const list = s.server.list({"XRANGE", std::string(keys::destroyed), "-", "+"});
    std::string entry;
    for (auto const& l : list) entry += l + "\n";
    CHECK(entry.find("reference\n" + reference + "\n") != std::string::npos);
    CHECK(entry.find("class\ninformatieverzoek\n") != std::string::npos);
    CHECK(entry.find("closed_at\n" + std::to_string(t0) + "\n") != std::string::npos);
    CHECK(entry.find("destroyed_at\n" + std::to_string(one_year_later) + "\n") != std::string::npos);
    CHECK(entry.find("approved_by\nbalie\n") != std::string::npos);
    CHECK(entry.find(id) == std::string::npos);
    // A second run finds nothing more to do.
    CHECK(s.run(one_year_later + day).destroyed == 0);
  }
}

TEST_CASE("a file another case refers to survives; it goes with the last case that refers to it") {
  retention_stack s;
  auto const first = s.store_case(s.with_file("gedeeld bestand"));
  auto const second = s.store_case(s.with_file("gedeeld bestand"));
  CHECK(s.server.command({"HGET", std::string(keys::files), sha256_hex("gedeeld bestand")}) == "2");
  s.close(first, t0);
  s.close(second, t0 + 30 * day);
  auto r = s.run(one_year_later);
  CHECK(r.destroyed == 1);
  CHECK(r.files_removed == 0);
  CHECK(fs::exists(s.file_of("gedeeld bestand")));
  CHECK(s.server.command({"HGET", std::string(keys::files), sha256_hex("gedeeld bestand")}) == "1");
  CHECK(s.server.command({"EXISTS", keys::case_hash(second)}) == "1");
  r = s.run(one_year_later + 30 * day);
  CHECK(r.destroyed == 1);
  CHECK(r.files_removed == 1);
  CHECK_FALSE(fs::exists(s.file_of("gedeeld bestand")));
  CHECK(s.server.command({"HEXISTS", std::string(keys::files), sha256_hex("gedeeld bestand")}) == "0");
}

TEST_CASE("open cases and cases under legal hold are never destroyed; a lifted hold lets the term run again") {
  retention_stack s;
  auto const open = s.store_case(s.with_file("open zaak"));
  auto const held = s.store_case(s.with_file("zaak in bewaring"));
  auto const reopened = s.store_case(s.with_file("heropende zaak"));
  s.close(held, t0);
  s.close(reopened, t0);
  REQUIRE(await<action>([&](auto d) { s.retention->hold(held, true, "Bezwaarprocedure loopt", "rianne", t0 + day, d); }).second.status ==
          action_status::done);
  REQUIRE(await<action>([&](auto d) { s.flow.reopen(reopened, "anna", t0 + day, d); }).second.status == action_status::done);
  auto audit = s.server.list({"XRANGE", std::string(keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "retention.hold") != audit.end());
  CHECK(std::find(audit.begin(), audit.end(), "Bezwaarprocedure loopt") != audit.end());
  auto r = s.run(t0 + 10 * 365 * day);
  CHECK(r.destroyed == 0);
  for (auto const& id : {open, held, reopened}) CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "1");
  CHECK(fs::exists(s.file_of("zaak in bewaring")));
  CHECK(s.server.command({"ZCARD", std::string(keys::retention)}) == "0");
  // Lifting the hold is audited with its reason too.
  REQUIRE(await<action>([&](auto d) { s.retention->hold(held, false, "Bezwaar afgehandeld", "rianne", t0 + 2 * day, d); }).second.status ==
          action_status::done);
  audit = s.server.list({"XRANGE", std::string(keys::audit), "-", "+"});
  CHECK(std::find(audit.begin(), audit.end(), "retention.release") != audit.end());
  r = s.run(t0 + 10 * 365 * day);
  CHECK(r.destroyed == 1);
  CHECK(s.server.command({"EXISTS", keys::case_hash(held)}) == "0");
  CHECK(s.server.command({"EXISTS", keys::case_hash(open)}) == "1");
}

TEST_CASE("a destruction that stopped before its files were removed is finished by the next run") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("half vernietigd"));
  s.close(id, t0);
  // The script ran (as if the instance died right after it): the case is gone, its file is still on disk, listed as orphaned.
  auto const [ec, result] = await<std::pair<boost::system::error_code, destroy_result>>(
      [&](auto d) { s.retention->destroy(id, one_year_later, "", d); });
  REQUIRE(!ec);
  REQUIRE(result.status == destroy_status::destroyed);
  CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "0");
  CHECK(fs::exists(s.file_of("half vernietigd")));
  CHECK(s.server.command({"ZCARD", std::string(keys::files_orphaned)}) == "1");
  // Or even further: the file was already set aside when it stopped.
  auto const aside = s.file_of("half vernietigd").parent_path() / ("." + sha256_hex("half vernietigd") + ".destroying");
  fs::rename(s.file_of("half vernietigd"), aside);
  auto const r = s.run(one_year_later + day);
  CHECK(r.error == "");
  CHECK(r.files_removed == 1);
  CHECK_FALSE(fs::exists(aside));
  CHECK_FALSE(fs::exists(s.file_of("half vernietigd")));
  CHECK(s.server.command({"ZCARD", std::string(keys::files_orphaned)}) == "0");
}

TEST_CASE("a file stored again while its last case is destroyed is kept for the new message") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("weer ingestuurd"));
  s.close(id, t0);
  auto const [ec, result] = await<std::pair<boost::system::error_code, destroy_result>>(
      [&](auto d) { s.retention->destroy(id, one_year_later, "", d); });
  REQUIRE(result.orphaned.size() == 1);
  SUBCASE("touched within the grace period: left for the next run") {
    // A channel just stored the same file again (put touches it) and is about to store its message.
    fs::last_write_time(s.file_of("weer ingestuurd"), std::chrono::file_clock::from_sys(std::chrono::sys_time<std::chrono::milliseconds>(
                                                           std::chrono::milliseconds(one_year_later + day - 5 * 60 * 1000))));
    auto const r = s.run(one_year_later + day);
    CHECK(r.files_kept == 1);
    CHECK(fs::exists(s.file_of("weer ingestuurd")));
    CHECK(s.server.command({"ZCARD", std::string(keys::files_orphaned)}) == "1");
  }
  SUBCASE("referred to again: no longer orphaned, never removed") {
    auto const again = s.store_case(s.with_file("weer ingestuurd"));
    CHECK(s.server.command({"ZCARD", std::string(keys::files_orphaned)}) == "0");
    auto const r = s.run(one_year_later + day);
    CHECK(r.files_removed == 0);
    CHECK(fs::exists(s.file_of("weer ingestuurd")));
    CHECK(s.server.command({"EXISTS", keys::case_hash(again)}) == "1");
  }
}

TEST_CASE("records staff choose another class with a reason; the term follows from the close") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("klacht"));
  // Chosen while open: it holds at the close.
  REQUIRE(await<action>([&](auto d) { s.retention->choose_class(id, "klacht", "Het is een klacht over de behandeling", "rianne", std::nullopt, "", t0, d); })
              .second.status == action_status::done);
  s.close(id, t0);
  // 5 years after 15 January 2027 08:00 UTC (2028 is a leap year): 1826 days.
  CHECK(s.server.command({"HGET", keys::case_hash(id), "retention_class"}) == "klacht");
  CHECK(s.server.command({"ZSCORE", std::string(keys::retention), id}) == std::to_string(t0 + 1826 * day));
  CHECK(s.run(one_year_later).destroyed == 0);
  // A choice computed against an older close is refused: the case changed.
  auto const stale = await<action>([&](auto d) { s.retention->choose_class(id, "informatieverzoek", "Toch een vraag", "rianne", one_year_later, "1", t0, d); });
  CHECK(stale.second.status == action_status::stale);
  CHECK(s.server.command({"HGET", keys::case_hash(id), "retention_class"}) == "klacht");
}

TEST_CASE("operational data has its own terms: events 30 days, the spool's done/ 30 and failed/ 90 days") {
  retention_stack s;
  s.store_case(s.with_file("gebeurtenis"));
  CHECK(s.server.integer({"XLEN", std::string(keys::events)}) > 0);
  temp_dir spool;
  fs::create_directories(spool.path / "done");
  fs::create_directories(spool.path / "failed");
  auto const now = t0 + 100 * day;
  auto make = [&](fs::path const& p, long long age_days) {
    std::ofstream(p) << "{}";
    fs::last_write_time(p, std::chrono::file_clock::from_sys(std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now - age_days * day))));
  };
  make(spool.path / "done" / "oud.json", 31);
  make(spool.path / "done" / "nieuw.json", 29);
  make(spool.path / "failed" / "oud.json", 91);
  make(spool.path / "failed" / "nieuw.json", 89);
  // The events were written now (the real clock); at t0 + 100 days they are older than 30 days.
  auto const r = s.run(now, spool.path);
  CHECK(r.error == "");
  CHECK(r.spool_removed == 2);
  CHECK_FALSE(fs::exists(spool.path / "done" / "oud.json"));
  CHECK(fs::exists(spool.path / "done" / "nieuw.json"));
  CHECK_FALSE(fs::exists(spool.path / "failed" / "oud.json"));
  CHECK(fs::exists(spool.path / "failed" / "nieuw.json"));
  CHECK(r.events_trimmed > 0);
  CHECK(s.server.integer({"XLEN", std::string(keys::events)}) == 0);
  // The audit stream is kept two years.
  CHECK(r.audit_trimmed == 0);
}

TEST_CASE("no case is destroyed before the one-time pass over older cases has counted their files") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("wacht op de upgrade"));
  s.close(id, t0);
  s.server.command({"DEL", std::string(keys::privacy_backfilled)});
  auto r = s.run(one_year_later);
  CHECK(r.ran);
  CHECK(r.waiting_for_upgrade);
  CHECK(r.destroyed == 0);
  CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "1");
  s.server.command({"SET", std::string(keys::privacy_backfilled), "1"});
  r = s.run(one_year_later);
  CHECK_FALSE(r.waiting_for_upgrade);
  CHECK(r.destroyed == 1);
}

TEST_CASE("a case listed as due before its term ends is not destroyed, and the list is put right") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("te vroeg"));
  s.close(id, t0);
  s.server.command({"ZADD", std::string(keys::retention), std::to_string(t0), id});  // as if an older term were left in the list
  auto const r = s.run(t0 + day);
  CHECK(r.destroyed == 0);
  CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "1");
  CHECK(s.server.command({"ZSCORE", std::string(keys::retention), id}) == std::to_string(one_year_later));
}

TEST_CASE("one destruction run at a time: a run finds the lock of another instance and leaves everything") {
  retention_stack s;
  auto const id = s.store_case(s.with_file("vergrendeld"));
  s.close(id, t0);
  s.server.command({"SET", std::string(keys::destruction_lock), "another-instance", "EX", "600"});
  auto const r = s.run(one_year_later);
  CHECK_FALSE(r.ran);
  CHECK(s.server.command({"EXISTS", keys::case_hash(id)}) == "1");
  s.server.command({"DEL", std::string(keys::destruction_lock)});
  CHECK(s.run(one_year_later).destroyed == 1);
  CHECK(s.server.command({"EXISTS", std::string(keys::destruction_lock)}) == "0");
}

TEST_CASE("cases stored before retention existed are brought up to date once: entries, file counts, confidential flag, term") {
  retention_stack s;
  auto m = s.with_file("oude brief");
  m.text = "Mijn burgerservicenummer is 111222333.";  // an older version did not flag it (invented number, passes the 11-proef)
  auto const id = s.store_case(m);
  s.close(id, t0);
  // What an older version left: no entries recorded, no file count, no term, no flag, no mark of the pass.
  for (auto const& cmd : std::vector<std::vector<std::string>>{{"DEL", keys::case_entries(id), keys::case_files(id),
                                                                 std::string(keys::privacy_backfilled)},
                                                                {"HDEL", keys::case_hash(id), "files_from", "retention_class", "retention_by",
                                                                 "destroy_at", "confidential"},
                                                                {"DEL", std::string(keys::files), std::string(keys::retention)}})
    s.server.command(cmd);
  auto const search = std::make_shared<case_search>(s.h->redis);
  auto const pass = std::make_shared<gateway::privacy_backfill>(boost::asio::make_strand(s.h->ioc), s.h->redis, *s.store, search,
                                                                s.retention, s.file_work, [&] { return s.terms; });
  auto run_pass = [&] { return await<bool>([&](auto done) { pass->start(done); }); };
  CHECK(run_pass());
  CHECK(s.server.command({"HGET", keys::case_hash(id), "confidential"}) == "1");
  CHECK(s.server.command({"HGET", std::string(keys::files), sha256_hex("oude brief")}) == "1");
  CHECK(s.server.integer({"LLEN", keys::case_files(id)}) == 1);
  CHECK(s.server.integer({"SCARD", keys::case_entries(id)}) == 1);
  CHECK(s.server.command({"ZSCORE", std::string(keys::retention), id}) == std::to_string(one_year_later));
  CHECK(s.server.command({"GET", std::string(keys::privacy_backfilled)}) == "1");
  // Once: a second start finds the mark; and run again by hand, nothing is counted twice.
  CHECK(run_pass());
  s.server.command({"DEL", std::string(keys::privacy_backfilled)});
  CHECK(run_pass());
  CHECK(s.server.command({"HGET", std::string(keys::files), sha256_hex("oude brief")}) == "1");
  CHECK(s.server.integer({"LLEN", keys::case_files(id)}) == 1);
  // And then it is destroyed entirely like any other.
  auto const r = s.run(one_year_later);
  CHECK(r.destroyed == 1);
  CHECK(r.files_removed == 1);
  CHECK(s.server.integer({"XLEN", keys::inbox_stream("telefoon")}) == 0);
}
