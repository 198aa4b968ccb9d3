// Private Dovecot and Postfix for tests (see mail_servers.hpp), following the
// verified loopback recipe in CHANNELS.md 1.14. Both are the distribution's
// own daemons, configured from scratch in the test's directory:
//
// - Dovecot: IMAP only. A passwd-file of plain passwords, a static userdb that
//   maps every user to nobody:nogroup and a maildir <dir>/mail/<user>. It is
//   stopped by SIGTERM to the master pid rather than `doveadm stop`, which
//   polls by the second (~3 s against ~1 s). deliver() uses `doveadm save`
//   (dovecot-lda would need postmaster_address and a second code path), and a
//   UIDVALIDITY change uses `doveadm mailbox update --uid-validity`, because
//   INBOX cannot be deleted and recreated and removing dovecot-uidlist lets
//   Dovecot take the old value back from its index.
// - Postfix: smtpd on one loopback port; relay_domains go to Balie's LMTP
//   listener through relay_transport; the residents' domain is a virtual
//   mailbox domain written by virtual(8) straight into Dovecot's maildirs as
//   nobody:nogroup (no dovecot-lmtpd or LDA needed; Dovecot picks new files up
//   from new/). smtpd_reject_unlisted_recipient = no makes smtpd accept an
//   unknown resident at RCPT (250), so Balie's send succeeds and virtual(8)
//   then bounces it ("status=bounced (unknown user: ...)", dsn=5.1.1); the
//   DSN (MAIL FROM:<>, multipart/report, Final-Recipient and Status 5.1.1)
//   goes to the envelope sender, which for @gemeente.test is Balie's LMTP.
//   tests/channels/email/email_test.cpp relies on exactly this. master.cf is
//   embedded (Debian's services, chroot off, no pipe transports) because on a
//   "No configuration" install there may be no /etc/postfix/master.cf or
//   main.cf; `postfix -c <dir>/etc` reads neither. The postfix command chdirs
//   into the queue directory first, so that is created here; `postfix check`
//   (post-install create-missing) makes its subdirectories and data_directory
//   with Postfix's own owners. `set-permissions` is not run: it would also
//   reset modes on shared files such as /usr/sbin/postdrop.
//
// Commands run through run_command(): fork/exec of an argv (no shell), output
// to a file rather than a pipe because `dovecot` and `postfix start` leave
// daemons behind that would hold a pipe open, and a bounded wait.

#include "tests/support/mail_servers.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace balie::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// Readiness and exit are polled at this interval: short against the ~0.5-1 s start-ups.
constexpr auto poll_interval = 20ms;
// A doveadm or postfix command taking longer than this is hung (they take well under a second).
constexpr auto command_deadline = 60s;
// A ready server greets at once; this only bounds a connection to a stuck one.
constexpr int greeting_timeout_seconds = 2;
// Lines of a log quoted in an exception message.
constexpr std::size_t log_tail_lines = 30;

template <class Pred>
bool poll_until(std::chrono::milliseconds timeout, Pred pred) {
  auto const deadline = steady::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(poll_interval);
  }
}

std::string read_file(fs::path const& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(fs::path const& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, fs::perms(0644));
}

std::string tail(std::string const& text, std::size_t lines = log_tail_lines) {
  auto pos = !text.empty() && text.back() == '\n' ? text.size() - 1 : text.size();  // pos: the '\n' before the kept text
  for (std::size_t n = 0; n < lines; ++n) {
    auto const nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos + 1);
}

// Regular files directly in `dir`, or below it with `recursive`; a missing or vanishing directory counts as empty.
std::vector<fs::path> list_files(fs::path const& dir, bool recursive = false) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(it->path());
    else if (recursive && it->is_directory(type_ec))
      for (auto& p : list_files(it->path(), true)) out.push_back(std::move(p));
  }
  return out;
}

// Searches PATH, then the sbin directories a test runner's PATH may lack (postfix and dovecot live in /usr/sbin).
std::string find_program(std::string const& name) {
  char const* env = std::getenv("PATH");
  std::istringstream dirs(std::string(env ? env : "") + ":/usr/sbin:/usr/bin:/sbin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    auto const candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

struct command_result {
  int status;
  std::string output;  // stdout and stderr
};

// Runs argv (argv[0] looked up with find_program) with stdin from `input` (or /dev/null) and stdout+stderr
// into `output_file`; waits at most command_deadline, then kills it and throws.
command_result run_command(std::vector<std::string> argv, fs::path const& output_file, fs::path const& input = {}) {
  auto const program = find_program(argv[0]);
  if (program.empty()) throw std::runtime_error(argv[0] + " not found (needs the postfix and dovecot-imapd packages)");
  argv[0] = program;
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  int const out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int const in = ::open(input.empty() ? "/dev/null" : input.c_str(), O_RDONLY | O_CLOEXEC);
  if (out < 0 || in < 0) {
    if (out >= 0) ::close(out);
    if (in >= 0) ::close(in);
    throw std::runtime_error("cannot open the files for " + argv[0]);
  }
  pid_t const pid = ::fork();
  if (pid == 0) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);  // the daemons left behind must not hold the test's sockets and pipes
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in);
  ::close(out);
  if (pid < 0) throw std::runtime_error("fork failed");

  int status = 0;
  bool const exited = poll_until(command_deadline, [&] {
    auto const r = ::waitpid(pid, &status, WNOHANG);
    if (r < 0 && errno == ECHILD) status = -1;  // reaped elsewhere (SIGCHLD ignored): report a failure, not a hang
    return r == pid || (r < 0 && errno == ECHILD);
  });
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    throw std::runtime_error(argv[0] + " " + (argv.size() > 1 ? argv.back() : "") + " timed out: " + read_file(output_file));
  }
  int const code = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, read_file(output_file)};
}

std::string joined(std::vector<std::string> const& words) {
  std::string out;
  for (auto const& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// A daemonised master is not our child: it is gone once /proc has no entry or shows a zombie (pid 1 reaps late).
bool process_alive(int pid) {
  if (pid <= 0) return false;
  auto const stat = read_file(fs::path("/proc") / std::to_string(pid) / "stat");
  auto const paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char const state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

int read_pid(fs::path const& pid_file) {
  try {
    return std::stoi(read_file(pid_file));  // Postfix pads with spaces, Dovecot ends with '\n'
  } catch (std::exception const&) {
    return 0;
  }
}

// After a stop signal: waits (bounded) until the master is gone, else SIGKILLs `kill_target` (pid or -pgid).
void wait_gone(int pid, int kill_target) {
  if (poll_until(mail_server_deadline, [&] { return !process_alive(pid); })) return;
  ::kill(kill_target, SIGKILL);
  poll_until(mail_server_deadline, [&] { return !process_alive(pid); });
}

// Connects to 127.0.0.1:port and checks that the first line starts with `prefix`; then says `goodbye`.
bool greets(int port, std::string_view prefix, std::string_view goodbye) {
  int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{greeting_timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) == 0) {
    char buf[512];
    while (line.find('\n') == std::string::npos && line.size() < sizeof buf) {
      auto const n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::send(fd, goodbye.data(), goodbye.size(), MSG_NOSIGNAL);
  }
  ::close(fd);
  return line.starts_with(prefix);
}

uid_t nobody_uid() {
  if (auto const* pw = ::getpwnam("nobody")) return pw->pw_uid;
  throw std::runtime_error("no user nobody");
}

gid_t nogroup_gid() {
  if (auto const* gr = ::getgrnam("nogroup")) return gr->gr_gid;
  throw std::runtime_error("no group nogroup");
}

// Creates `dir` (0755) and checks that the unprivileged daemon users (postfix, dovecot, nobody) can reach it.
void prepare_dir(fs::path const& dir) {
  if (::geteuid() != 0) throw std::runtime_error("the test mail servers need root");
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms(0755));
  for (auto p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && !(st.st_mode & S_IXOTH))
      throw std::runtime_error(p.string() + " is not searchable by other users (o+x); the mail daemons' users need to pass it");
    if (p == p.root_path()) break;
  }
}

// Names end up in a passwd-file, maildir paths and a Postfix lookup table: keep them to plain tokens.
void require_plain(std::string const& what, std::string const& s, std::string_view forbidden) {
  bool bad = s.empty();
  for (char c : s) bad = bad || static_cast<unsigned char>(c) <= ' ' || forbidden.find(c) != std::string_view::npos;
  if (bad) throw std::invalid_argument("unusable " + what + ": '" + s + "'");
}

} // namespace

int free_loopback_port() {
  int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bool const ok = ::bind(fd, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot bind 127.0.0.1:0");
  return ntohs(addr.sin_port);
}

bool mail_servers_available() {
  return ::geteuid() == 0 && !find_program("postfix").empty() && !find_program("dovecot").empty() &&
         !find_program("doveadm").empty() && !find_program("swaks").empty();
}

// ---- dovecot_server

dovecot_server::dovecot_server(fs::path dir, std::vector<mail_user> users)
    : dir_(fs::absolute(std::move(dir))), users_(std::move(users)), imap_port_(free_loopback_port()) {
  for (auto const& u : users_) {
    require_plain("mail user name", u.name, ":/@");
    require_plain("mail user password", u.password, ":");
  }
}

dovecot_server::~dovecot_server() {
  try {
    stop();
  } catch (std::exception const&) {
  }
}

std::vector<std::string> dovecot_server::user_names() const {
  std::vector<std::string> out;
  for (auto const& u : users_) out.push_back(u.name);
  return out;
}

int dovecot_server::master_pid() const { return read_pid(dir_ / "run" / "master.pid"); }

bool dovecot_server::running() const { return process_alive(master_pid()); }

std::string dovecot_server::log() const { return read_file(dir_ / "dovecot.log"); }

void dovecot_server::start() {
  if (running()) throw std::logic_error("dovecot_server already running");
  prepare_dir(dir_);
  // The mail processes and Postfix's virtual(8) run as nobody and create <user>/ here themselves.
  fs::create_directories(mail_root());
  fs::permissions(mail_root(), fs::perms(0755));
  if (::chown(mail_root().c_str(), nobody_uid(), nogroup_gid()) != 0) throw std::runtime_error("cannot chown " + mail_root().string());

  std::string users_file;
  for (auto const& u : users_) users_file += u.name + ":{PLAIN}" + u.password + "\n";
  write_file(dir_ / "users", users_file);

  auto const d = dir_.string();
  auto const mail = mail_root().string();
  write_file(config_file(), "protocols = imap\n"
                            "listen = 127.0.0.1\n"
                            "base_dir = " + d + "/run\n"
                            "state_dir = " + d + "/state\n"
                            "log_path = " + d + "/dovecot.log\n"
                            "info_log_path = " + d + "/dovecot.log\n"
                            "ssl = no\n"
                            "disable_plaintext_auth = no\n"
                            "auth_mechanisms = plain login\n"
                            "auth_verbose = yes\n"  // failed logins show in log()
                            "mail_location = maildir:" + mail + "/%n\n"
                            "mail_uid = nobody\n"
                            "mail_gid = nogroup\n"
                            "first_valid_uid = " + std::to_string(nobody_uid()) + "\n"
                            "default_internal_user = dovecot\n"
                            "default_login_user = dovenull\n"
                            "passdb {\n"
                            "  driver = passwd-file\n"
                            "  args = scheme=PLAIN username_format=%n " + d + "/users\n"
                            "}\n"
                            "userdb {\n"
                            "  driver = static\n"
                            "  args = uid=nobody gid=nogroup home=" + mail + "/%n\n"
                            "}\n"
                            "service imap-login {\n"
                            "  inet_listener imap {\n"
                            "    address = 127.0.0.1\n"
                            "    port = " + std::to_string(imap_port_) + "\n"
                            "  }\n"
                            "  inet_listener imaps {\n"
                            "    port = 0\n"
                            "  }\n"
                            "}\n");

  auto const r = run_command({"dovecot", "-c", config_file().string()}, dir_ / "command.out");
  if (r.status != 0) throw std::runtime_error("dovecot did not start (exit " + std::to_string(r.status) + "): " + r.output + tail(log()));
  if (!poll_until(mail_server_deadline, [&] { return greets(imap_port_, "* OK", "a LOGOUT\r\n"); })) {
    stop();
    throw std::runtime_error("dovecot did not greet on 127.0.0.1:" + std::to_string(imap_port_) + "\n" + tail(log()));
  }
}

void dovecot_server::stop() {
  int const pid = master_pid();
  if (!process_alive(pid)) return;
  ::kill(pid, SIGTERM);  // the master stops its children, then exits (~1 s)
  wait_gone(pid, pid);
}

std::string dovecot_server::doveadm(std::vector<std::string> args, fs::path const& input) {
  std::vector<std::string> argv{"doveadm", "-c", config_file().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto const r = run_command(argv, dir_ / "doveadm.out", input);
  if (r.status != 0) throw std::runtime_error("doveadm " + joined(args) + " failed (exit " + std::to_string(r.status) + "): " + r.output);
  return r.output;
}

void dovecot_server::deliver(std::string const& user, std::string_view raw_message, std::string const& folder) {
  auto const message_file = dir_ / "deliver.eml";
  write_file(message_file, raw_message);
  doveadm({"save", "-u", user, "-m", folder}, message_file);
  fs::remove(message_file);
}

void dovecot_server::create_folder(std::string const& user, std::string const& folder) {
  doveadm({"mailbox", "create", "-u", user, folder});
}

fs::path dovecot_server::folder_dir(std::string const& user, std::string const& folder) const {
  std::string upper = folder;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return upper == "INBOX" ? mail_root() / user : mail_root() / user / ("." + folder);  // INBOX is case-insensitive
}

std::vector<std::string> dovecot_server::messages(std::string const& user, std::string const& folder) const {
  auto const box = folder_dir(user, folder);
  // Dovecot renames new/x to cur/x:2,<flags> when a client looks; a file that moved while we read is read again.
  constexpr int attempts = 5;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    std::map<std::string, fs::path> files;  // by the unique part of the name, before ':'
    for (auto const* sub : {"new", "cur"})
      for (auto const& p : list_files(box / sub)) files[p.filename().string().substr(0, p.filename().string().find(':'))] = p;
    std::vector<std::string> out;
    for (auto const& entry : files) {
      std::ifstream in(entry.second, std::ios::binary);
      if (!in) break;
      std::ostringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
    if (out.size() == files.size()) return out;
  }
  throw std::runtime_error("maildir " + box.string() + " kept changing while it was read");
}

std::uint32_t dovecot_server::uid_validity(std::string const& user, std::string const& folder) {
  // Output: "mailbox\tuidvalidity\n<folder>\t<n>\n"
  auto const out = doveadm({"-f", "tab", "mailbox", "status", "-u", user, "uidvalidity", folder});
  auto const tab = out.rfind('\t');
  if (tab == std::string::npos) throw std::runtime_error("unexpected doveadm mailbox status output: " + out);
  return static_cast<std::uint32_t>(std::stoul(out.substr(tab + 1)));
}

std::uint32_t dovecot_server::change_uid_validity(std::string const& user, std::string const& folder) {
  auto next = uid_validity(user, folder) + 1;
  if (next == 0) next = 1;  // 0 is not a valid UIDVALIDITY
  doveadm({"mailbox", "update", "-u", user, "--uid-validity", std::to_string(next), folder});
  if (uid_validity(user, folder) != next) throw std::runtime_error("doveadm mailbox update did not change UIDVALIDITY");
  return next;
}

// ---- postfix_server

namespace {

// Debian 12's master.cf services without the smtp inet line (written per instance) and without the
// pipe(8) transports for packages that are not installed; chroot (5th column) off everywhere
// because nothing is copied into a chroot jail under the queue directory.
constexpr char const* master_cf_services = R"(pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
tlsmgr     unix  -       -       n       1000?   1       tlsmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
virtual    unix  -       n       n       -       -       virtual
lmtp       unix  -       -       n       -       -       lmtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
)";

} // namespace

postfix_server::postfix_server(fs::path dir, postfix_config config)
    : dir_(fs::absolute(std::move(dir))), config_(std::move(config)), smtp_port_(free_loopback_port()) {
  if (config_.lmtp_port <= 0 || config_.lmtp_port > 65535) throw std::invalid_argument("postfix_config.lmtp_port is required");
  if (config_.retry_delay < 1s) throw std::invalid_argument("postfix_config.retry_delay must be at least 1 s");
  for (auto const& d : config_.relay_domains_to_lmtp) require_plain("relay domain", d, ",");
  if (!config_.resident_mail_root.empty()) require_plain("resident domain", config_.resident_domain, ",");
  for (auto const& u : config_.resident_users) require_plain("resident user", u, "/@");
}

postfix_server::~postfix_server() {
  try {
    stop();
  } catch (std::exception const&) {
  }
}

int postfix_server::master_pid() const { return read_pid(queue_dir() / "pid" / "master.pid"); }

bool postfix_server::running() const { return process_alive(master_pid()); }

void postfix_server::write_config() const {
  auto const domain = config_.relay_domains_to_lmtp.empty() ? std::string("gemeente.test") : config_.relay_domains_to_lmtp.front();
  std::string relay_domains;
  for (auto const& d : config_.relay_domains_to_lmtp) relay_domains += (relay_domains.empty() ? "" : ", ") + d;
  auto const retry = std::to_string(config_.retry_delay.count());

  std::string main_cf = "compatibility_level = 3.6\n"
                        "queue_directory = " + queue_dir().string() + "\n"
                        "data_directory = " + (dir_ / "data").string() + "\n"
                        "mail_owner = postfix\n"
                        "setgid_group = postdrop\n"
                        // `postfix check` fails (rc 1, no message) unless the log's directory is a permitted prefix
                        "maillog_file = " + log_file().string() + "\n"
                        "maillog_file_prefixes = " + dir_.string() + "\n"
                        "myhostname = mx." + domain + "\n"  // set, so Postfix looks up neither hostname nor DNS
                        "mydomain = " + domain + "\n"
                        "myorigin = $mydomain\n"
                        "mydestination =\n"  // no local(8) delivery: every domain is relayed or virtual
                        "inet_interfaces = 127.0.0.1\n"
                        "inet_protocols = ipv4\n"
                        "mynetworks = 127.0.0.0/8\n"  // Balie on loopback may relay to anywhere
                        "alias_maps =\n"
                        "alias_database =\n"
                        "biff = no\n"
                        "smtpd_peername_lookup = no\n"  // no reverse DNS for 127.0.0.1 in a sandbox
                        "smtpd_error_sleep_time = 0\n"   // tests provoke errors; don't stall 1 s on each
                        "smtputf8_enable = yes\n"
                        "message_size_limit = 26214400\n"  // 25 MiB, as the gateway's own limit
                        "recipient_delimiter = +\n"
                        "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
                        "smtpd_recipient_restrictions =\n"
                        "relay_domains = " + relay_domains + "\n"
                        "relay_transport = lmtp:inet:127.0.0.1:" + std::to_string(config_.lmtp_port) + "\n"
                        "queue_run_delay = " + retry + "s\n"
                        "minimal_backoff_time = " + retry + "s\n"
                        "maximal_backoff_time = " + std::to_string(4 * config_.retry_delay.count()) + "s\n";
  std::string residents;
  if (!config_.resident_mail_root.empty()) {
    for (auto const& u : config_.resident_users) residents += u + "@" + config_.resident_domain + " " + u + "/\n";  // trailing '/': Maildir
    main_cf += "virtual_mailbox_domains = " + config_.resident_domain + "\n"
               "virtual_mailbox_base = " + fs::absolute(config_.resident_mail_root).string() + "\n"
               // texthash: a plain file read at start-up, no postmap; unlike inline:{} it may be empty
               "virtual_mailbox_maps = texthash:" + (config_dir() / "resident_mailboxes").string() + "\n"
               "virtual_uid_maps = static:" + std::to_string(nobody_uid()) + "\n"
               "virtual_gid_maps = static:" + std::to_string(nogroup_gid()) + "\n"
               // accept unknown residents at RCPT; virtual(8) bounces them and the DSN goes to the sender
               "smtpd_reject_unlisted_recipient = no\n";
  }
  write_file(config_dir() / "resident_mailboxes", residents);
  write_file(config_dir() / "main.cf", main_cf);
  write_file(config_dir() / "master.cf",
             "127.0.0.1:" + std::to_string(smtp_port_) + " inet n       -       n       -       -       smtpd\n" + master_cf_services);
}

void postfix_server::postfix(std::string const& command) {
  auto const r = run_command({"postfix", "-c", config_dir().string(), command}, dir_ / "command.out");
  if (r.status != 0)
    throw std::runtime_error("postfix " + command + " failed (exit " + std::to_string(r.status) + "): " + r.output + "\nmaillog:\n" + tail(log()));
}

void postfix_server::start() {
  if (running()) throw std::logic_error("postfix_server already running");
  prepare_dir(dir_);
  fs::create_directories(config_dir());
  fs::permissions(config_dir(), fs::perms(0755));
  // The postfix command chdirs into the queue directory before anything else; check creates the rest.
  fs::create_directories(queue_dir());
  fs::permissions(queue_dir(), fs::perms(0755));
  write_config();
  postfix("check");
  postfix("start");
  if (!poll_until(mail_server_deadline, [&] { return greets(smtp_port_, "220", "QUIT\r\n"); })) {
    stop();
    throw std::runtime_error("postfix did not greet on 127.0.0.1:" + std::to_string(smtp_port_) + "\n" + tail(log()));
  }
}

void postfix_server::stop() {
  int const pid = master_pid();
  if (!process_alive(pid)) return;
  run_command({"postfix", "-c", config_dir().string(), "stop"}, dir_ / "command.out");  // SIGTERM to the master
  wait_gone(pid, -pid);  // the master leads its process group; postfix-script also kills the group
}

void postfix_server::flush() { postfix("flush"); }

std::string postfix_server::log() const { return read_file(log_file()); }

std::size_t postfix_server::log_size() const {
  std::error_code ec;
  auto const size = fs::file_size(log_file(), ec);
  return ec ? 0 : static_cast<std::size_t>(size);
}

namespace {

// The first complete line at or after byte `from` that contains every needle.
std::string find_line(std::string const& text, std::size_t from, std::initializer_list<std::string_view> needles) {
  for (std::size_t pos = from; pos < text.size();) {
    auto const nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // still being written
    std::string_view const line(text.data() + pos, nl - pos);
    bool all = true;
    for (auto n : needles) all = all && line.find(n) != std::string_view::npos;
    if (all) return std::string(line);
    pos = nl + 1;
  }
  return {};
}

} // namespace

std::string postfix_server::wait_for_log(std::string_view needle, std::chrono::milliseconds timeout, std::size_t from) const {
  std::string line;
  poll_until(timeout, [&] { return !(line = find_line(log(), from, {needle})).empty(); });
  return line;
}

std::string postfix_server::wait_for_delivery(std::string_view recipient, std::chrono::milliseconds timeout, std::size_t from) const {
  auto const to = " to=<" + std::string(recipient) + ">,";
  std::string line;
  poll_until(timeout, [&] { return !(line = find_line(log(), from, {to, " status="})).empty(); });
  return line;
}

std::size_t postfix_server::queue_size() const {
  std::size_t n = 0;
  for (auto const* queue : {"maildrop", "incoming", "active", "deferred", "hold"}) n += list_files(queue_dir() / queue, true).size();
  return n;
}

bool postfix_server::wait_for_empty_queue(std::chrono::milliseconds timeout) const {
  return poll_until(timeout, [&] { return queue_size() == 0; });
}

} // namespace balie::test
