// Open-loop load generator for POST /api/v1/transcripts. Every request has a
// scheduled send time (start + i / rate); latency is measured from that
// scheduled time, not from when a connection became free, so a slow server
// cannot hide its queueing (no coordinated omission). Reports throughput,
// p50/p99/p99.9 latency and balied's CPU time per message.
// With --redis-socket it sends the raw baseline instead: XADD of a stored-size
// payload straight to Redis on the same schedule, so both latencies come from
// one generator and one machine state.
//   transcript_bench --port P --rate R --seconds S [--connections C] [--pid PID]
//   transcript_bench --redis-socket PATH --rate R --seconds S [--connections C]
// With --healthz 1 it sends GET /healthz instead: the bare HTTP baseline.
// With --twilio-token T --public-base URL it sends SMS webhooks as Twilio
// does (form-encoded, X-Twilio-Signature HMAC-SHA1 over the public URL and
// the sorted fields, signed before the clock starts), each from its own
// number, so each is a new case like each transcript.
#include "tests/support/http_client.hpp"

#include <hiredis/hiredis.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

using namespace std::chrono;

namespace {

double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto const close = stat.rfind(')');
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int i = 0; i < 11; ++i) fields >> skip;  // fields 3..13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string transcript(std::string const& run, long i) {
  return nlohmann::json{{"call_id", "bench-" + run + "-" + std::to_string(i)},
                        {"caller", "+31600000000"},
                        {"automatic", true},
                        {"segments",
                         {{{"speaker", "staff"}, {"start_ms", 0}, {"end_ms", 2000}, {"text", "Goedemorgen, gemeente Voorbeeld."}},
                          {{"speaker", "resident"}, {"start_ms", 2100}, {"end_ms", 6000},
                           {"text", "Ik bel over mijn container, die is vandaag niet geleegd."}}}}}
      .dump();
}

std::string encode(std::string const& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

struct signed_sms {
  std::string body;
  std::string signature;
};

/// Twilio's webhook for message `i`: the form and its signature.
signed_sms twilio_sms(std::string const& token, std::string const& url, std::string const& run, long i) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"AccountSid", "AC0000"}, {"ApiVersion", "2010-04-01"}, {"Body", "Mijn container is vandaag niet geleegd. Kunt u iemand sturen?"},
      {"From", "+316" + std::to_string(10000000 + i % 90000000)}, {"MessageSid", "SM" + run + "-" + std::to_string(i)},
      {"NumMedia", "0"}, {"To", "+3197000000001"}};
  std::string data = url, body;
  for (auto const& [k, v] : fields) data += k + v, body += (body.empty() ? "" : "&") + encode(k) + "=" + encode(v);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha1(), token.data(), static_cast<int>(token.size()), reinterpret_cast<unsigned char const*>(data.data()), data.size(), mac, &len);
  std::string sig(4 * ((len + 2) / 3), '\0');
  sig.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(sig.data()), mac, static_cast<int>(len))));
  return {body, sig};
}

} // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  double rate = 1000, seconds = 10;
  int connections = 64, pid = 0;
  std::string redis_socket, twilio_token, public_base;
  bool healthz = false;  // bare HTTP baseline: GET /healthz on the same schedule
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--port")) port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--rate")) rate = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--connections")) connections = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--pid")) pid = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--redis-socket")) redis_socket = argv[i + 1];
    else if (!std::strcmp(argv[i], "--healthz")) healthz = !std::strcmp(argv[i + 1], "1");
    else if (!std::strcmp(argv[i], "--twilio-token")) twilio_token = argv[i + 1];
    else if (!std::strcmp(argv[i], "--public-base")) public_base = argv[i + 1];
  }
  if (!port && redis_socket.empty()) {
    std::cerr << "usage: transcript_bench --port P --rate R --seconds S [--connections C] [--pid PID]\n";
    return 2;
  }
  long const total = static_cast<long>(rate * seconds);
  auto const run = std::to_string(system_clock::now().time_since_epoch().count());
  std::vector<std::string> bodies, signatures;
  bodies.reserve(static_cast<std::size_t>(total));
  bool const sms = !twilio_token.empty();
  auto const sms_target = std::string("/api/v1/webhooks/sms/twilio");
  for (long i = 0; i < total; ++i) {
    if (!sms) {
      bodies.push_back(transcript(run, i));
      continue;
    }
    auto m = twilio_sms(twilio_token, public_base + sms_target, run, i);
    bodies.push_back(std::move(m.body));
    signatures.push_back(std::move(m.signature));
  }

  std::vector<std::pair<std::string, std::string>> const headers = {{"Authorization", "Bearer system-demo-token"},
                                                                    {"Content-Type", "application/json"}};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<long> errors{0};
  double const cpu_before = pid ? cpu_seconds(pid) : 0;
  auto const start = steady_clock::now() + milliseconds(200);
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c)
    threads.emplace_back([&, c] {
      std::unique_ptr<balie::test::http_connection> conn;
      redisContext* redis = nullptr;
      if (redis_socket.empty()) conn = std::make_unique<balie::test::http_connection>(port);
      else redis = redisConnectUnix(redis_socket.c_str());
      std::string const payload(1300, 'x');  // the size of one stored case-message
      for (long i = c; i < total; i += connections) {
        auto const scheduled = start + duration_cast<steady_clock::duration>(duration<double>(static_cast<double>(i) / rate));
        std::this_thread::sleep_until(scheduled);
        if (conn && healthz) {
          if (conn->call("GET", "/healthz").status != 200) ++errors;
        } else if (conn && sms) {
          auto const r = conn->call("POST", sms_target,
                                    {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signatures[static_cast<std::size_t>(i)]}},
                                    bodies[static_cast<std::size_t>(i)]);
          if (r.status != 200) ++errors;
        } else if (conn) {
          auto const r = conn->call("POST", "/api/v1/transcripts", headers, bodies[static_cast<std::size_t>(i)]);
          if (r.status != 202) ++errors;
        } else {
          auto* r = static_cast<redisReply*>(redisCommand(redis, "XADD bench:raw * msg %b", payload.data(), payload.size()));
          if (!r || r->type == REDIS_REPLY_ERROR) ++errors;
          if (r) freeReplyObject(r);
        }
        latencies[static_cast<std::size_t>(c)].push_back(duration<double, std::milli>(steady_clock::now() - scheduled).count());
      }
      if (redis) redisFree(redis);
    });
  for (auto& t : threads) t.join();
  auto const elapsed = duration<double>(steady_clock::now() - start).count();
  double const cpu_after = pid ? cpu_seconds(pid) : 0;

  std::vector<double> all;
  for (auto const& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * static_cast<double>(all.size())))]; };
  std::cout << nlohmann::json{{"offered_rate", rate},
                              {"messages", total},
                              {"errors", errors.load()},
                              // Only answered requests count (202, 200 or a stored XADD): an error is not throughput.
                              {"achieved_per_s", static_cast<double>(total - errors.load()) / elapsed},
                              {"p50_ms", pct(0.50)},
                              {"p99_ms", pct(0.99)},
                              {"p999_ms", pct(0.999)},
                              {"cpu_us_per_message", pid ? (cpu_after - cpu_before) * 1e6 / static_cast<double>(total) : 0}}
                   .dump()
            << '\n';
  return errors ? 1 : 0;
}
