#include "gateway/retention_config.hpp"

namespace balie::gateway {
namespace {

calendar::period read_period(channels::object_reader& r, std::string const& key, calendar::period fallback, bool required = false) {
  auto const text = r.text(key, "", required);
  if (text.empty() && !required) return fallback;
  auto const p = calendar::parse_period(text);
  if (!p) channels::fail(r.path() + "/" + key, "expected an ISO 8601 period of years, months and days, such as P1Y or P30D");
  return *p;
}

} // namespace

retention_class const* retention_config::find(std::string_view id) const {
  for (auto const& c : classes)
    if (c.id == id) return &c;
  return nullptr;
}

std::string retention_config::class_for(std::string const& chosen, std::string const& topic, std::string const& inbox) const {
  if (!chosen.empty() && find(chosen)) return chosen;
  if (auto const t = by_topic.find(topic); t != by_topic.end()) return t->second;
  if (auto const i = by_inbox.find(inbox); i != by_inbox.end()) return i->second;
  return default_class;
}

queue::retention_plan retention_config::plan(timestamp closed) const {
  queue::retention_plan p{{}, default_class, by_inbox, by_topic};
  for (auto const& c : classes) p.destroy_at_ms[c.id] = calendar::add(closed, c.term).time_since_epoch().count();
  return p;
}

retention_config default_retention() {
  retention_config c;
  c.classes = {{"informatieverzoek", "Verzoek om informatie", {1, 0, 0}, true},
               {"melding", "Melding", {5, 0, 0}, false},
               {"klacht", "Klacht", {5, 0, 0}, false}};
  c.default_class = "informatieverzoek";
  return c;
}

retention_config read_retention(channels::object_reader& r, std::set<std::string> const& inbox_ids) {
  auto c = default_retention();
  if (r.has("classes")) c.classes.clear();
  r.array("classes", false, [&](nlohmann::json const& v, std::string const& path) {
    channels::object_reader e(v, path);
    retention_class k{e.text("id", "", true), e.text("label", "", true), read_period(e, "term", {}, true), e.boolean("erasable_on_request", false)};
    channels::check_identifier(k.id, path + "/id", "a class id");
    if (c.find(k.id)) channels::fail(path + "/id", "duplicate class id");
    c.classes.push_back(std::move(k));
  });
  if (c.classes.empty()) channels::fail(r.path() + "/classes", "expected at least one class");
  c.default_class = r.text("default_class", r.has("classes") ? c.classes.front().id : c.default_class);
  if (!c.find(c.default_class)) channels::fail(r.path() + "/default_class", "names no class in /retention/classes");
  auto read_map = [&](std::string const& key, std::map<std::string, std::string>& out, bool inboxes) {
    r.object(key, false, [&](channels::object_reader& m) {
      for (auto const& [name, value] : m.items()) {
        auto const cls = m.text(name, "");
        if (inboxes && !inbox_ids.count(name)) channels::fail(m.path() + "/" + name, "names no inbox in /inboxes");
        if (!c.find(cls)) channels::fail(m.path() + "/" + name, "names no class in /retention/classes");
        out[name] = cls;
      }
    });
  };
  read_map("by_inbox", c.by_inbox, true);
  read_map("by_topic", c.by_topic, false);
  c.check_every = std::chrono::seconds(r.integer("check_every_minutes", 60, 1, 24LL * 60) * 60);
  r.object("operational", false, [&](channels::object_reader& o) {
    c.spool_done = read_period(o, "spool_done", c.spool_done);
    c.spool_failed = read_period(o, "spool_failed", c.spool_failed);
    c.events = read_period(o, "events", c.events);
    c.audit = read_period(o, "audit", c.audit);
    c.destruction_list = read_period(o, "destruction_list", c.destruction_list);
  });
  return c;
}

} // namespace balie::gateway
