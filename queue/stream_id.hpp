#pragma once
// Redis stream ids (`<ms>-<seq>`) as clients echo them back (Last-Event-ID):
// read with std::from_chars, never std::stoull, so a hostile header is a
// refusal and not an exception on an I/O thread.

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace balie::queue {

/// Both parts within uint64, digits only; nullopt for anything else.
inline std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_stream_id(std::string_view s) {
  auto const number = [](std::string_view part) -> std::optional<std::uint64_t> {
    std::uint64_t n = 0;
    if (part.empty() || part[0] < '0' || part[0] > '9') return std::nullopt;
    auto const [end, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (ec != std::errc{} || end != part.data() + part.size()) return std::nullopt;  // also: out of range
    return n;
  };
  auto const d = s.find('-');
  if (d == std::string_view::npos) return std::nullopt;
  auto const ms = number(s.substr(0, d)), seq = number(s.substr(d + 1));
  if (!ms || !seq) return std::nullopt;
  return std::pair{*ms, *seq};
}

} // namespace balie::queue
