// The one server-sent-events writer (server/event_stream.hpp) on the wire:
// the response head, the opening, frames with and without an id, a line
// break in the data kept inside the frame, and a gone reader reported.
#include "server/event_stream.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace balie::server;

namespace {
struct recorded_stream : http_stream {
  std::vector<std::string> chunks;
  bool gone = false, closed = false;
  bool push(std::string chunk) override {
    if (gone) return false;
    chunks.push_back(std::move(chunk));
    return true;
  }
  void close() override { closed = true; }
};
} // namespace

TEST_CASE("event streams: head, opening, frames, a line break kept inside its frame, a gone reader") {
  auto out = std::make_shared<recorded_stream>();
  std::optional<event_stream> opened;
  auto const r = event_stream_response([&opened](event_stream s) { opened = std::move(s); });
  CHECK(r.content_type == "text/event-stream; charset=utf-8");
  CHECK(std::find(r.headers.begin(), r.headers.end(), std::pair<std::string, std::string>{"X-Accel-Buffering", "no"}) != r.headers.end());
  r.on_stream(out);
  REQUIRE(opened);
  CHECK(opened->open());
  CHECK(opened->send("msg", R"({"text":"Hallo"})", "7"));
  CHECK(opened->send("reload", "{}"));
  CHECK(opened->send("note", "regel een\nregel twee"));
  CHECK(opened->ping());
  CHECK(out->chunks == std::vector<std::string>{"retry: 3000\n: connected\n\n", "id: 7\nevent: msg\ndata: {\"text\":\"Hallo\"}\n\n",
                                                "event: reload\ndata: {}\n\n", "event: note\ndata: regel een\ndata: regel twee\n\n",
                                                ": ping\n\n"});
  out->gone = true;
  CHECK_FALSE(opened->ping());
  opened->close();
  CHECK(out->closed);
}
