// Webhook signatures of the SMS providers, against vectors computed by
// others: Twilio's published example, MessageBird's reference JWTs
// (messagebird-nodejs lib/testdata/webhook-signature-jwt-reference.json),
// and values computed with Python's hmac module for the schemes without a
// published vector. Next to each accepted request, the hostile ones.
#include "channels/sms/webhook_auth.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <ostream>

using namespace balie::sms;
using namespace std::chrono_literals;

namespace balie::channels {
// For doctest's messages.
std::ostream& operator<<(std::ostream& os, authenticated const& a) { return os << "authenticated " << a.replay_key; }
std::ostream& operator<<(std::ostream& os, auth_failure const& f) { return os << f.reason; }
} // namespace balie::channels

namespace {

form_fields const twilio_fields = {{"To", "+18005551212"}, {"From", "+12349013030"}, {"Digits", "1234"},
                                   {"CallSid", "CA1234567890ABCDE"}, {"Caller", "+12349013030"}};
auto constexpr twilio_url = "https://mycompany.com/myapp.php?foo=1&bar=2";

std::string failure(auth_result const& r) { return r ? "" : r.error().reason; }

} // namespace

TEST_CASE("Twilio: HMAC-SHA1 over the URL and the sorted fields, in any posted order; the default port may be added by a proxy") {
  CHECK(verify_twilio(twilio_hash::sha1, "12345", twilio_url, twilio_fields, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  CHECK(verify_twilio(twilio_hash::sha1, "12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilio_fields,
                      "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  // The SHA-256 variant of webhook rules (Python: hmac.new(b"12345", url + fields, sha256)).
  CHECK(verify_twilio(twilio_hash::sha256, "12345", twilio_url, twilio_fields, "Rmm4Vzj+Ky7JGoWXMCsZDZuHDszLr9xvdbvitrDr4/M="));
}

TEST_CASE("Twilio: a wrong token, a changed field, an added field, another URL or port, a missing or garbled signature are refused") {
  auto const sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
  CHECK(failure(verify_twilio(twilio_hash::sha1, "12346", twilio_url, twilio_fields, sig)) == "the signature does not match");
  auto changed = twilio_fields;
  changed[2].second = "1235";
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", twilio_url, changed, sig));
  auto added = twilio_fields;
  added.emplace_back("Body", "STOP");
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", twilio_url, added, sig));
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", "https://mycompany.com/myapp.php?foo=1&bar=3", twilio_fields, sig));
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", twilio_fields, sig));
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", "http://mycompany.com/myapp.php?foo=1&bar=2", twilio_fields, sig));
  CHECK(failure(verify_twilio(twilio_hash::sha1, "12345", twilio_url, twilio_fields, "")) == "no signature");
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", twilio_url, twilio_fields, "0/KCTR6DLpKmkAf8muzZqo1nDg"));   // cut short
  CHECK(!verify_twilio(twilio_hash::sha1, "12345", twilio_url, twilio_fields, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=!"));  // not base64
  CHECK(!verify_twilio(twilio_hash::sha256, "12345", twilio_url, twilio_fields, sig));  // the SHA-1 one for SHA-256
}

TEST_CASE("Bird: HMAC-SHA256 over timestamp, URL and the body's digest, within five minutes of now") {
  auto const key = "bird-signing-key-gemeente-test";
  auto const url = "https://balie.gemeente.test/api/v1/webhooks/sms/bird";
  auto const body = R"({"id":"96a0b5fa-a986-453d-be5c-3117f989f025","direction":"incoming"})";
  auto const sig = "Y4R/8f3kwf4eR+17fitMtsF9BmqnZ3Tw2ZbjXJfCR/Y=";  // Python's hmac module
  auto const sent = std::chrono::system_clock::time_point(1764320400s);
  CHECK(verify_bird(key, url, body, "1764320400", sig, sent));
  CHECK(verify_bird(key, url, body, "1764320400", sig, sent + 299s));
  CHECK(failure(verify_bird(key, url, body, "1764320400", sig, sent + 301s)) == "the timestamp is outside the window");
  CHECK(failure(verify_bird(key, url, body, "1764320400", sig, sent - 301s)) == "the timestamp is outside the window");
  CHECK(failure(verify_bird(key, url, std::string(body) + " ", "1764320400", sig, sent)) == "the signature does not match");
  CHECK(!verify_bird(key, "https://balie.gemeente.test/api/v1/webhooks/sms/twilio", body, "1764320400", sig, sent));
  CHECK(!verify_bird("another-key", url, body, "1764320400", sig, sent));
  CHECK(failure(verify_bird(key, url, body, "1764320401", sig, sent)) == "the signature does not match");  // timestamp changed
  CHECK(failure(verify_bird(key, url, body, "17643204OO", sig, sent)) == "the timestamp is not a number");
  CHECK(failure(verify_bird(key, url, body, "", sig, sent)) == "no signature or timestamp");
}

TEST_CASE("MessageBird: the reference JWTs; the jti comes back for the replay check") {
  auto const key = "36efdd1aace2e26cd490f0d951138253bef2f7c6d34d18981da781555cc4cebb";
  auto const now = std::chrono::system_clock::time_point(1625479200s);  // 2021-07-05T12:00:00+02:00
  struct vector {
    char const* name;
    char const* url;
    char const* payload;
    char const* token;
    char const* failure;  ///< empty: valid
  };
  vector const vectors[] = {
      {"no query, no payload", "https://example.com/", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.6Fp0rVOsRr1fj9S2GidXAfkmPVofKr8_RTffC6G6r2E",
       ""},
      {"query and payload", "https://example.com/path?bar=1&foo=2", "Hello, World!",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI5M2U1NTAwNi1hMGU4LTQ1MjYtYTE5MC1mYTVmZjAwZWExMTYiLCJ1cmxfaGFzaCI6IjQxZjA1ZjBkZGQwYTIyYWIyMDlhYzQ2ZjQ3YzQ1NzJkOWNlZmEyNTdlZDc0YjI0MDA0YmFlNzUzZWNlNmMyNjAiLCJwYXlsb2FkX2hhc2giOiJkZmZkNjAyMWJiMmJkNWIwYWY2NzYyOTA4MDllYzNhNTMxOTFkZDgxYzdmNzBhNGIyODY4OGEzNjIxODI5ODZmIn0._H--TOuYFLpeEH39-rg5E3IHVkjHozBcaKVWPRC5m9I",
       ""},
      {"port in the URL", "https://example.com:8080/", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjA3Zjc4NjFhNjliMTNjMjI5YzZhZTU5NmQxOThiMjc2M2IwNTRjZjVlMDAwZDczNmQxYzQ4MTAyZDc3MGNmZmMifQ.vcpa0IicGAbpo064dOjiA2VbVOR2S5uZBEaBOP16sS8",
       ""},
      {"HS384", "https://example.com/", "",
       "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.KNMW-29X77lZeuPmThmHWc_RUAvTkaDkpxIZK6mqE08v8mWKiU9Edh4QXwAJO2nv",
       ""},
      {"HS512", "https://example.com/", "",
       "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.rd6r0iMyNGnVPCwurETphE3Y8rpAyvvnUK0S8WvGUkt2E1QSRAZ7NZJZBHw1Y_Wb5W-sK9HJr_PRL2vz4jRT3Q",
       ""},
      {"not yet valid", "https://example.com/", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ4MjgwMCwiZXhwIjoxNjI1NDgyODYwLCJqdGkiOiJmOWY4YzM4Mi0yNDQ5LTQzMTEtYjcyYi0xZGY3MTY4NzkzMWUiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.ZELgDFNGhjZH9CffQKcq3sytBe2I0KciLxpBhcfstHQ",
       "nbf is in the future"},
      {"expired", "https://example.com/", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3NTYwMCwiZXhwIjoxNjI1NDc1NjYwLCJqdGkiOiI1ZjAyZjUyMi02MDMwLTQ2YzgtYjVhMy0wMTI0NjQ3OGQ4YmMiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.45MSST3B_2PsjNUeiuW54_vUQgVw4rBXrdWrOUEz3lM",
       "exp is in the past"},
      {"query reordered", "https://example.com/path?foo=1&bar=2", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiJhNzVjOTA5Ni1lODIzLTQ0MmItODVmMi03ZDNjOWQ5YjcyNmIiLCJ1cmxfaGFzaCI6IjZhMDIyZDgzNGMxODMzMGJhYWQ4YTJiZDYxMzUxNzNlZDIxNjEwYTQ1NDUxNmJlMGRmM2YxY2MwMTUxNjEwZWEifQ.z6Sw1XQIM0wuEQGBhXBdawDIIrtMg2XnmA_bpDq53pE",
       "url_hash does not match"},
      {"payload changed", "https://example.com/", "Hello, World!",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiIxNDUwMTUzMi05NmYyLTQ2ODQtOTgzMi02OGYwOTUxYWUzNDIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDciLCJwYXlsb2FkX2hhc2giOiJmYjYyZjAyYWNkYTdkNzQxNzdhNzAxYTFjZTAwNmU2YmFjZDkwYzdkNGQ3YWI0ODE2OTJjMWRhNDdjODEwNzZiIn0.m79RCwO6dGa9pvzsQypkVuXQ6eM0CkRl6_U7MfWg6TM",
       "payload_hash does not match"},
      {"payload removed", "https://example.com/", "",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiIxNDUwMTUzMi05NmYyLTQ2ODQtOTgzMi02OGYwOTUxYWUzNDIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDciLCJwYXlsb2FkX2hhc2giOiJkZmZkNjAyMWJiMmJkNWIwYWY2NzYyOTA4MDllYzNhNTMxOTFkZDgxYzdmNzBhNGIyODY4OGEzNjIxODI5ODZmIn0.bHfsjj3tljfzTufoG3EU3p_yFrQh9CufyzRSaRMd4ss",
       "payload_hash is set but there is no body"},
      {"payload added", "https://example.com/", "Hello, World!",
       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.6Fp0rVOsRr1fj9S2GidXAfkmPVofKr8_RTffC6G6r2E",
       "payload_hash is missing"},
      {"alg none", "https://example.com/", "",
       "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJNZXNzYWdlQmlyZCIsImlhdCI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOiI1OWEyNDRkYy1lOWFkLTRlMjMtOTc3OC0zNzFmYWEyMzhmNzIiLCJ1cmxfaGFzaCI6IjBmMTE1ZGIwNjJiN2MwZGQwMzBiMTY4NzhjOTlkZWE1YzM1NGI0OWRjMzdiMzhlYjg4NDYxNzljNzc4M2U5ZDcifQ.",
       "the signing method is not HS256, HS384 or HS512"},
  };
  for (auto const& v : vectors) {
    CAPTURE(v.name);
    auto const r = verify_messagebird_jwt(key, v.url, v.payload, v.token, now);
    CHECK(failure(r) == v.failure);
    if (r) CHECK(!r->replay_key.empty());  // the jti
  }
  auto const& valid = vectors[0];
  CHECK(verify_messagebird_jwt(key, valid.url, "", valid.token, now)->replay_key == "59a244dc-e9ad-4e23-9778-371faa238f72");
  CHECK(failure(verify_messagebird_jwt("another-key", valid.url, "", valid.token, now)) == "the signature does not match");
  CHECK(failure(verify_messagebird_jwt(key, valid.url, "", "", now)) == "no signature");
  CHECK(failure(verify_messagebird_jwt(key, valid.url, "", "a.b", now)) == "not a JWT");
  CHECK(failure(verify_messagebird_jwt(key, valid.url, "", std::string(valid.token) + ".x", now)) == "not a JWT");
  CHECK(failure(verify_messagebird_jwt(key, valid.url, "", "!!!.!!!.!!!", now)) == "not a JWT");
  // Members of the wrong type, or a time that would overflow the clock, are refused, never thrown
  // (tokens signed with the reference key by Python's hmac module).
  CHECK(failure(verify_messagebird_jwt(key, valid.url, "", "eyJhbGciOjV9.e30.eA", now)) == "the signing method is not HS256, HS384 or HS512");
  CHECK(failure(verify_messagebird_jwt(
            key, valid.url, "",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTg0NDY3NDQwNzM3MDk1NTE2MTUsImV4cCI6MTYyNTQ3OTI2MCwianRpIjoiaiIsInVybF9oYXNoIjoieCJ9.fTNIKZ9KyNySmB5K5iQ1VJbO71zzk5Inp78UIpUYYlI",
            now)) == "nbf or exp is missing or not a time");
  CHECK(failure(verify_messagebird_jwt(
            key, valid.url, "",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOjcsIm5iZiI6MTYyNTQ3OTIwMCwiZXhwIjoxNjI1NDc5MjYwLCJqdGkiOlsiaiJdLCJ1cmxfaGFzaCI6e319.myNzDcTNDev1M14MAUJ1r5Cb1OG1us0HAUI4bhL90Os",
            now)) == "the issuer is not MessageBird");
  CHECK(!verify_messagebird_jwt(key, valid.url, "", valid.token, now + 66s));  // exp 60 s after nbf, 5 s leeway
  CHECK(verify_messagebird_jwt(key, valid.url, "", valid.token, now + 64s));
}

TEST_CASE("a shared secret is compared whole: a prefix, an empty one or another length is refused") {
  CHECK(same_secret("k4nnel-geheim-2026", "k4nnel-geheim-2026"));
  CHECK(!same_secret("k4nnel-geheim-202", "k4nnel-geheim-2026"));
  CHECK(!same_secret("k4nnel-geheim-20266", "k4nnel-geheim-2026"));
  CHECK(!same_secret("", ""));  // an unset secret never admits anyone
  CHECK(!same_secret("K4nnel-geheim-2026", "k4nnel-geheim-2026"));
}

TEST_CASE("form bodies: + and %XX decoded, order and repeats kept; a broken escape or invalid UTF-8 refused") {
  auto const f = parse_form("From=%2B31600000000&Body=Hoi+gemeente%21+%F0%9F%98%80&Empty=&Flag&Body=twee");
  REQUIRE(f.has_value());
  CHECK(*f == form_fields{{"From", "+31600000000"}, {"Body", "Hoi gemeente! \xF0\x9F\x98\x80"}, {"Empty", ""}, {"Flag", ""}, {"Body", "twee"}});
  CHECK(!parse_form("Body=%2").has_value());
  CHECK(!parse_form("Body=%zz").has_value());
  CHECK(!parse_form("Body=%ED%A0%80").has_value());  // a lone surrogate in UTF-8
  CHECK(!parse_form("Body=%FF").has_value());
  CHECK(parse_form("")->empty());
}
