#pragma once
// Private mail servers for the e-mail channel tests: a Dovecot that serves
// IMAP (the mailbox Balie's IMAP intake reads, and the residents' mailboxes
// that receive Balie's outbound replies) and a Postfix that relays mail for
// the municipality's domains to Balie's LMTP listener and delivers mail for
// the residents' domain into Dovecot's maildirs. Each lives in a directory of
// the test's own, on free loopback ports, and is started and stopped by the
// test. Neither reads /etc/postfix/main.cf, /etc/dovecot or needs a system
// instance. Needs root (both daemons drop privileges themselves) and the
// Debian packages postfix and dovecot-imapd. Recipe: CHANNELS.md 1.14.
//
//   temp_dir tmp;
//   dovecot_server dovecot(tmp.path / "dovecot", {{"jan", "pw"}, {"info", "secret"}});
//   dovecot.start();
//   postfix_server postfix(tmp.path / "postfix", {.lmtp_port = balie_lmtp_port,
//                                                 .resident_mail_root = dovecot.mail_root(),
//                                                 .resident_users = dovecot.user_names()});
//   postfix.start();
//   ... Balie sends to jan@burger.test via 127.0.0.1:postfix.smtp_port() ...
//   CHECK(postfix.wait_for_delivery("jan@burger.test").find("status=sent") != std::string::npos);
//   CHECK(dovecot.messages("jan").size() == 1);

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace balie::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it back, close).
int free_loopback_port();

/// True when this process can run the servers below: root, and postfix, dovecot and doveadm installed.
bool mail_servers_available();

/// A mailbox account in the test Dovecot: IMAP login name and plain-text password.
struct mail_user {
  std::string name;
  std::string password;
};

/// How long start(), stop() and the wait helpers wait before giving up.
inline constexpr std::chrono::milliseconds mail_server_deadline{20000};

/// A private Dovecot serving IMAP only (no IMAPS, no LMTP) on 127.0.0.1:imap_port(); one maildir
/// per user under mail_root(), owned by nobody:nogroup.
class dovecot_server {
public:
  /// Picks the IMAP port (kept across restarts); writes nothing until start().
  dovecot_server(std::filesystem::path dir, std::vector<mail_user> users);
  ~dovecot_server();
  dovecot_server(dovecot_server const&) = delete;
  dovecot_server& operator=(dovecot_server const&) = delete;

  /// Writes dovecot.conf, starts Dovecot and waits until the IMAP port greets "* OK"; throws otherwise.
  void start();
  /// SIGTERM to the master (pid from base_dir/master.pid), waits until it is gone; no-op when stopped.
  void stop();
  bool running() const;

  int imap_port() const { return imap_port_; }
  /// <mail_root>/<user> is the user's INBOX; other folders are <mail_root>/<user>/.<folder> (Maildir++).
  std::filesystem::path mail_root() const { return dir_ / "mail"; }
  std::vector<std::string> user_names() const;
  /// Dovecot's own log (logins, errors), for diagnostics.
  std::string log() const;

  /// Stores a raw message in a user's folder with `doveadm save` (running server, existing folder).
  void deliver(std::string const& user, std::string_view raw_message, std::string const& folder = "INBOX");
  /// Creates a folder with `doveadm mailbox create`.
  void create_folder(std::string const& user, std::string const& folder);
  /// The raw bytes of every message in the folder as stored (LF line endings), from new/ and cur/,
  /// sorted by maildir file name (arrival time to the second first). Folder names: ASCII, no hierarchy.
  std::vector<std::string> messages(std::string const& user, std::string const& folder = "INBOX") const;
  /// The folder's UIDVALIDITY (`doveadm mailbox status uidvalidity`).
  std::uint32_t uid_validity(std::string const& user, std::string const& folder = "INBOX");
  /// Forces a UIDVALIDITY change: `doveadm mailbox update --uid-validity <old + 1>` (works for INBOX,
  /// which cannot be deleted and recreated). Messages stay; an IMAP client sees the new value at its
  /// next SELECT. Returns the new value.
  std::uint32_t change_uid_validity(std::string const& user, std::string const& folder = "INBOX");

private:
  std::filesystem::path config_file() const { return dir_ / "dovecot.conf"; }
  std::filesystem::path folder_dir(std::string const& user, std::string const& folder) const;
  std::string doveadm(std::vector<std::string> args, std::filesystem::path const& input = {});
  int master_pid() const;

  std::filesystem::path dir_;
  std::vector<mail_user> users_;
  int imap_port_;
};

/// What the test Postfix does with mail.
struct postfix_config {
  /// Balie's LMTP listener on 127.0.0.1: mail for relay_domains_to_lmtp (and DSNs to their senders)
  /// goes there. Nothing listening: the mail is deferred and retried every retry_delay.
  int lmtp_port = 0;
  std::vector<std::string> relay_domains_to_lmtp{"gemeente.test"};
  /// The residents' domain, delivered by Postfix's virtual(8) agent straight into Dovecot's maildirs
  /// (pass dovecot_server::mail_root()). An empty mail root leaves the domain out (relaying denied).
  std::string resident_domain = "burger.test";
  std::filesystem::path resident_mail_root{};  // {}: GCC warns on designated initializers otherwise (bug 96868)
  /// Local parts with a mailbox (dovecot_server::user_names()); any other <x>@resident_domain is
  /// accepted at RCPT and then bounced, so a DSN goes to the envelope sender.
  std::vector<std::string> resident_users{};
  /// Deferred mail is retried after this (queue_run_delay = minimal_backoff_time; 4x at most), so a
  /// test that brings LMTP back sees delivery within a few seconds; flush() retries at once.
  std::chrono::seconds retry_delay{1};
};

/// A private Postfix: smtpd on 127.0.0.1:smtp_port() (mynetworks 127.0.0.0/8 may relay), queue,
/// config and maillog under its directory, chroot off.
class postfix_server {
public:
  /// Picks the SMTP port (kept across restarts); writes nothing until start().
  postfix_server(std::filesystem::path dir, postfix_config config);
  ~postfix_server();
  postfix_server(postfix_server const&) = delete;
  postfix_server& operator=(postfix_server const&) = delete;

  /// Writes etc/main.cf and etc/master.cf, runs `postfix check` and `postfix start`, waits until the
  /// SMTP port greets "220"; throws (with the maillog) otherwise.
  void start();
  /// `postfix stop`, then waits until the master (spool/pid/master.pid) is gone; no-op when stopped.
  void stop();
  bool running() const;

  int smtp_port() const { return smtp_port_; }
  /// The maillog (every delivery attempt with its status), for assertions and diagnostics.
  std::string log() const;
  /// The maillog's current size: pass it as `from` to wait only for lines written after now.
  std::size_t log_size() const;
  /// Waits until a maillog line after byte offset `from` contains `needle`; returns the line, or ""
  /// at the deadline.
  std::string wait_for_log(std::string_view needle, std::chrono::milliseconds timeout = mail_server_deadline,
                           std::size_t from = 0) const;
  /// Waits for the first delivery attempt to `recipient` after `from` (a "to=<recipient>, ...,
  /// status=sent|deferred|bounced (...)" line); returns the line, or "" at the deadline.
  std::string wait_for_delivery(std::string_view recipient, std::chrono::milliseconds timeout = mail_server_deadline,
                                std::size_t from = 0) const;
  /// Messages in the maildrop, incoming, active, deferred and hold queues.
  std::size_t queue_size() const;
  bool wait_for_empty_queue(std::chrono::milliseconds timeout = mail_server_deadline) const;
  /// `postfix flush`: retry deferred mail now, also to destinations marked dead.
  void flush();

private:
  std::filesystem::path config_dir() const { return dir_ / "etc"; }
  std::filesystem::path queue_dir() const { return dir_ / "spool"; }
  std::filesystem::path log_file() const { return dir_ / "postfix.log"; }
  void write_config() const;
  void postfix(std::string const& command);
  int master_pid() const;

  std::filesystem::path dir_;
  postfix_config config_;
  int smtp_port_;
};

} // namespace balie::test
