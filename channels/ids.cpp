#include "channels/ids.hpp"

namespace balie {

bool is_ulid(std::string_view id) {
  if (id.size() != 26) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U'))) return false;
  return true;
}
namespace {
constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

id_source::id_source(std::uint64_t seed) : rng_(seed ? seed : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::string id_source::ulid(timestamp now) {
  std::uint64_t r_hi, r_lo;
  {
    std::lock_guard lock(mutex_);
    r_hi = rng_();
    r_lo = rng_();
  }
  // 48 bits of milliseconds, then 80 random bits: 26 characters of 5 bits.
  auto const ms = static_cast<std::uint64_t>(now.time_since_epoch().count()) & 0xFFFFFFFFFFFFull;
  std::string out(26, '0');
  for (int i = 9; i >= 0; --i) out[static_cast<std::size_t>(9 - i)] = crockford[(ms >> (i * 5)) & 31];
  // 80 random bits: 60 from r_lo, 20 from r_hi.
  for (int i = 0; i < 12; ++i) out[static_cast<std::size_t>(10 + i)] = crockford[(r_lo >> (i * 5)) & 31];
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(22 + i)] = crockford[(r_hi >> (i * 5)) & 31];
  return out;
}

std::string id_source::case_reference() {
  std::uint64_t r;
  {
    std::lock_guard lock(mutex_);
    r = rng_();
  }
  std::string out = "BL-";
  for (int i = 0; i < 6; ++i) out += crockford[(r >> (i * 5)) & 31];
  return out;
}

} // namespace balie
