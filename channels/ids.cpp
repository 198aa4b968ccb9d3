#include "channels/ids.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

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

void random_bytes(unsigned char* out, std::size_t n) {
  while (n > 0) {
    auto const got = ::getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    out += got, n -= static_cast<std::size_t>(got);
  }
}

namespace {
std::uint64_t random_u64() {
  unsigned char b[8];
  random_bytes(b, sizeof b);
  std::uint64_t r = 0;
  for (auto c : b) r = (r << 8) | c;
  return r;
}
} // namespace

std::string id_source::ulid(timestamp now) {
  auto const r_hi = random_u64(), r_lo = random_u64();
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
  auto const r = random_u64();
  std::string out = "BL-";
  for (int i = 0; i < 6; ++i) out += crockford[(r >> (i * 5)) & 31];
  return out;
}

} // namespace balie
