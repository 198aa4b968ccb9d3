#include "gateway/destruction_job.hpp"

#include "channels/attachment_store.hpp"
#include "channels/awaited.hpp"
#include "queue/keys.hpp"
#include "server/log.hpp"

#include <boost/asio/co_spawn.hpp>

#include <random>

namespace balie::gateway {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;
namespace {

/// Longer than one batch takes; renewed with every batch, free again soon after a dead instance's run.
constexpr std::chrono::seconds lock_ttl{600};
constexpr std::size_t batch = 100;

std::string lock_owner() {
  std::random_device rd;
  return std::to_string(rd()) + "-" + std::to_string(rd());
}

long long ms(timestamp t) { return t.time_since_epoch().count(); }

// Everything below runs on the file pool, where an exception would end the process: error codes only.
std::optional<timestamp> file_time(fs::path const& p) {
  std::error_code ec;
  auto const t = fs::last_write_time(p, ec);
  if (ec) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::file_clock::to_sys(t));
}

/// A file renamed aside while Redis decides; put back, or removed.
struct set_aside {
  fs::path target;
  fs::path aside;
};

enum class file_step { gone, recent, aside };

/// Step 2's first half, off the network threads: the file in each folder is renamed aside (a crashed
/// run's leftovers included); a file touched since `since` goes back and is `recent`.
std::pair<file_step, std::vector<set_aside>> take_aside(std::vector<fs::path> const& dirs, std::string const& sha, timestamp since) {
  std::vector<set_aside> taken;
  bool recent = false;
  for (auto const& dir : dirs) {
    auto const target = dir / channels::attachment_store::ref_of(sha);
    auto const aside = target.parent_path() / ("." + sha + ".destroying");
    std::error_code ec;
    fs::rename(target, aside, ec);  // absent: perhaps set aside by a run that stopped
    if (!fs::exists(aside, ec)) continue;
    if (file_time(aside).value_or(timestamp{}) > since) recent = true;
    taken.push_back({target, aside});
  }
  if (recent) {
    for (auto const& t : taken) {
      std::error_code ec;
      if (fs::exists(t.target, ec)) fs::remove(t.aside, ec);
      else fs::rename(t.aside, t.target, ec);
    }
    return {file_step::recent, {}};
  }
  return {taken.empty() ? file_step::gone : file_step::aside, std::move(taken)};
}

/// Step 2's second half: removed when no message refers to the file, else put back (unless written again meanwhile).
void finish_aside(std::vector<set_aside> const& taken, bool remove) {
  for (auto const& t : taken) {
    std::error_code ec;
    if (remove || fs::exists(t.target, ec)) fs::remove(t.aside, ec);
    else fs::rename(t.aside, t.target, ec);
  }
}

/// The spool's finished files older than `before`.
std::size_t clean_folder(fs::path const& dir, timestamp before) {
  std::size_t removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (!it->is_regular_file(fe)) continue;
    auto const at = file_time(it->path());
    if (at && *at < before && fs::remove(it->path(), fe)) ++removed;
  }
  return removed;
}

asio::awaitable<destruction_report> run(std::shared_ptr<queue::case_retention> retention, asio::thread_pool& files, timestamp now,
                                        destruction_settings settings) {
  destruction_report report;
  auto const owner = lock_owner();
  auto const lock_key = std::string(queue::keys::destruction_lock);
  auto [locked_ec, mine] = co_await awaited<error_code, bool>([&](auto done) { retention->lock(lock_key, owner, lock_ttl, std::move(done)); });
  if (locked_ec) {
    report.error = "redis: " + locked_ec.message();
    co_return report;
  }
  if (!mine) co_return report;
  report.ran = true;
  auto fail = [&](char const* step, error_code ec) {
    report.error = std::string(step) + ": " + ec.message();
    retention->unlock(lock_key, owner);
    return report;
  };

  // 1. Cases past their term; not before the one-time pass has counted older cases' files (else their
  // files would stay on disk for good).
  auto [mark_ec, upgraded] = co_await awaited<error_code, bool>([&](auto done) { retention->upgraded(std::move(done)); });
  if (mark_ec) co_return fail("upgrade mark", mark_ec);
  report.waiting_for_upgrade = !upgraded;
  while (upgraded) {
    auto [ec, due] = co_await awaited<error_code, std::vector<std::string>>([&](auto done) { retention->due(ms(now), batch, std::move(done)); });
    if (ec) co_return fail("due", ec);
    if (due.empty()) break;
    for (auto const& id : due) {
      auto [failed, result] = co_await awaited<error_code, queue::destroy_result>(
          [&](auto done) { retention->destroy(id, ms(now), "", std::move(done)); });
      if (failed) co_return fail("destroy", failed);
      if (result.status == queue::destroy_status::destroyed) {
        ++report.destroyed;
        server::log::info("retention.case_destroyed", {{"case_id", id}});
      }
    }
    retention->renew(lock_key, owner, lock_ttl);
    if (due.size() < batch) break;
  }

  // 2. Files no message refers to.
  auto const since = now - settings.file_grace;
  for (;;) {
    auto [ec, orphans] = co_await awaited<error_code, std::vector<std::string>>([&](auto done) { retention->orphans(batch, std::move(done)); });
    if (ec) co_return fail("orphans", ec);
    std::size_t recent = 0;
    for (auto const& sha : orphans) {
      // No structured bindings below: the lambdas capture these, which Clang 14 cannot do with bindings.
      auto aside = co_await awaited_on(files, [&settings, &sha, since] { return take_aside(settings.file_dirs, sha, since); });
      auto const step = aside.first;
      auto const taken = std::move(aside.second);
      if (step == file_step::recent) {
        ++recent;
        ++report.files_kept;
        continue;
      }
      auto settled = co_await awaited<error_code, bool>([&](auto done) { retention->settle_orphan(sha, std::move(done)); });
      auto const settle_ec = std::get<0>(settled);
      bool const unreferenced = std::get<1>(settled);
      if (settle_ec) {
        co_await awaited_on(files, [&taken] { finish_aside(taken, false); return 0; });
        co_return fail("settle", settle_ec);
      }
      co_await awaited_on(files, [&taken, unreferenced] { finish_aside(taken, unreferenced); return 0; });
      if (unreferenced && step == file_step::aside) ++report.files_removed;
      if (!unreferenced) ++report.files_kept;
    }
    if (orphans.size() < batch || recent == orphans.size()) break;
  }

  // 3. Operational terms.
  auto trim = [&](std::string_view stream, calendar::period const& term) {
    auto const before = ms(calendar::subtract(now, term));
    return awaited<error_code, long long>([&retention, stream, before](auto done) { retention->trim(std::string(stream), before, std::move(done)); });
  };
  auto [e1, events] = co_await trim(queue::keys::events, settings.terms.events);
  auto [e2, audit] = co_await trim(queue::keys::audit, settings.terms.audit);
  auto [e3, list] = co_await trim(queue::keys::destroyed, settings.terms.destruction_list);
  if (e1 || e2 || e3) co_return fail("trim", e1 ? e1 : e2 ? e2 : e3);
  report.events_trimmed = events;
  report.audit_trimmed = audit;
  report.list_trimmed = list;
  if (!settings.spool_dir.empty()) {
    auto const done_before = calendar::subtract(now, settings.terms.spool_done);
    auto const failed_before = calendar::subtract(now, settings.terms.spool_failed);
    report.spool_removed = co_await awaited_on(files, [&settings, done_before, failed_before] {
      return clean_folder(settings.spool_dir / "done", done_before) + clean_folder(settings.spool_dir / "failed", failed_before);
    });
  }
  // Released before the run reports: the next run (of any instance) may start as soon as this one says it ended.
  auto [unlock_ec] = co_await awaited<error_code>([&](auto done) { retention->unlock(lock_key, owner, std::move(done)); });
  if (unlock_ec) report.error = "unlock: " + unlock_ec.message();
  co_return report;
}

} // namespace

destruction_job::destruction_job(asio::any_io_executor executor, std::shared_ptr<queue::case_retention> retention, asio::thread_pool& files,
                                 clock_fn clock)
    : executor_(std::move(executor)), retention_(std::move(retention)), files_(files), clock_(std::move(clock)) {}

void destruction_job::run_once(destruction_settings settings, std::function<void(destruction_report)> done) {
  asio::co_spawn(executor_, run(retention_, files_, clock_(), std::move(settings)),
                 [self = shared_from_this(), done = std::move(done)](std::exception_ptr e, destruction_report report) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (std::exception const& ex) {  // a full disk, a folder without rights: reported, never on the I/O thread
                       report.error = std::string("files: ") + ex.what();
                     }
                   }
                   done(std::move(report));
                 });
}

} // namespace balie::gateway
