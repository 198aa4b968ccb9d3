#include "routing/router.hpp"

#include <doctest/doctest.h>

using namespace balie;

TEST_CASE("routing by channel, with the default inbox for everything else") {
  routing::router r({"algemeen", {{channel::phone, "telefoon"}}});
  case_message phone;
  phone.channel = channel::phone;
  case_message email;
  email.channel = channel::email;
  auto const a = r.route(phone);
  CHECK(a.inbox == "telefoon");
  CHECK(a.rule == "channel:phone");
  CHECK(a.priority == priority::normal);
  auto const b = r.route(email);
  CHECK(b.inbox == "algemeen");
  CHECK(b.rule == "default");
}
