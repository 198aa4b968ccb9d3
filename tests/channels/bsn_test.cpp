#include "channels/bsn.hpp"

#include <doctest/doctest.h>

using namespace balie;

TEST_CASE("11-proef accepts the valid vectors from STANDARDS.md") {
  for (auto v : {"123456782", "111222333", "012345672", "12345672", "100000009"}) CHECK_MESSAGE(passes_elfproef(v), v);
}

TEST_CASE("11-proef rejects the invalid vectors from STANDARDS.md") {
  for (auto v : {"123456789", "732891254", "000000000", "1234567", "1234567890", "12345678a"}) CHECK_MESSAGE(!passes_elfproef(v), v);
}

TEST_CASE("a BSN is found in plain and grouped notations") {
  CHECK(contains_possible_bsn("Mijn BSN is 123456782."));
  CHECK(contains_possible_bsn("BSN 123.456.782 graag"));
  CHECK(contains_possible_bsn("nummer 123 456 782"));
  CHECK(contains_possible_bsn("12345672"));
}

TEST_CASE("digits inside longer digit runs and numbers failing the 11-proef are not a BSN") {
  CHECK(!contains_possible_bsn("rekening 91234567820"));
  CHECK(!contains_possible_bsn("01234567823"));
  CHECK(!contains_possible_bsn("ordernummer 123456789"));
  CHECK(!contains_possible_bsn("123.456.7820"));
  CHECK(!contains_possible_bsn("geen nummer"));
}
