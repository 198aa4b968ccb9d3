#include "channels/phone/intake.hpp"
#include "tests/support/fixtures.hpp"
#include "tests/support/schema_check.hpp"

#include <doctest/doctest.h>


using namespace balie;
using namespace balie::channels::phone;
using namespace std::chrono;

namespace {
std::string fixture(std::string const& name) { return balie::test::read_fixture("phone/" + name); }

timestamp const fixed_now = time_point_cast<milliseconds>(sys_days{2026y / November / 28} + hours{10});

outcome<transcript_submission> read(transcript_format f, std::string const& body, call_metadata meta = {}) {
  static id_source ids;
  return read_transcript(f, body, meta, normalise_context{fixed_now, ids, "transcript-api"});
}
} // namespace

TEST_CASE("Balie transcript JSON becomes a phone case-message with needs and classification") {
  auto const r = read(transcript_format::balie_json, fixture("call-balie.json"));
  REQUIRE(r.has_value());
  auto const& m = r->message;
  CHECK(r->dedup_key == "phone:kcc-2026-11-28-0001");
  CHECK(m.channel == channel::phone);
  CHECK(m.direction == direction::inbound);
  CHECK(m.provider_message_id == "kcc-2026-11-28-0001");
  CHECK(m.occurred_at == time_point_cast<milliseconds>(sys_days{2026y / November / 28} + hours{8}));
  CHECK(m.received_at == fixed_now);
  REQUIRE(m.resident.addresses.size() == 1);
  CHECK(m.resident.addresses[0] == digital_address{"phone", "+31600000001"});
  CHECK(m.resident.needs == std::vector{resident_need::text_relay, resident_need::callback});
  REQUIRE(m.transcript);
  CHECK(m.transcript->relay_service == "kpn-teletolk");
  CHECK(m.transcript->automatic);
  CHECK(m.transcript->segments.size() == 4);
  CHECK(m.transcript->segments[2].speaker == speaker::interpreter);
  CHECK(m.transcript->segments[2].speaker_label == "Teletolk");
  // The caller's side only: interpreter and resident, not the IVR or staff.
  CHECK(m.text == "Ik bel over mijn grofvuil. Mijn BSN is 123.456.782.\nKunt u mij terugbellen?");
  CHECK(m.classification.possible_bsn);
  CHECK(m.classification.confidential);
  CHECK(m.reference.rfind("BL-", 0) == 0);
}

TEST_CASE("WebVTT: voice spans, optional hours, settings, NOTE/STYLE blocks, entities and markup") {
  call_metadata meta;
  meta.call_id = "kcc-vtt-1";
  meta.caller_number = "0600000002";
  auto const r = read(transcript_format::webvtt, fixture("call-webvtt.vtt"), meta);
  REQUIRE(r.has_value());
  auto const& segs = r->message.transcript->segments;
  REQUIRE(segs.size() == 3);
  CHECK(segs[0].speaker == speaker::staff);
  CHECK(segs[0].start_ms == 120);
  CHECK(segs[0].end_ms == 2300);
  CHECK(segs[0].text == "Goedemorgen, gemeente Voorbeeld.");
  CHECK(segs[1].speaker == speaker::resident);
  CHECK(segs[1].speaker_label == "Inwoner");
  CHECK(segs[1].start_ms == 2600);
  CHECK(segs[1].text == "Ik bel over mijn container & het grofvuil.\nHij is niet geleegd.");
  CHECK(segs[2].speaker == speaker::unknown);
  CHECK(segs[2].text == "Eh\xE2\x80\xA6");
  CHECK(r->message.resident.addresses[0].value == "+31600000002");
  CHECK(!r->message.transcript->automatic);
  CHECK(!r->message.classification.possible_bsn);
}

TEST_CASE("whisper.cpp JSON: offsets, language, engine and token confidence") {
  call_metadata meta;
  meta.call_id = "kcc-whisper-1";
  auto const r = read(transcript_format::whisper_json, fixture("call-whisper.json"), meta);
  REQUIRE(r.has_value());
  auto const& m = r->message;
  CHECK(m.transcript->automatic);
  CHECK(m.transcript->engine == "whisper.cpp small");
  CHECK(m.resident.language == "nld");
  REQUIRE(m.transcript->segments.size() == 2);
  CHECK(m.transcript->segments[0].text == "Goedemorgen, u spreekt met de gemeente.");
  CHECK(m.transcript->segments[0].confidence.value() == doctest::Approx(0.8));  // mean of 0.9 and 0.7; [_BEG_] skipped
  CHECK(!m.transcript->segments[1].confidence);
  CHECK(m.transcript->segments[1].start_ms == 3500);
  CHECK(m.resident.addresses.empty());
}

TEST_CASE("whisper.cpp JSON posted as application/json is recognised by its shape") {
  call_metadata meta;
  meta.call_id = "kcc-whisper-2";
  auto const as_json = read(transcript_format::balie_json, fixture("call-whisper.json"), meta);
  REQUIRE(as_json.has_value());
  CHECK(as_json->message.transcript->engine == "whisper.cpp small");
  REQUIRE(as_json->message.transcript->segments.size() == 2);
  // A Balie transcript with an unknown field is still refused as such, naming the field.
  auto const unknown = read(transcript_format::balie_json, fixture("unknown-field.json"), meta);
  REQUIRE(!unknown.has_value());
  CHECK(unknown.error().type == "unknown-field");
}

TEST_CASE("every produced case-message validates against the JSON Schema") {
  std::vector<nlohmann::json> docs;
  call_metadata meta;
  meta.call_id = "kcc-schema";
  for (auto const& [format, file] : std::vector<std::pair<transcript_format, std::string>>{
           {transcript_format::balie_json, "call-balie.json"},
           {transcript_format::webvtt, "call-webvtt.vtt"},
           {transcript_format::whisper_json, "call-whisper.json"}}) {
    auto r = read(format, fixture(file), format == transcript_format::balie_json ? call_metadata{} : meta);
    REQUIRE(r.has_value());
    r->message.routing = routing_info{"telefoon", priority::normal, std::nullopt, "channel:phone"};
    docs.push_back(to_json(r->message));
  }
  CHECK(balie::test::schema_errors(docs) == "");
}

TEST_CASE("hostile and broken transcripts get a specific rejection") {
  struct bad {
    transcript_format format;
    std::string body;
    call_metadata meta;
    unsigned status;
    std::string type;
  };
  call_metadata with_id;
  with_id.call_id = "kcc-bad";
  std::vector<bad> cases = {
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"segments\": [", {}, 400, "invalid-json"},
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"segments\": [{\"speaker\": \"resident\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"\xff\xfe\"}]}", {}, 400, "invalid-utf8"},
      {transcript_format::balie_json, fixture("missing-call-id.json"), {}, 422, "missing-call-id"},
      {transcript_format::balie_json, fixture("backwards.json"), {}, 422, "timestamps-backwards"},
      {transcript_format::balie_json, fixture("unknown-field.json"), {}, 422, "unknown-field"},
      {transcript_format::balie_json, "[1, 2, 3]", {}, 422, "invalid-field"},
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"segments\": []}", {}, 422, "empty-transcript"},
      {transcript_format::balie_json, "{\"call_id\": \"has space\", \"segments\": [{\"speaker\": \"resident\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"a\"}]}", {}, 422, "invalid-call-id"},
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"caller\": \"bel mij\", \"segments\": [{\"speaker\": \"resident\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"a\"}]}", {}, 422, "invalid-caller-number"},
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"caller\": \"+00124920271\", \"segments\": [{\"speaker\": \"resident\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"a\"}]}", {}, 422, "invalid-caller-number"},
      {transcript_format::balie_json, "{\"call_id\": \"x\", \"segments\": [{\"speaker\": \"alien\", \"start_ms\": 0, \"end_ms\": 1, \"text\": \"a\"}]}", {}, 422, "invalid-field"},
      {transcript_format::webvtt, fixture("no-cues.vtt"), with_id, 422, "empty-transcript"},
      {transcript_format::webvtt, fixture("backwards.vtt"), with_id, 422, "timestamps-backwards"},
      {transcript_format::webvtt, "WEBVTTX\n\n00:00.000 --> 00:01.000\nhoi\n", with_id, 422, "invalid-webvtt"},
      {transcript_format::webvtt, "WEBVTT\n\n00:00.000 --> 00:61.000\nhoi\n", with_id, 422, "invalid-webvtt"},
      // Found by the fuzzer: an hour count whose milliseconds overflow 64 bits.
      {transcript_format::webvtt, "WEBVTT\n\n00:00.000 --> 20000000000000:00:00.005\nhoi\n", with_id, 422, "invalid-webvtt"},
      {transcript_format::webvtt, "WEBVTT\n\n00:00.000 --> 1001:00:00.000\nhoi\n", with_id, 422, "invalid-webvtt"},
      {transcript_format::webvtt, "WEBVTT\n\n00:00.000 --> 00:01.000\nhoi\n", {}, 422, "missing-call-id"},
      {transcript_format::whisper_json, "{\"transcription\": [{\"text\": \"a\"}]}", with_id, 422, "invalid-field"},
      {transcript_format::whisper_json, "{\"result\": {}}", with_id, 422, "invalid-field"},
  };
  for (auto const& c : cases) {
    auto const r = read(c.format, c.body, c.meta);
    REQUIRE_MESSAGE(!r.has_value(), c.type);
    CHECK_MESSAGE(r.error().status == c.status, c.type);
    CHECK_MESSAGE(r.error().type == c.type, r.error().detail);
  }
}

TEST_CASE("transcript text is stored in Unicode NFC") {
  // "café" with a combining acute accent (e + U+0301) becomes U+00E9.
  auto const body = R"({"call_id": "kcc-nfc", "segments": [{"speaker": "resident", "start_ms": 0, "end_ms": 1, "text": "cafe\u0301"}]})";
  auto const r = read(transcript_format::balie_json, body);
  REQUIRE(r.has_value());
  CHECK(r->message.transcript->segments[0].text == "caf\xC3\xA9");
  CHECK(r->message.text == "caf\xC3\xA9");
}

TEST_CASE("a transcript over the segment bound is refused whole, in every format") {
  call_metadata meta;
  meta.call_id = "kcc-long";
  std::string vtt = "WEBVTT\n\n";
  nlohmann::json balie = {{"call_id", "kcc-long"}, {"segments", nlohmann::json::array()}};
  nlohmann::json whisper = {{"transcription", nlohmann::json::array()}};
  for (std::size_t i = 0; i <= max_segments; ++i) {
    vtt += "00:00.000 --> 00:01.000\nja\n\n";
    balie["segments"].push_back({{"speaker", "resident"}, {"start_ms", 0}, {"end_ms", 1}, {"text", "ja"}});
    whisper["transcription"].push_back({{"offsets", {{"from", 0}, {"to", 1}}}, {"text", "ja"}});
  }
  for (auto const& r : {read(transcript_format::webvtt, vtt, meta), read(transcript_format::balie_json, balie.dump()),
                        read(transcript_format::whisper_json, whisper.dump(), meta)}) {
    REQUIRE(!r.has_value());
    CHECK(r.error().status == 413);
    CHECK(r.error().type == "too-many-segments");
  }
}

TEST_CASE("a call id in the header must agree with the body") {
  call_metadata meta;
  meta.call_id = "other-id";
  auto const r = read(transcript_format::balie_json, fixture("call-balie.json"), meta);
  REQUIRE(!r.has_value());
  CHECK(r.error().type == "call-id-mismatch");
}

TEST_CASE("media types pick the format; other types and charsets are 415") {
  CHECK(format_from_content_type("application/json").value() == transcript_format::balie_json);
  CHECK(format_from_content_type("application/json; charset=UTF-8").value() == transcript_format::balie_json);
  CHECK(format_from_content_type("text/vtt;charset=utf-8").value() == transcript_format::webvtt);
  CHECK(format_from_content_type("application/vnd.whisper-cpp+json").value() == transcript_format::whisper_json);
  for (auto t : {"text/plain", "", "application/json; charset=latin1", "application/xml"}) {
    auto const r = format_from_content_type(t);
    REQUIRE_MESSAGE(!r.has_value(), t);
    CHECK(r.error().status == 415);
  }
}
