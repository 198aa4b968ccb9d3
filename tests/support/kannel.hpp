#pragma once
// A private Kannel for tests, from the shipped configuration
// (config/kannel/kannel.conf.in) with free loopback ports: bearerbox with a
// fake SMSC, smsbox posting incoming SMS to a balied on `balie_port`, and
// fakesmsc playing the operator's side (CHANNELS.md 2.9). Started by the
// test, stopped by process id when it ends; a missing Kannel fails the test.

#include "tests/support/process.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace balie::test {

class kannel_server {
public:
  kannel_server(std::filesystem::path dir, int balie_port, std::string webhook_secret, std::string sendsms_password);
  ~kannel_server();
  /// Starts bearerbox and smsbox and waits until smsbox is connected; throws otherwise. A port
  /// taken meanwhile by another test (the ports are picked free, then bound by Kannel) means
  /// new ports and another try: start Kannel before anything that needs its ports.
  void start();
  int sendsms_port() const { return sendsms_port_; }
  int smsc_port() const { return smsc_port_; }
  /// fakesmsc connected to the fake SMSC, sending `message` once (its format: "from to type data"; empty:
  /// none) and printing "sent message 1"; it stays connected and receives replies ("Got message ...").
  /// One at a time: the fake SMSC serves one operator connection.
  std::unique_ptr<child_process> operator_side(std::string const& message = {}) const;

private:
  void write_config() const;
  bool start_once();
  void pick_ports();

  std::filesystem::path dir_;
  int balie_port_;
  std::string webhook_secret_, sendsms_password_;
  int admin_port_, box_port_, smsc_port_, sendsms_port_;
  std::unique_ptr<child_process> bearerbox_, smsbox_;
};

} // namespace balie::test
