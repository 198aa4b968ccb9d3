#include "tests/support/fake_provider.hpp"

#include "channels/sms/webhook_auth.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace balie::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct fake_provider::impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  mutable std::mutex mutex;
  mutable std::condition_variable arrived;
  std::vector<recorded_request> requests;
  unsigned status = 200;
  std::string body;
  bool hanging = false;
  std::function<fake_answer(recorded_request const&)> responder;
  std::vector<std::shared_ptr<tcp::socket>> held;  ///< hung connections stay open until the end
  std::thread thread;

  void accept() {
    acceptor.async_accept([self = this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      self->serve(std::make_shared<tcp::socket>(std::move(socket)));
      self->accept();
    });
  }

  void serve(std::shared_ptr<tcp::socket> socket) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    http::async_read(*socket, *buffer, *req, [self = this, socket, buffer, req](beast::error_code ec, std::size_t) {
      if (ec) return;
      recorded_request r{std::string(req->method_string()), std::string(req->target()), {}, req->body()};
      for (auto const& f : *req) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      fake_answer answer;
      bool hang;
      {
        std::lock_guard lock(self->mutex);
        answer = self->responder ? self->responder(r) : fake_answer{self->status, self->body, {}};
        self->requests.push_back(std::move(r));
        hang = self->hanging;
        if (hang) self->held.push_back(socket);
      }
      self->arrived.notify_all();
      if (hang) return;
      auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer.status), 11);
      res->set(http::field::content_type, "application/json");
      for (auto const& [name, value] : answer.headers) res->set(name, value);
      res->body() = std::move(answer.body);
      res->prepare_payload();
      res->keep_alive(false);
      http::async_write(*socket, *res, [socket, res](beast::error_code, std::size_t) {
        beast::error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }
};

fake_provider::fake_provider() : impl_(std::make_shared<impl>()) {
  impl_->accept();
  impl_->thread = std::thread([i = impl_.get()] { i->ioc.run(); });
}

fake_provider::~fake_provider() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::uint16_t fake_provider::port() const { return impl_->acceptor.local_endpoint().port(); }

void fake_provider::answer(unsigned status, std::string body) {
  std::lock_guard lock(impl_->mutex);
  impl_->status = status;
  impl_->body = std::move(body);
}

void fake_provider::respond_with(std::function<fake_answer(recorded_request const&)> f) {
  std::lock_guard lock(impl_->mutex);
  impl_->responder = std::move(f);
}

void fake_provider::hang(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->hanging = on;
}

std::vector<recorded_request> fake_provider::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

bool fake_provider::wait_for(std::size_t count, std::chrono::seconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->arrived.wait_for(lock, timeout, [&] { return impl_->requests.size() >= count; });
}

std::string form_value(std::string const& form, std::string const& name) {
  auto const fields = sms::parse_form(form);
  if (!fields) return {};
  for (auto const& [k, v] : *fields)
    if (k == name) return v;
  return {};
}

} // namespace balie::test
