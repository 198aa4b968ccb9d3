#include "channels/phone/settings.hpp"

#include "channels/config_reader.hpp"

namespace balie::channels::phone {
namespace fs = std::filesystem;

phone_config read_phone_config(object_reader& p, config_context const& ctx) {
  phone_config p2;
  p2.enabled = p.boolean("enabled", true);
  auto const spool = p.text("spool_dir", "");
  p2.spool_dir = spool.empty() ? fs::path{} : ctx.data_path(spool);
  p2.spool_poll = p.millis("spool_poll_ms", p2.spool_poll, 10, 60'000);
  p2.max_transcript_bytes = static_cast<std::size_t>(p.integer("max_transcript_bytes", 5 << 20, 1024, 256 << 20));
  return p2;
}

} // namespace balie::channels::phone
