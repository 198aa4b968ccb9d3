#include "tests/support/kannel.hpp"

#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/mail_servers.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace balie::test {
namespace {
constexpr char const* admin_password = "kannel-test-admin";

void replace_all(std::string& s, std::string const& from, std::string const& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}
} // namespace

kannel_server::kannel_server(std::filesystem::path dir, int balie_port, std::string webhook_secret, std::string sendsms_password)
    : dir_(std::filesystem::absolute(std::move(dir))), balie_port_(balie_port), webhook_secret_(std::move(webhook_secret)),
      sendsms_password_(std::move(sendsms_password)) {
  std::filesystem::create_directories(dir_);
  pick_ports();
}

void kannel_server::pick_ports() {
  admin_port_ = free_loopback_port();
  box_port_ = free_loopback_port();
  smsc_port_ = free_loopback_port();
  sendsms_port_ = free_loopback_port();
}

void kannel_server::write_config() const {
  std::ifstream in(std::string(BALIE_SOURCE_DIR) + "/config/kannel/kannel.conf.in");
  std::stringstream text;
  text << in.rdbuf();
  auto conf = text.str();
  if (conf.empty()) throw std::runtime_error("config/kannel/kannel.conf.in is missing");
  replace_all(conf, "@SECRET@", webhook_secret_);
  replace_all(conf, "@BALIE@", "127.0.0.1:" + std::to_string(balie_port_));
  replace_all(conf, "@DIR@", dir_.string());
  replace_all(conf, "@ADMIN_PORT@", std::to_string(admin_port_));
  replace_all(conf, "@ADMIN_PASSWORD@", admin_password);
  replace_all(conf, "@BOX_PORT@", std::to_string(box_port_));
  replace_all(conf, "@SMSC_PORT@", std::to_string(smsc_port_));
  replace_all(conf, "@SENDSMS_PORT@", std::to_string(sendsms_port_));
  replace_all(conf, "@SENDSMS_PASSWORD@", sendsms_password_);
  std::ofstream(dir_ / "kannel.conf") << conf;
}

kannel_server::~kannel_server() {
  smsbox_.reset();  // a child_process kills its process when it goes
  bearerbox_.reset();
}

void kannel_server::start() {
  constexpr int tries = 3;
  for (int i = 0; i < tries; ++i) {
    if (start_once()) return;
    std::string out;
    for (auto const* p : {bearerbox_.get(), smsbox_.get()})
      if (p)
        for (auto const& l : p->lines()) out += l + "\n";
    smsbox_.reset();
    bearerbox_.reset();
    if (out.find("Address already in use") == std::string::npos || i + 1 == tries)
      throw std::runtime_error("Kannel did not become ready:\n" + out);
    pick_ports();  // another test took a port between picking and binding
  }
}

bool kannel_server::start_once() {
  write_config();
  auto const status = [&] {
    return http_call(static_cast<std::uint16_t>(admin_port_), "GET", std::string("/status.txt?password=") + admin_password);
  };
  bearerbox_ = std::make_unique<child_process>();
  bearerbox_->spawn({"/usr/sbin/bearerbox", "-v", "1", (dir_ / "kannel.conf").string()});
  // smsbox gives up at once when bearerbox is not there yet: it starts once bearerbox answers.
  auto const answers = [&] { return bearerbox_->output_ended() || status().status == 200; };
  if (!eventually(answers) || bearerbox_->output_ended()) return false;
  smsbox_ = std::make_unique<child_process>();
  smsbox_->spawn({"/usr/sbin/smsbox", "-v", "1", (dir_ / "kannel.conf").string()});
  auto const connected = [&] {
    if (smsbox_->output_ended()) return true;
    auto const r = status();
    return r.status == 200 && r.body.find("smsbox:(none)") != std::string::npos;
  };
  return eventually(connected) && !smsbox_->output_ended();
}

std::unique_ptr<child_process> kannel_server::operator_side(std::string const& message) const {
  std::vector<std::string> const argv = {"/usr/lib/kannel/test/fakesmsc", "-H", "127.0.0.1", "-r", std::to_string(smsc_port_), "-i", "0.01",
                                         "-m", message.empty() ? "0" : "1", message.empty() ? "+31600000000 4444 text none" : message};
  auto p = std::make_unique<child_process>();
  p->spawn(argv);
  return p;
}

} // namespace balie::test
