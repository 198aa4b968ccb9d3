#include "queue/errc.hpp"

#include <string>

namespace balie::queue {
namespace {
class category final : public boost::system::error_category {
public:
  char const* name() const noexcept override { return "balie.queue"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_connected: return "Redis is not connected";
      case errc::timeout: return "Redis did not answer in time";
      case errc::disconnected: return "the Redis connection dropped";
      case errc::error_reply: return "Redis answered with an error";
      case errc::unexpected_reply: return "Redis answered with an unexpected reply";
      case errc::not_durable: return "Redis is not configured for durable writes";
      case errc::shutting_down: return "the Redis connection is shutting down";
      case errc::reference_taken: return "the case reference is already in use";
      case errc::no_such_case: return "there is no such case";
      case errc::session_ended: return "the chat session has ended";
    }
    return "unknown queue error";
  }
};
} // namespace

boost::system::error_category const& queue_category() {
  static category const instance;
  return instance;
}

boost::system::error_code make_error_code(errc e) { return {static_cast<int>(e), queue_category()}; }

} // namespace balie::queue
