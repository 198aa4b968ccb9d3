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
//   baliectl matrix registration --config FILE
//
// `residents find` (a privacy token) lists every case in which the address
// (an email address, a phone number in any Dutch notation, a Matrix ID) took
// part, in every inbox: for an access or erasure request. The address goes
// to balied in the request body, never in a URL.
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
#include <sys/stat.h>

#include <cstdlib>
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
            << "       baliectl [...] residents find ADDRESS\n"
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

reply call(std::string const& method, std::string const& url, std::string const& token, std::string const& body = {}) {
  reply r;
  CURL* c = curl_easy_init();
  if (!c) return {0, {}, "curl could not start"};
  curl_slist* headers = nullptr;
  auto const auth = "Authorization: Bearer " + token;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
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

} // namespace

static int run(std::vector<std::string> const& args) {
  std::string url = std::getenv("BALIE_URL") ? std::getenv("BALIE_URL") : "http://127.0.0.1:8080";
  std::optional<std::string> token_file, reason, notice, notice_en, config_file;
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
  if (words.empty() || (words[0] != "channels" && words[0] != "routing" && words[0] != "replies" && words[0] != "residents"))
    return usage("say what to do");
  if (token.empty()) return usage("no token: use --token-file FILE or BALIE_TOKEN");
  if (words.size() < 2)
    return usage(words[0] == "channels"    ? "channels: list, enable, disable or history"
                 : words[0] == "routing"   ? "routing: show, check or apply"
                 : words[0] == "residents" ? "residents: find ADDRESS"
                                           : "replies: list, put or delete");

  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto const verb = words[1];
  bool const routing = words[0] == "routing", replies = words[0] == "replies", residents = words[0] == "residents";
  reply r;
  if (residents && verb == "find" && words.size() == 3) {
    r = call("POST", url + "/api/v1/residents/search", token, json{{"address", words[2]}}.dump());
  } else if (residents) {
    return usage("residents: find ADDRESS");
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
  if (residents) {
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
