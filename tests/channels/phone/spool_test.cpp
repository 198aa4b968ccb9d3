// The phone platform's drop directory, through a real balied: files are
// taken once, moved to done/ only after the enqueue, rejected with a reason,
// deduplicated by call id, and left in place while Redis is down.
#include "queue/keys.hpp"
#include "tests/support/balied_process.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace balie;
using namespace balie::test;
namespace fs = std::filesystem;

namespace {

std::string fixture(std::string const& name) { return read_fixture("phone/" + name); }

struct spool_stack : test_stack {
  fs::path spool = dir.path / "data" / "spool" / "phone";
  /// As the phone platform does it: write under a temporary name, then rename.
  void drop(std::string const& name, std::string const& content) {
    auto const tmp = spool / (name + ".tmp");
    std::ofstream(tmp, std::ios::binary) << content;
    fs::rename(tmp, spool / name);
  }
  long long inbox_length() { return test_stack::inbox_length("telefoon"); }
};

} // namespace

TEST_CASE("spool files are ingested once and moved to done/ after the enqueue") {
  spool_stack s;
  s.drop("kcc-2026-11-28-0001.json", fixture("call-balie.json"));
  REQUIRE(s.balied->wait_for_event("phone.spool.ingested"));
  CHECK(fs::exists(s.spool / "done" / "kcc-2026-11-28-0001.json"));
  CHECK(!fs::exists(s.spool / "kcc-2026-11-28-0001.json"));
  CHECK(s.inbox_length() == 1);
  auto const entry = s.redis.list({"XRANGE", queue::keys::inbox_stream("telefoon"), "-", "+"});
  auto const msg = nlohmann::json::parse(entry.back());
  CHECK(msg["provider"] == "spool");
  CHECK(msg["provider_message_id"] == "kcc-2026-11-28-0001");

  // WebVTT carries no call id: the file name does.
  s.drop("kcc-vtt-42.vtt", fixture("call-webvtt.vtt"));
  REQUIRE(s.balied->wait_for_event("phone.spool.ingested", 2));
  CHECK(s.inbox_length() == 2);
  CHECK(nlohmann::json::parse(s.redis.list({"XRANGE", queue::keys::inbox_stream("telefoon"), "-", "+"}).back())["provider_message_id"] ==
        "kcc-vtt-42");

  // The same call again, under another file name: acknowledged, not shown twice.
  s.drop("retry-of-0001.json", fixture("call-balie.json"));
  REQUIRE(s.balied->wait_for_event("phone.spool.duplicate"));
  CHECK(fs::exists(s.spool / "done" / "retry-of-0001.json"));
  CHECK(s.inbox_length() == 2);

  std::vector<nlohmann::json> stored;
  auto const entries = s.redis.list({"XRANGE", queue::keys::inbox_stream("telefoon"), "-", "+"});
  for (std::size_t k = 4; k < entries.size(); k += 5) stored.push_back(nlohmann::json::parse(entries[k]));
  CHECK(stored.size() == 2);
  CHECK(schema_errors(stored) == "");
}

TEST_CASE("a broken spool file goes to failed/ with a reason; temporary files are left alone") {
  spool_stack s;
  std::ofstream(s.spool / "still-writing.json.tmp") << "{\"call_id\": ";
  s.drop("kcc-broken.vtt", fixture("no-cues.vtt"));
  REQUIRE(s.balied->wait_for_event("phone.spool.rejected"));
  CHECK(fs::exists(s.spool / "failed" / "kcc-broken.vtt"));
  std::ifstream reason(s.spool / "failed" / "kcc-broken.vtt.reason.json");
  REQUIRE(reason);
  auto const r = nlohmann::json::parse(reason);
  CHECK(r["type"] == "empty-transcript");
  CHECK(fs::exists(s.spool / "still-writing.json.tmp"));
  CHECK(s.inbox_length() == 0);
}

TEST_CASE("while Redis is down spool files wait; they are taken when it is back") {
  spool_stack s;
  s.redis.kill9();
  REQUIRE(s.balied->wait_for_event("redis.disconnected"));
  s.drop("kcc-waiting.json", fixture("call-balie.json"));
  REQUIRE(s.balied->wait_for_event("phone.spool.deferred"));
  CHECK(fs::exists(s.spool / "kcc-waiting.json"));
  s.redis.start();
  REQUIRE(s.balied->wait_for_event("phone.spool.ingested"));
  CHECK(fs::exists(s.spool / "done" / "kcc-waiting.json"));
  CHECK(s.inbox_length() == 1);
}
