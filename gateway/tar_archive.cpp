#include "gateway/tar_archive.hpp"

#include <array>
#include <stdexcept>

namespace balie::gateway {
namespace {

constexpr std::size_t block = 512;

/// An octal number in a field of `width` bytes: width - 1 digits (zero-padded), then a NUL. Throws when it does not fit.
void octal(char* field, std::size_t width, std::uint64_t value) {
  for (std::size_t i = width - 1; i-- > 0; value >>= 3) field[i] = static_cast<char>('0' + (value & 7));
  if (value) throw std::length_error("tar: a number does not fit its field");
  field[width - 1] = '\0';
}

} // namespace

void tar_archive::add(std::string_view name, std::string_view bytes, std::int64_t mtime) {
  if (name.empty() || name.size() > 100) throw std::length_error("tar: a name is 1 to 100 bytes");
  std::array<char, block> h{};
  name.copy(h.data(), name.size());
  octal(h.data() + 100, 8, 0644);                                         // mode
  octal(h.data() + 108, 8, 0);                                            // uid
  octal(h.data() + 116, 8, 0);                                            // gid
  octal(h.data() + 124, 12, bytes.size());                                // size
  octal(h.data() + 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = '0';                                                           // a regular file
  std::string_view("ustar\0" "00", 8).copy(h.data() + 257, 8);            // magic and version
  std::string_view("balie").copy(h.data() + 265, 5);                      // uname
  std::string_view("balie").copy(h.data() + 297, 5);                      // gname
  // The checksum: the header's bytes summed with its own field as spaces; six digits, NUL, space.
  std::fill(h.begin() + 148, h.begin() + 156, ' ');
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  octal(h.data() + 148, 7, sum);
  h[155] = ' ';
  out_.append(h.data(), h.size());
  out_.append(bytes);
  out_.append((block - bytes.size() % block) % block, '\0');
}

std::string tar_archive::finish() && {
  out_.append(2 * block, '\0');
  return std::move(out_);
}

} // namespace balie::gateway
