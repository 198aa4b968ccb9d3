// baliectl: the admin's command line for a running balied, over its HTTP API
// (the same endpoints and checks as any other client; no back door).
//
//   baliectl [--url URL] [--token-file FILE] [--json] channels list
//   baliectl ... channels disable NAME --reason TEXT [--notice TEXT] [--notice-en TEXT]
//   baliectl ... channels enable NAME [--reason TEXT]
//   baliectl ... channels history NAME
//   baliectl ... routing show
//   baliectl ... routing check FILE
//   baliectl ... routing apply FILE --reason TEXT
//   baliectl ... replies list
//   baliectl ... replies put ID FILE
//   baliectl ... replies delete ID
//   baliectl ... residents find ADDRESS
//   baliectl ... residents export ADDRESS --out FILE
//   baliectl ... residents erase ADDRESS --reason TEXT
//   baliectl ... records show CASE_ID
//   baliectl ... records class CASE_ID CLASS --reason TEXT
//   baliectl ... records hold CASE_ID --reason TEXT | records release CASE_ID --reason TEXT
//   baliectl ... records destroyed [--out FILE]
//   baliectl matrix registration --config FILE
//
// `residents find` (a privacy token) lists every case in which the address
// (an email address, a phone number in any Dutch notation, a Matrix ID; for a
// web chat, a `BL-` reference of its case) took part, in every inbox: for an access or erasure request. The address goes
// to balied in the request body, never in a URL. `export` writes one tar
// archive for the resident (a new file, mode 0600); `erase` destroys what no
// duty keeps and prints what is kept and why. `records` (a records token):
// a case's retention class and legal hold, and the destruction list as CSV.
// FILE is a routing section (default_inbox, channels, rules) or a whole
// balied config file, whose routing section is taken; comments are allowed.
// `check` asks balied to check it against the inboxes there are (nothing
// changes); `apply` puts it in force for every instance. A saved reply's FILE
// is {"title", "inbox" (absent: shared), "text": {"nl", "en"}}; balied
// refuses unknown variables and answers with plain-language hints, printed.
//
// URL: --url, else BALIE_URL, else http://127.0.0.1:8080. The admin token:
// --token-file (first line), else BALIE_TOKEN; never an argument, which
// other users of the machine could read in the process list.
// `matrix registration` needs no running balied: it reads the messenger's
// Matrix section of balied's config FILE, writes two fresh tokens into the
// secret files it names (hs_token, as_token; mode 0600) and prints the
// registration YAML for the homeserver's admin. balied reads the tokens at
// its next start.
// Exit codes: 0 done, 1 balied refused (its explanation is printed),
// 2 wrong usage, 3 balied could not be reached.
#include "channels/messenger/matrix_api.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

constexpr int exit_refused = 1, exit_usage = 2, exit_unreachable = 3;

int usage(std::string const& why) {
  std::cerr << "baliectl: " << why << "\n"
            << "usage: baliectl [--url URL] [--token-file FILE] [--json] channels list\n"
            << "       baliectl [...] channels disable NAME --reason TEXT [--notice TEXT] [--notice-en TEXT]\n"
            << "       baliectl [...] channels enable NAME [--reason TEXT]\n"
            << "       baliectl [...] channels history NAME\n"
            << "       baliectl [...] routing show | routing check FILE | routing apply FILE --reason TEXT\n"
            << "       baliectl [...] replies list | replies put ID FILE | replies delete ID\n"
            << "       baliectl [...] residents find ADDRESS | residents export ADDRESS --out FILE\n"
            << "       baliectl [...] residents erase ADDRESS --reason TEXT\n"
            << "       baliectl [...] records show CASE_ID | records class CASE_ID CLASS --reason TEXT\n"
            << "       baliectl [...] records hold CASE_ID --reason TEXT | records release CASE_ID --reason TEXT\n"
            << "       baliectl [...] records destroyed [--out FILE]\n"
            << "       baliectl matrix registration --config FILE\n"
            << "The admin token comes from --token-file or BALIE_TOKEN; the address from --url or BALIE_URL.\n";
  return exit_usage;
}

struct reply {
  long status = 0;
  std::string body;
  std::string error;  ///< set when balied could not be reached
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

reply call(std::string const& method, std::string const& url, std::string const& token, std::string const& body = {},
           char const* accept = nullptr) {
  reply r;
  CURL* c = curl_easy_init();
  if (!c) return {0, {}, "curl could not start"};
  curl_slist* headers = nullptr;
  auto const auth = "Authorization: Bearer " + token;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  if (accept) headers = curl_slist_append(headers, (std::string("Accept: ") + accept).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);  // an export of many cases takes a while
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (auto const rc = curl_easy_perform(c); rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  else curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

// Readers that never throw, whatever balied (or something else at that address) answers.
std::string text(json const& j, char const* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}
long long number(json const& j, char const* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : 0;
}
bool flag(json const& j, char const* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
json list(json const& j, char const* key) {
  if (!j.is_object()) return json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : json::array();
}

/// balied's answer to a refused request, as a person reads it.
int refused(reply const& r) {
  auto const j = json::parse(r.body, nullptr, false);
  std::cerr << "baliectl: balied answered " << r.status;
  if (j.is_object()) {
    if (auto const title = text(j, "title"); !title.empty()) std::cerr << " (" << title << ")";
    if (auto const detail = text(j, "detail"); !detail.empty()) std::cerr << ": " << detail;
    if (auto it = j.find("invalid-params"); it != j.end() && it->is_array())
      for (auto const& p : *it) std::cerr << "\n  " << text(p, "name") << ": " << text(p, "reason");
  }
  std::cerr << "\n";
  return exit_refused;
}

void print_channel(json const& c) {
  bool const on = flag(c, "enabled");
  std::cout << text(c, "name") << "\t" << (on ? "on" : "off");
  if (auto const since = text(c, "since"); !since.empty()) std::cout << "\tsince " << since;
  if (auto const by = text(c, "changed_by"); !by.empty()) std::cout << "\tby " << by;
  if (auto const reason = text(c, "reason"); !reason.empty()) std::cout << "\t" << reason;
  std::cout << "\n";
}

/// The routing section of FILE (a routing section, or a config file holding one); nullopt with the reason said.
/// A JSON object from FILE; nullopt with the reason said.
std::optional<json> json_file(std::string const& file) {
  std::ifstream in(file);
  if (!in) {
    std::cerr << "baliectl: cannot read " << file << "\n";
    return std::nullopt;
  }
  std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
  if (j.is_discarded() || !j.is_object()) {
    std::cerr << "baliectl: " << file << " is not a JSON object\n";
    return std::nullopt;
  }
  return j;
}

/// A saved reply's plain-language hints, one per line.
void print_hints(json const& reply) {
  for (auto const& h : list(reply, "hints")) {
    auto const kind = text(h, "kind");
    std::cout << "  hint: ";
    if (kind == "sentence") std::cout << "a sentence of " << number(h, "words") << " words (\"" << text(h, "start") << " ...\"); B1 keeps to 15";
    else if (kind == "jargon") std::cout << "\"" << text(h, "word") << "\": write \"" << text(h, "suggestion") << "\"";
    else if (kind == "passive") std::cout << "a passive sentence (\"" << text(h, "word") << "\" in \"" << text(h, "start") << " ...\"): say who does what";
    std::cout << "\n";
  }
}

/// A fresh token: 32 random bytes from the kernel, hex.
std::optional<std::string> fresh_token() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[32];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) return std::nullopt;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

/// Writes `token` to `path`, readable by its owner only, replacing what was there.
bool write_secret(std::filesystem::path const& path, std::string const& token) {
  auto const fresh = path.string() + ".new";
  {
    auto const old = umask(077);
    std::ofstream out(fresh, std::ios::trunc);
    umask(old);
    if (!(out << token << "\n") || !out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::permissions(fresh, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(fresh, path, ec);
  return !ec;
}

/// `matrix registration`: fresh tokens into the config's secret files, and the homeserver's registration YAML.
int matrix_registration(std::string const& config_file) {
  auto const config = json_file(config_file);
  if (!config) return exit_usage;
  auto const* messenger = config->contains("channels") && (*config)["channels"].is_object() && (*config)["channels"].contains("messenger")
                              ? &(*config)["channels"]["messenger"] : nullptr;
  auto const* matrix = messenger && messenger->is_object() && messenger->contains("matrix") ? &(*messenger)["matrix"] : nullptr;
  if (!matrix || !matrix->is_object()) {
    std::cerr << "baliectl: " << config_file << " has no /channels/messenger/matrix section\n";
    return exit_usage;
  }
  balie::messenger::matrix_config c;
  c.server_name = text(*matrix, "server_name");
  for (auto const& [key, field] : {std::pair{"appservice_id", &c.appservice_id}, {"sender_localpart", &c.sender_localpart}, {"user_prefix", &c.user_prefix}})
    if (auto const v = text(*matrix, key); !v.empty()) *field = v;
  auto const base = std::filesystem::path(config_file).parent_path();
  auto const secret_file = [&](char const* key) -> std::optional<std::filesystem::path> {
    auto const it = matrix->find(key);
    if (it == matrix->end() || !it->is_object() || text(*it, "file").empty()) return std::nullopt;
    return base / text(*it, "file");
  };
  auto const hs_file = secret_file("hs_token"), as_file = secret_file("as_token");
  if (c.server_name.empty() || !hs_file || !as_file) {
    std::cerr << "baliectl: the matrix section needs server_name, and hs_token and as_token as {\"file\": ...}\n";
    return exit_usage;
  }
  auto const hs = fresh_token(), as = fresh_token();
  if (!hs || !as) {
    std::cerr << "baliectl: no random bytes from /dev/urandom\n";
    return exit_refused;
  }
  if (!write_secret(*hs_file, *hs) || !write_secret(*as_file, *as)) {
    std::cerr << "baliectl: cannot write the token files next to " << config_file << "\n";
    return exit_refused;
  }
  std::cout << balie::messenger::registration_yaml(c, messenger->is_object() ? text(*messenger, "public_base_url") : "", *as, *hs);
  std::cerr << "baliectl: new tokens written to " << hs_file->string() << " and " << as_file->string()
            << "; restart balied, and give the YAML above to the homeserver's admin.\n";
  return 0;
}

std::optional<json> routing_file(std::string const& file) {
  auto j = json_file(file);
  if (j && j->contains("routing")) return (*j)["routing"];
  return j;
}

/// Writes what balied sent into a new file only its owner can read (an archive of a resident's cases, the
/// destruction list); an existing file is never overwritten.
int write_private(std::string const& path, std::string const& bytes) {
  int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "baliectl: cannot create " << path << ": " << std::strerror(errno) << " (an existing file is not overwritten)\n";
    return exit_usage;
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    auto const n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  bool const ok = written == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::cerr << "baliectl: cannot write " << path << "\n";
    return exit_refused;
  }
  std::cout << "Wrote " << bytes.size() << " bytes to " << path << ".\n";
  return 0;
}

} // namespace

static int run(std::vector<std::string> const& args) {
  std::string url = std::getenv("BALIE_URL") ? std::getenv("BALIE_URL") : "http://127.0.0.1:8080";
  std::optional<std::string> token_file, reason, notice, notice_en, config_file, out_file;
  bool as_json = false;
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto const value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    auto const& a = args[i];
    std::optional<std::string>* target = a == "--token-file" ? &token_file : a == "--reason" ? &reason
                                         : a == "--notice"   ? &notice
                                         : a == "--notice-en" ? &notice_en
                                         : a == "--config"    ? &config_file
                                         : a == "--out"       ? &out_file
                                                              : nullptr;
    if (a == "--url") {
      auto v = value();
      if (!v) return usage("--url needs a value");
      url = *v;
    } else if (target) {
      auto v = value();
      if (!v) return usage(a + " needs a value");
      *target = *v;
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "--help" || a == "-h") {
      usage("the channels of a running balied");
      return 0;
    } else if (a.starts_with("--")) {
      return usage("unknown option " + a);
    } else {
      words.push_back(a);
    }
  }
  while (!url.empty() && url.back() == '/') url.pop_back();

  if (!words.empty() && words[0] == "matrix") {
    if (words.size() != 2 || words[1] != "registration" || !config_file) return usage("matrix: registration --config FILE");
    return matrix_registration(*config_file);
  }
  std::string token;
  if (token_file) {
    std::ifstream in(*token_file);
    if (!in || !std::getline(in, token)) return usage("cannot read the token file " + *token_file);
  } else if (auto const* env = std::getenv("BALIE_TOKEN")) {
    token = env;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (words.empty() || (words[0] != "channels" && words[0] != "routing" && words[0] != "replies" && words[0] != "residents" &&
                        words[0] != "records"))
    return usage("say what to do");
  if (token.empty()) return usage("no token: use --token-file FILE or BALIE_TOKEN");
  if (words.size() < 2)
    return usage(words[0] == "channels"    ? "channels: list, enable, disable or history"
                 : words[0] == "routing"   ? "routing: show, check or apply"
                 : words[0] == "residents" ? "residents: find ADDRESS, export ADDRESS --out FILE or erase ADDRESS --reason TEXT"
                 : words[0] == "records"   ? "records: show, class, hold, release or destroyed"
                                           : "replies: list, put or delete");

  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto const verb = words[1];
  bool const routing = words[0] == "routing", replies = words[0] == "replies", residents = words[0] == "residents",
             records = words[0] == "records";
  reply r;
  if (residents && verb == "find" && words.size() == 3) {
    r = call("POST", url + "/api/v1/residents/search", token, json{{"address", words[2]}}.dump());
  } else if (residents && verb == "export" && words.size() == 3) {
    if (!out_file) return usage("export needs --out FILE: the archive for the resident");
    if (std::filesystem::exists(*out_file)) return usage(*out_file + " exists: an archive is never written over another file");
    r = call("POST", url + "/api/v1/residents/export", token, json{{"address", words[2]}}.dump());
    if (r.error.empty() && r.status == 200) return write_private(*out_file, r.body);
  } else if (residents && verb == "erase" && words.size() == 3) {
    if (!reason) return usage("erase needs --reason: it goes into the audit and the destruction list's approval");
    r = call("POST", url + "/api/v1/residents/erase", token, json{{"address", words[2]}, {"reason", *reason}}.dump());
  } else if (residents) {
    return usage("residents: find ADDRESS, export ADDRESS --out FILE or erase ADDRESS --reason TEXT");
  } else if (records && verb == "show" && words.size() == 3) {
    r = call("GET", url + "/api/v1/cases/" + words[2] + "/retention", token);
  } else if (records && (verb == "class" ? words.size() == 4 : (verb == "hold" || verb == "release") && words.size() == 3)) {
    if (!reason) return usage(verb + " needs --reason: it is kept with the case's history");
    json body = {{"reason", *reason}};
    if (verb == "class") body["class"] = words[3];
    else body["legal_hold"] = verb == "hold";
    r = call("PUT", url + "/api/v1/cases/" + words[2] + "/retention", token, body.dump());
  } else if (records && verb == "destroyed" && words.size() == 2) {
    r = call("GET", url + "/api/v1/destruction-list", token, {}, "text/csv");
    if (r.error.empty() && r.status == 200) {
      if (out_file) return write_private(*out_file, r.body);
      std::cout << r.body;
      return 0;
    }
  } else if (records) {
    return usage("records: show CASE_ID, class CASE_ID CLASS, hold CASE_ID, release CASE_ID (each with --reason) or destroyed");
  } else if (replies && verb == "list" && words.size() == 2) {
    r = call("GET", url + "/api/v1/replies", token);
  } else if (replies && verb == "put" && words.size() == 4) {
    auto const body = json_file(words[3]);
    if (!body) return exit_usage;
    r = call("PUT", url + "/api/v1/replies/" + words[2], token, body->dump());
  } else if (replies && verb == "delete" && words.size() == 3) {
    r = call("DELETE", url + "/api/v1/replies/" + words[2], token);
    if (r.error.empty() && r.status == 204) {
      std::cout << "Deleted " << words[2] << ".\n";
      return 0;
    }
  } else if (replies) {
    return usage("replies: list, put ID FILE or delete ID");
  } else if (routing && verb == "show" && words.size() == 2) {
    r = call("GET", url + "/api/v1/routing", token);
  } else if (routing && (verb == "check" || verb == "apply") && words.size() == 3) {
    if (verb == "apply" && !reason) return usage("apply needs --reason: it goes into the audit");
    auto const section = routing_file(words[2]);
    if (!section) return exit_usage;
    if (verb == "check") r = call("POST", url + "/api/v1/routing/check", token, json{{"routing", *section}}.dump());
    else r = call("PUT", url + "/api/v1/routing", token, json{{"routing", *section}, {"reason", *reason}}.dump());
  } else if (routing) {
    return usage("routing: show, check FILE or apply FILE --reason TEXT");
  } else if (verb == "list" && words.size() == 2) {
    r = call("GET", url + "/api/v1/channels", token);
  } else if ((verb == "enable" || verb == "disable") && words.size() == 3) {
    bool const on = verb == "enable";
    if (!on && !reason) return usage("disable needs --reason: it goes into the history and the audit");
    json body = {{"enabled", on}, {"reason", reason.value_or("switched on with baliectl")}};
    if (notice) body["notice"]["nl"] = *notice;
    if (notice_en) body["notice"]["en"] = *notice_en;
    r = call("PUT", url + "/api/v1/channels/" + words[2], token, body.dump());
  } else if (verb == "history" && words.size() == 3) {
    r = call("GET", url + "/api/v1/channels/" + words[2] + "/history", token);
  } else {
    return usage("channels: list, enable NAME, disable NAME or history NAME");
  }
  if (!r.error.empty()) {
    std::cerr << "baliectl: cannot reach balied at " << url << ": " << r.error << "\n";
    return exit_unreachable;
  }
  if (r.status < 200 || r.status >= 300) return refused(r);
  auto const j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "baliectl: balied's answer is not JSON\n";
    return exit_refused;
  }
  if (as_json) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  if (residents && verb == "erase") {
    auto const destroyed = list(j, "destroyed"), kept = list(j, "kept");
    std::cout << "Destroyed " << destroyed.size() << (destroyed.size() == 1 ? " case" : " cases") << ".\n";
    for (auto const& c : destroyed) std::cout << text(c, "reference") << "\t" << text(c, "inbox") << "\n";
    std::cout << "Kept " << kept.size() << (kept.size() == 1 ? " case" : " cases") << ":\n";
    for (auto const& c : kept)
      std::cout << text(c, "reference") << "\t" << text(c, "inbox") << "\t" << text(c, "why") << "\t" << text(c, "explanation") << "\n";
    std::cout << "Also kept:\n";
    for (auto const& k : list(j, "also_kept")) std::cout << text(k, "what") << "\t" << text(k, "why") << "\n";
    std::cout << text(j, "files") << "\n";
  } else if (records) {
    auto const hold = j.is_object() && j.contains("legal_hold") && j["legal_hold"].is_object() ? j["legal_hold"] : json::object();
    std::cout << text(j, "reference") << "\t" << text(j, "state") << "\tclass " << text(j, "class") << " (" << text(j, "label") << ", "
              << text(j, "term") << ")\tdestroyed after " << (text(j, "destroy_after").empty() ? "its close plus the term" : text(j, "destroy_after"))
              << (hold.empty() ? "" : "\tlegal hold: " + text(hold, "reason")) << "\n";
  } else if (residents) {
    auto const cases = list(j, "cases");
    std::cout << cases.size() << (cases.size() == 1 ? " case" : " cases") << " with this address"
              << (flag(j, "cut") ? " (the first 1000; there are more)" : "") << ".\n";
    for (auto const& c : cases)
      std::cout << text(c, "reference") << "\t" << text(c, "inbox") << "\t" << text(c, "state") << "\t" << text(c, "channel") << "\t"
                << text(c, "created_at") << (flag(c, "confidential") ? "\tconfidential" : "") << "\n";
  } else if (replies) {
    for (auto const& reply : verb == "list" ? list(j, "replies") : json::array({j})) {
      auto const inbox = reply.contains("inbox") && reply["inbox"].is_string() ? reply["inbox"].get<std::string>() : std::string("shared");
      std::cout << (verb == "put" ? "Saved " : "") << text(reply, "id") << "\t" << inbox << "\t" << text(reply, "title") << "\n";
      print_hints(reply);
    }
  } else if (routing) {
    if (verb == "check") std::cout << "The rule set is valid: " << number(j, "rules") << " rules, default inbox " << text(j, "default_inbox") << ".\n";
    else if (verb == "apply" && !flag(j, "changed")) std::cout << "These rules were in force already (version " << number(j, "version") << ").\n";
    else std::cout << "Version " << number(j, "version") << " by " << text(j, "changed_by") << " since " << text(j, "since") << ": "
                   << number(j, "rules") << " rules. " << text(j, "reason") << "\n";
  } else if (verb == "list") {
    for (auto const& c : list(j, "channels")) print_channel(c);
  } else if (verb == "history") {
    for (auto const& c : list(j, "changes"))
      std::cout << text(c, "at") << "\t" << (flag(c, "enabled") ? "on" : "off") << "\tby " << text(c, "changed_by") << "\t"
                << text(c, "reason") << "\n";
  } else {
    print_channel(j);
  }
  return 0;
}

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (std::exception const& e) {  // out of memory and the like: said, not a crash
    std::cerr << "baliectl: " << e.what() << "\n";
    return exit_refused;
  }
}
