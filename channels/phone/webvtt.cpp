// WebVTT (W3C) reader for call transcripts. It follows the spec's block
// structure (header, NOTE/STYLE/REGION blocks, cues with optional
// identifiers and settings) and takes the speaker from the first `<v Name>`
// voice span of a cue. Markup is removed and character references decoded,
// because staff read plain text. Hours in timestamps are optional, as in the
// spec; a malformed timing line is an error, not a skipped cue.
#include "channels/phone/formats.hpp"

#include "channels/text.hpp"

#include <charconv>
#include <vector>

namespace balie::channels::phone {
namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' || s[i] == '\n') {
      lines.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

bool digits(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{};
}

/// No call lasts this long; a cue time past it is refused.
constexpr std::int64_t max_vtt_hours = 1000;

/// `[hh:]mm:ss.ttt` → milliseconds.
std::optional<std::int64_t> parse_vtt_time(std::string_view s) {
  auto const dot = s.rfind('.');
  if (dot == std::string_view::npos || s.size() - dot - 1 != 3) return std::nullopt;
  std::int64_t ms, parts[3] = {0, 0, 0};
  if (!digits(s.substr(dot + 1), ms)) return std::nullopt;
  auto hms = s.substr(0, dot);
  int n = 0;
  while (!hms.empty()) {
    if (n == 3) return std::nullopt;
    auto const colon = hms.rfind(':');
    auto const part = colon == std::string_view::npos ? hms : hms.substr(colon + 1);
    if (!digits(part, parts[n])) return std::nullopt;
    if (n < 2 && part.size() != 2) return std::nullopt;
    ++n;
    hms = colon == std::string_view::npos ? std::string_view{} : hms.substr(0, colon);
  }
  // Hours are unbounded in WebVTT; beyond max_vtt_hours a cue time is a mistake (and would overflow).
  if (n < 2 || parts[0] > 59 || parts[1] > 59 || parts[2] > max_vtt_hours) return std::nullopt;
  return ((parts[2] * 60 + parts[1]) * 60 + parts[0]) * 1000 + ms;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3F));
  else if (cp < 0x10000)
    out += static_cast<char>(0xE0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
        out += static_cast<char>(0x80 | (cp & 0x3F));
  else
    out += static_cast<char>(0xF0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), out += static_cast<char>(0x80 | (cp & 0x3F));
}

/// Removes tags, decodes references; returns the first voice span's name.
std::string cue_text(std::string_view payload, std::optional<std::string>& voice) {
  std::string out;
  for (std::size_t i = 0; i < payload.size();) {
    char const c = payload[i];
    if (c == '<') {
      auto const close = payload.find('>', i);
      if (close == std::string_view::npos) break;  // unterminated tag: drop the rest of the markup
      auto const tag = payload.substr(i + 1, close - i - 1);
      if (!voice && tag.size() > 1 && tag[0] == 'v' && (tag[1] == ' ' || tag[1] == '.' || tag[1] == '\t')) {
        auto const space = tag.find_first_of(" \t");
        if (space != std::string_view::npos) voice = std::string(trim(tag.substr(space + 1)));
      }
      i = close + 1;
    } else if (c == '&') {
      auto const semi = payload.find(';', i);
      auto const ref = semi == std::string_view::npos ? std::string_view{} : payload.substr(i + 1, semi - i - 1);
      static constexpr std::pair<std::string_view, unsigned> named[] = {
          {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}, {"lrm", 0x200E}, {"rlm", 0x200F}};
      std::optional<unsigned> cp;
      for (auto const& [name, value] : named)
        if (ref == name) cp = value;
      if (!cp && ref.size() > 1 && ref[0] == '#') {
        unsigned v = 0;
        bool const hex = ref[1] == 'x' || ref[1] == 'X';
        auto const num = ref.substr(hex ? 2 : 1);
        if (!num.empty() && std::from_chars(num.data(), num.data() + num.size(), v, hex ? 16 : 10).ptr == num.data() + num.size() &&
            v > 0 && v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF))
          cp = v;
      }
      if (cp) {
        append_utf8(out, *cp);
        i = semi + 1;
      } else {
        out += '&';
        ++i;
      }
    } else {
      out += c;
      ++i;
    }
  }
  return std::string(trim(out));
}

} // namespace

outcome<call_transcript> parse_webvtt(std::string_view body) {
  if (!is_valid_utf8(body)) return reject(400, "invalid-utf8", "The body is not valid UTF-8.");
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  auto const lines = split_lines(body);
  if (lines.empty() || lines[0].substr(0, 6) != "WEBVTT" ||
      (lines[0].size() > 6 && lines[0][6] != ' ' && lines[0][6] != '\t'))
    return reject(422, "invalid-webvtt", "A WebVTT file must start with the line 'WEBVTT'.", "/line/1");

  call_transcript t;
  t.source = "webvtt";
  std::size_t i = 1;
  while (i < lines.size() && !lines[i].empty()) ++i;  // header block
  while (i < lines.size()) {
    while (i < lines.size() && lines[i].empty()) ++i;
    if (i >= lines.size()) break;
    std::size_t const block = i;
    std::vector<std::string_view> block_lines;
    while (i < lines.size() && !lines[i].empty()) block_lines.push_back(lines[i++]);
    auto const first = block_lines[0];
    auto const first_word = first.substr(0, first.find_first_of(" \t"));
    if (first.find("-->") == std::string_view::npos &&
        (first_word == "NOTE" || first_word == "STYLE" || first_word == "REGION"))
      continue;
    std::size_t timing = first.find("-->") != std::string_view::npos ? 0 : 1;
    auto const where = "/line/" + std::to_string(block + timing + 1);
    if (timing >= block_lines.size() || block_lines[timing].find("-->") == std::string_view::npos)
      return reject(422, "invalid-webvtt", "A cue has no timing line ('start --> end').", where);
    auto const line = block_lines[timing];
    auto const arrow = line.find("-->");
    auto const start = parse_vtt_time(trim(line.substr(0, arrow)));
    auto rest = trim(line.substr(arrow + 3));
    auto const end = parse_vtt_time(rest.substr(0, rest.find_first_of(" \t")));
    if (!start || !end) return reject(422, "invalid-webvtt", "A cue's timing line has an invalid timestamp.", where);
    std::string payload;
    for (std::size_t k = timing + 1; k < block_lines.size(); ++k) {
      if (!payload.empty()) payload += '\n';
      payload += block_lines[k];
    }
    transcript_segment seg;
    seg.start_ms = *start;
    seg.end_ms = *end;
    seg.text = cue_text(payload, seg.speaker_label);
    seg.speaker = seg.speaker_label ? speaker_from_label(*seg.speaker_label) : speaker::unknown;
    t.segments.push_back(std::move(seg));
  }
  if (t.segments.empty()) return reject(422, "empty-transcript", "The WebVTT file has no cues.", "/segments");
  return t;
}

} // namespace balie::channels::phone
