#include "server/client_address.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

using balie::server::trusted_proxies;

TEST_CASE("trusted proxies: addresses and networks, v4 and v6; anything else is refused by name") {
  trusted_proxies const p({"10.0.0.0/8", "192.0.2.7", "fd00::/8"});
  CHECK(p.contains("10.1.2.3"));
  CHECK(p.contains("192.0.2.7"));
  CHECK(!p.contains("192.0.2.8"));
  CHECK(p.contains("fd12::1"));
  CHECK(p.contains("::ffff:10.9.9.9"));  // v4-mapped is the v4 address
  CHECK(!p.contains("11.0.0.1"));
  CHECK(!p.contains("not an address"));
  for (auto bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "proxy.gemeente.test", ""})
    CHECK_THROWS_AS(trusted_proxies({bad}), std::invalid_argument);
}

TEST_CASE("the client is the peer unless the peer is a trusted proxy") {
  trusted_proxies const none;
  CHECK(none.client("198.51.100.1", "203.0.113.9", "") == "198.51.100.1");  // a header from anyone is ignored
  trusted_proxies const p({"10.0.0.1", "10.0.0.2"});
  CHECK(p.client("198.51.100.1", "203.0.113.9", "for=203.0.113.9") == "198.51.100.1");
  CHECK(p.client("10.0.0.1", "", "") == "10.0.0.1");  // no header: the proxy itself
}

TEST_CASE("X-Forwarded-For is walked from the right to the first address that is not a trusted proxy") {
  trusted_proxies const p({"10.0.0.1", "10.0.0.2"});
  CHECK(p.client("10.0.0.1", "203.0.113.9", "") == "203.0.113.9");
  CHECK(p.client("10.0.0.1", "203.0.113.9, 10.0.0.2", "") == "203.0.113.9");  // two proxies in a row
  // What the client wrote itself (left of its own address) is never believed.
  CHECK(p.client("10.0.0.1", "1.2.3.4, 203.0.113.9", "") == "203.0.113.9");
  CHECK(p.client("10.0.0.1", " 2001:db8::7 ", "") == "2001:db8::7");
  // A malformed entry ends the walk at the last trusted hop.
  CHECK(p.client("10.0.0.1", "203.0.113.9, garbage", "") == "10.0.0.1");
  CHECK(p.client("10.0.0.1", "203.0.113.9, 10.0.0.2, ", "") == "10.0.0.1");
  CHECK(p.client("10.0.0.1", "garbage, 10.0.0.2", "") == "10.0.0.2");
}

TEST_CASE("Forwarded (RFC 7239) for= values, quoted, bracketed and with ports; it takes precedence") {
  trusted_proxies const p({"10.0.0.1"});
  CHECK(p.client("10.0.0.1", "", "for=192.0.2.60;proto=http;by=10.0.0.1") == "192.0.2.60");
  CHECK(p.client("10.0.0.1", "", R"(for="[2001:db8:cafe::17]:4711")") == "2001:db8:cafe::17");
  CHECK(p.client("10.0.0.1", "", "for=192.0.2.43:47011") == "192.0.2.43");
  CHECK(p.client("10.0.0.1", "", "For=198.51.100.17, for=10.0.0.1") == "198.51.100.17");
  CHECK(p.client("10.0.0.1", "203.0.113.9", "for=192.0.2.60") == "192.0.2.60");
  CHECK(p.client("10.0.0.1", "", "for=unknown") == "10.0.0.1");
  CHECK(p.client("10.0.0.1", "", "for=_hidden") == "10.0.0.1");
}
