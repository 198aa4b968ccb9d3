#include "channels/webchat/settings.hpp"

#include "channels/config_reader.hpp"

#include <cstdlib>

namespace balie::webchat {
using channels::fail;
using channels::object_reader;
using json = nlohmann::json;

webchat_config read_webchat_config(object_reader& w) {
  webchat_config c2;
  c2.enabled = w.boolean("enabled", true);
  c2.acknowledge = w.boolean("acknowledge", true);
  w.array("allowed_origins", false, [&](json const& v, std::string const& path) {
    if (!v.is_string()) fail(path, "expected an origin such as \"https://www.gemeente.test\"");
    auto const o = v.get<std::string>();
    bool const ok = o == "loopback" || ((o.rfind("https://", 0) == 0 || o.rfind("http://", 0) == 0) && o.back() != '/' &&
                                        o.find('/', o.find("//") + 2) == std::string::npos);
    if (!ok) fail(path, "an origin is scheme://host[:port] without a path, or \"loopback\"");
    c2.allowed_origins.push_back(o);
  });
  c2.session_ttl = std::chrono::seconds(w.integer("session_ttl_minutes", 120, 1, 24 * 60) * 60);
  c2.conversation_retention = std::chrono::seconds(w.integer("conversation_retention_days", 30, 1, 3650) * 24 * 3600);
  c2.max_connections = static_cast<std::size_t>(w.integer("max_connections", 20000, 1, 1'000'000));
  c2.max_connections_per_address = static_cast<std::size_t>(w.integer("max_connections_per_address", 20, 1, 1'000'000));
  c2.address_messages_per_second = static_cast<double>(w.integer("address_messages_per_minute", 300, 1, 600000)) / 60.0;
  c2.address_message_burst = static_cast<double>(w.integer("address_message_burst", 50, 1, 100000));
  c2.sessions_per_address = static_cast<std::size_t>(w.integer("sessions_per_address", 30, 1, 1'000'000));
  c2.leave_messages_per_address = static_cast<std::size_t>(w.integer("leave_messages_per_address", 10, 1, 1'000'000));
  c2.address_window = std::chrono::seconds(w.integer("address_window_minutes", 10, 1, 24 * 60) * 60);
  c2.messages_per_second = static_cast<double>(w.integer("messages_per_minute", 60, 1, 6000)) / 60.0;
  c2.message_burst = static_cast<double>(w.integer("message_burst", 10, 1, 1000));
  c2.max_pending_frames = static_cast<std::size_t>(w.integer("max_pending_frames", 64, 4, 10000));
  c2.slow_reader = std::chrono::seconds(w.integer("slow_reader_seconds", 30, 1, 3600));
  c2.ping_interval = std::chrono::seconds(w.integer("ping_seconds", 15, 1, 300));
  c2.timezone = w.text("timezone", c2.timezone);
  c2.closed_notice = w.text("closed_notice", "");
  w.object("hours", false, [&](object_reader& h) {
    c2.hours.assign(7, {});
    char const* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (int d = 0; d < 7; ++d)
      h.array(days[d], false, [&](json const& v, std::string const& path) {
        auto minute = [&](json const& t) {
          if (!t.is_string() || t.get<std::string>().size() != 5 || t.get<std::string>()[2] != ':') fail(path, "expected [\"HH:MM\", \"HH:MM\"]");
          auto const s = t.get<std::string>();
          int const hh = std::atoi(s.substr(0, 2).c_str()), mm = std::atoi(s.substr(3, 2).c_str());
          if (hh > 24 || mm > 59) fail(path, "not a time of day");
          return hh * 60 + mm;
        };
        if (!v.is_array() || v.size() != 2) fail(path, "expected [\"HH:MM\", \"HH:MM\"]");
        opening_window win{minute(v[0]), minute(v[1])};
        if (win.to_minute <= win.from_minute) fail(path, "closing time must come after opening time");
        c2.hours[static_cast<std::size_t>(d)].push_back(win);
      });
  });
  return c2;
}

} // namespace balie::webchat
