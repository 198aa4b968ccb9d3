#pragma once
// Where received mail goes, from LMTP and IMAP alike: parsed and its
// attachments stored on a worker thread (a large mail must not stall the
// network threads), then either a bounce that marks one of Balie's replies
// `failed`, or a case-message submitted with its threading hints. The
// caller learns whether the mail is durable and may be acknowledged. A new
// case may get one automatic acknowledgement, unless the mail was sent by a
// machine or the address has had its share (a loop guard kept in Redis).
// Mail taken while an admin has email switched off (`accept`) is marked so,
// and its one automatic answer is the admin's notice instead.

#include "channels/acknowledgement.hpp"
#include "channels/email/mail_intake.hpp"
#include "channels/ids.hpp"
#include "channels/channel_module.hpp"
#include "channels/inbound_sink.hpp"
#include "channels/time_format.hpp"
#include "channels/email/settings.hpp"
#include "channels/resident_texts.hpp"
#include "queue/case_workflow.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace balie::email {

/// What became of a mail Balie took.
struct mail_receipt {
  enum class kind { stored, duplicate, bounce_recorded } what = kind::stored;
  std::string reference;  ///< the case's reference when stored or stored before
};

/// Not taken for now (switched off, disk or Redis failing): the sender keeps the mail and tries again.
struct mail_deferred {
  std::string reason;  ///< for the log; never mail contents
};

using mail_result = boost::system::result<mail_receipt, mail_deferred>;

class email_intake : public std::enable_shared_from_this<email_intake> {
public:
  email_intake(boost::asio::any_io_executor, email_config, inbound_sink&, queue::case_workflow&, std::shared_ptr<channels::resident_texts const>,
               channels::acknowledgement_writer, channels::automatic_limit, clock_fn, id_source&);
  ~email_intake();

  /// `inbox` empty: the inbox of the first recipient Balie knows, else routing decides.
  void deliver(std::string raw, email::mail_envelope, std::string provider, std::string inbox, std::function<void(mail_result)>);

  /// The inbox configured for an address (plus-detail ignored), or empty.
  std::string inbox_for(std::string_view address) const;
  /// Whether LMTP should take mail for this address.
  bool accepts(std::string_view address) const;
  email::mail_identity const& identity() const { return identity_; }
  /// Switched off, mail is deferred (the MTA keeps it; IMAP waits) or, with
  /// `when_switched_off: accept`, filed and answered with the admin's notice. From any thread.
  void set_enabled(bool on, channels::channel_notice);
  /// Whether mail is taken now: switched on, or off with `accept`.
  bool taking_mail() const { return enabled_ || config_.accept_while_off; }
  std::size_t max_message_bytes() const { return config_.max_message_bytes; }
  void stop();

private:
  struct job;
  void prepared(std::shared_ptr<job>);
  void submit(std::shared_ptr<job>);
  void acknowledge(std::shared_ptr<job>, submit_result const&);

  boost::asio::any_io_executor executor_;
  email_config config_;
  std::shared_ptr<channels::resident_texts const> texts_;  ///< the default switched-off notice
  channels::acknowledgement_writer write_acknowledgement_;
  channels::automatic_limit automatic_;
  email::mail_identity identity_;
  inbound_sink& sink_;
  queue::case_workflow& workflow_;
  clock_fn clock_;
  id_source& ids_;
  std::atomic<bool> enabled_;
  mutable std::mutex notice_mutex_;
  channels::channel_notice notice_;  ///< the admin's words for residents while switched off
  /// Parsing is cheap (~0.1 ms a mail); the fsyncs of storing attachments are
  /// not, so several workers let them overlap.
  boost::asio::thread_pool workers_{4};
};

} // namespace balie::email
