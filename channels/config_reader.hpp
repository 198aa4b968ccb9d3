#pragma once
// Strict reading of balied's JSON configuration, shared by the process's
// root and every channel's own section: each object is read through an
// object_reader that remembers which keys were consumed; any key left over
// is an error naming its JSON pointer. Types and ranges are checked where read.
// Exceptions are right here: configuration is read at start-up and on SIGHUP,
// never on the data plane.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace balie::channels {

struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
  config_error(std::string const& what, std::string path, std::string reason)
      : std::runtime_error(what), path(std::move(path)), reason(std::move(reason)) {}
  std::string path;    ///< the JSON pointer of the offending key, when one is known
  std::string reason;  ///< why, without the path
};

/// Throws config_error naming `path` (a JSON pointer).
[[noreturn]] void fail(std::string const& path, std::string const& what);

/// One JSON object of the configuration, read key by key.
class object_reader {
public:
  object_reader(nlohmann::json const& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) fail(path_, "expected an object");
  }
  ~object_reader() noexcept(false) {
    if (std::uncaught_exceptions()) return;
    for (auto const& [key, _] : j_.items())
      if (!seen_.count(key)) fail(path_ + "/" + key, "unknown key");
  }
  bool has(std::string const& key) const { return j_.contains(key); }
  /// Every key, for objects that are maps (each read with text() etc.).
  std::vector<std::pair<std::string, nlohmann::json>> items() const {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    for (auto const& [k, v] : j_.items()) out.emplace_back(k, v);
    return out;
  }
  nlohmann::json const* get(std::string const& key, bool required) {
    seen_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fail(path_ + "/" + key, "missing required key");
      return nullptr;
    }
    return &*it;
  }
  std::string text(std::string const& key, std::string fallback, bool required = false) {
    auto const* v = get(key, required);
    if (!v) return fallback;
    if (!v->is_string()) fail(path_ + "/" + key, "expected a string");
    return v->get<std::string>();
  }
  long long integer(std::string const& key, long long fallback, long long min, long long max) {
    auto const* v = get(key, false);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(path_ + "/" + key, "expected an integer");
    auto const n = v->get<long long>();
    if (n < min || n > max) fail(path_ + "/" + key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
  }
  bool boolean(std::string const& key, bool fallback) {
    auto const* v = get(key, false);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(path_ + "/" + key, "expected true or false");
    return v->get<bool>();
  }
  std::chrono::milliseconds millis(std::string const& key, std::chrono::milliseconds fallback, long long min, long long max) {
    return std::chrono::milliseconds(integer(key, fallback.count(), min, max));
  }
  template <class F>
  void object(std::string const& key, bool required, F&& f) {
    auto const* v = get(key, required);
    if (!v) return;
    object_reader r(*v, path_ + "/" + key);
    f(r);
  }
  template <class F>
  void array(std::string const& key, bool required, F&& f) {
    auto const* v = get(key, required);
    if (!v) return;
    if (!v->is_array()) fail(path_ + "/" + key, "expected a list");
    for (std::size_t i = 0; i < v->size(); ++i) f((*v)[i], path_ + "/" + key + "/" + std::to_string(i));
  }
  std::string const& path() const { return path_; }

private:
  nlohmann::json const& j_;
  std::string path_;
  std::set<std::string> seen_;
};

/// What a section may refer to outside itself.
struct config_context {
  std::filesystem::path base;      ///< the config file's folder: relative file paths
  std::filesystem::path data_dir;  ///< relative data paths
  std::set<std::string> inbox_ids; ///< the inboxes declared in /inboxes
  std::filesystem::path data_path(std::string const& p) const {
    return std::filesystem::path(p).is_relative() ? data_dir / p : std::filesystem::path(p);
  }
};

/// A secret reference: {"env": "NAME"} or {"file": "path"} (relative to `base`).
std::string read_secret(object_reader&, std::filesystem::path const& base);
/// The host of a scheme://[user@]host[:port]/... URL is this machine.
bool is_loopback_url(std::string_view url);
/// An IPv4 or IPv6 address, optionally with a network prefix ("192.0.2.0/24"): an allowed source.
bool is_address_or_network(std::string const&);
/// Inbox ids and other names used in keys and URLs: 1-63 of a-z, 0-9, '-'.
void check_identifier(std::string const& id, std::string const& path, std::string_view what = "an inbox id");

} // namespace balie::channels
