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
    : dir_(std::filesystem::absolute(std::move(dir))), admin_port_(free_loopback_port()), box_port_(free_loopback_port()),
      smsc_port_(free_loopback_port()), sendsms_port_(free_loopback_port()) {
  std::filesystem::create_directories(dir_);
  std::ifstream in(std::string(BALIE_SOURCE_DIR) + "/config/kannel/kannel.conf.in");
  std::stringstream text;
  text << in.rdbuf();
  auto conf = text.str();
  if (conf.empty()) throw std::runtime_error("config/kannel/kannel.conf.in is missing");
  replace_all(conf, "@SECRET@", webhook_secret);
  replace_all(conf, "@BALIE@", "127.0.0.1:" + std::to_string(balie_port));
  replace_all(conf, "@DIR@", dir_.string());
  replace_all(conf, "@ADMIN_PORT@", std::to_string(admin_port_));
  replace_all(conf, "@ADMIN_PASSWORD@", admin_password);
  replace_all(conf, "@BOX_PORT@", std::to_string(box_port_));
  replace_all(conf, "@SMSC_PORT@", std::to_string(smsc_port_));
  replace_all(conf, "@SENDSMS_PORT@", std::to_string(sendsms_port_));
  replace_all(conf, "@SENDSMS_PASSWORD@", sendsms_password);
  std::ofstream(dir_ / "kannel.conf") << conf;
}

kannel_server::~kannel_server() {
  if (smsbox_.running()) smsbox_.signal_and_wait(SIGKILL);
  if (bearerbox_.running()) bearerbox_.signal_and_wait(SIGKILL);
}

void kannel_server::start() {
  auto const status = [&] {
    return http_call(static_cast<std::uint16_t>(admin_port_), "GET", std::string("/status.txt?password=") + admin_password);
  };
  bearerbox_.spawn({"/usr/sbin/bearerbox", "-v", "1", (dir_ / "kannel.conf").string()});
  // smsbox gives up at once when bearerbox is not there yet: it starts once bearerbox answers.
  bool ready = eventually([&] { return status().status == 200; });
  if (ready) {
    smsbox_.spawn({"/usr/sbin/smsbox", "-v", "1", (dir_ / "kannel.conf").string()});
    ready = eventually([&] {
      auto const r = status();
      return r.status == 200 && r.body.find("smsbox:(none)") != std::string::npos;
    });
  }
  if (!ready) {
    std::string out;
    for (auto const& l : bearerbox_.lines()) out += l + "\n";
    for (auto const& l : smsbox_.lines()) out += l + "\n";
    throw std::runtime_error("Kannel did not become ready:\n" + out);
  }
}

std::unique_ptr<child_process> kannel_server::operator_side(std::string const& message) const {
  std::vector<std::string> const argv = {"/usr/lib/kannel/test/fakesmsc", "-H", "127.0.0.1", "-r", std::to_string(smsc_port_), "-i", "0.01",
                                         "-m", message.empty() ? "0" : "1", message.empty() ? "+31600000000 4444 text none" : message};
  auto p = std::make_unique<child_process>();
  p->spawn(argv);
  return p;
}

} // namespace balie::test
