// Email benchmark client, two modes.
//
//   email_bench lmtp --port P [--connections C] [--seconds S]
//     Closed-loop LMTP load: C connections, each sending one mail after the
//     other (MAIL, RCPT, DATA and the body pipelined in one write, then the
//     replies read). Every mail has its own sender and Message-ID, so Balie
//     stores each as a new case. Prints mails/s and the p50/p99 time per mail.
//     Run against balied and against Postfix's smtp-sink -L (which accepts
//     and discards) to get the ratio; tests/bench/run-email does both.
//
//   email_bench parse [--seconds S]
//     Parsing cost per mail of the fixture corpus (parse_mail + prepare_mail),
//     against a raw baseline measured in the same run: SHA-256 of the same
//     bytes, the least any intake does with a mail.
#include "channels/email/mail_intake.hpp"
#include "channels/email/mime_parse.hpp"
#include "channels/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

using namespace std::chrono;

namespace {

std::map<std::string, std::string> options(int argc, char** argv) {
  std::map<std::string, std::string> o;
  for (int i = 2; i + 1 < argc; i += 2) o[argv[i]] = argv[i + 1];
  return o;
}

std::string mail_text(std::size_t n, int worker) {
  auto const id = std::to_string(worker) + "." + std::to_string(n);
  return "From: Bewoner " + id + " <bewoner" + id + "@burger.test>\r\nTo: info@gemeente.test\r\nSubject: Vraag over afval\r\n"
         "Message-ID: <bench." + id + "." + std::to_string(::getpid()) + "@burger.test>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\nBeste gemeente,\r\n\r\nMijn groene container is niet geleegd. "
         "Kunt u die alsnog ophalen?\r\n\r\nMet vriendelijke groet,\r\nBewoner " + id + "\r\n\r\n"
         "Op 27 nov. 2026 om 09:12 schreef Gemeente <info@gemeente.test>:\r\n> Eerder bericht.\r\n";
}

/// Reads until `count` complete reply lines (final lines, not "250-") arrived.
bool read_replies(int fd, std::string& buffer, int count, std::vector<std::string>& lines) {
  char chunk[4096];
  while (count > 0) {
    auto const nl = buffer.find("\r\n");
    if (nl != std::string::npos) {
      auto line = buffer.substr(0, nl);
      buffer.erase(0, nl + 2);
      if (line.size() >= 4 && line[3] == '-') continue;
      lines.push_back(std::move(line));
      --count;
      continue;
    }
    auto const n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

int connect_to(int port) {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int lmtp(std::map<std::string, std::string> const& o) {
  int const port = std::stoi(o.at("--port"));
  int const connections = o.count("--connections") ? std::stoi(o.at("--connections")) : 8;
  double const seconds = o.count("--seconds") ? std::stod(o.at("--seconds")) : 10;
  std::atomic<std::size_t> sent{0}, failed{0};
  std::mutex m;
  std::vector<double> latencies;
  auto const end = steady_clock::now() + duration<double>(seconds);
  std::vector<std::thread> threads;
  for (int w = 0; w < connections; ++w)
    threads.emplace_back([&, w] {
      int const fd = connect_to(port);
      if (fd < 0) return void(++failed);
      std::string buffer;
      std::vector<std::string> lines;
      std::vector<double> mine;
      if (::write(fd, "LHLO bench.gemeente.test\r\n", 26) != 26) return void(++failed);
      if (!read_replies(fd, buffer, 2, lines)) return void(++failed);  // greeting + LHLO
      for (std::size_t n = 0; steady_clock::now() < end; ++n) {
        auto const started = steady_clock::now();
        auto const data = mail_text(n, w);
        auto const request = "MAIL FROM:<bewoner" + std::to_string(w) + "@burger.test>\r\nRCPT TO:<info@gemeente.test>\r\nDATA\r\n" + data + ".\r\n";
        if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) break;
        lines.clear();
        if (!read_replies(fd, buffer, 4, lines)) break;  // MAIL, RCPT, DATA (354), the recipient's reply
        if (lines.back().rfind("250", 0) == 0) ++sent;
        else ++failed;
        mine.push_back(duration<double, std::milli>(steady_clock::now() - started).count());
      }
      ::close(fd);
      std::lock_guard lock(m);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : threads) t.join();
  std::sort(latencies.begin(), latencies.end());
  auto const pct = [&](double p) { return latencies.empty() ? 0.0 : latencies[static_cast<std::size_t>(p * (latencies.size() - 1))]; };
  std::cout << "{\"mails_per_second\": " << static_cast<double>(sent) / seconds << ", \"accepted\": " << sent << ", \"failed\": " << failed
            << ", \"p50_ms\": " << pct(0.5) << ", \"p99_ms\": " << pct(0.99) << "}\n";
  return failed > 0 ? 1 : 0;
}

int parse(std::map<std::string, std::string> const& o) {
  double const seconds = o.count("--seconds") ? std::stod(o.at("--seconds")) : 5;
  std::vector<std::string> corpus;
  for (auto const& e : std::filesystem::directory_iterator(std::string(BALIE_SOURCE_DIR) + "/tests/fixtures/email"))
    if (e.path().extension() == ".eml") {
      std::ifstream in(e.path(), std::ios::binary);
      corpus.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  balie::email::mail_identity const identity{"gemeente.test", {"info@gemeente.test"}, "bounces"};
  auto const run = [&](auto&& work) {
    std::size_t done = 0;
    auto const start = steady_clock::now();
    while (steady_clock::now() - start < duration<double>(seconds / 2))
      for (auto const& raw : corpus) work(raw), ++done;
    return duration<double, std::micro>(steady_clock::now() - start).count() / static_cast<double>(done);
  };
  std::size_t sink = 0;
  double const raw_us = run([&](std::string const& raw) { sink += balie::sha256_hex(raw).size(); });
  double const parse_us = run([&](std::string const& raw) {
    auto const mail = balie::email::parse_mail(raw);
    auto const p = balie::email::prepare_mail(mail, {std::string("a@burger.test"), {"info@gemeente.test"}}, identity, {}, "lmtp",
                                              "01J00000000000000000000001", "01J00000000000000000000002", "BL-7K3M9Q", {});
    sink += p.message.text.size();
  });
  std::cout << "{\"mails\": " << corpus.size() << ", \"parse_us_per_mail\": " << parse_us << ", \"sha256_us_per_mail\": " << raw_us
            << ", \"ratio\": " << parse_us / raw_us << ", \"sink\": " << sink % 10 << "}\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string const mode = argc > 1 ? argv[1] : "";
  if (mode == "lmtp") return lmtp(options(argc, argv));
  if (mode == "parse") return parse(options(argc, argv));
  std::cerr << "usage: email_bench lmtp --port P [--connections C] [--seconds S] | email_bench parse [--seconds S]\n";
  return 2;
}
