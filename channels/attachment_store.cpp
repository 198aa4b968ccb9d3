#include "channels/attachment_store.hpp"

#include "channels/text.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <system_error>

namespace balie::channels {
namespace {

[[noreturn]] void fail(int error, char const* what) { throw std::system_error(error, std::generic_category(), what); }

void fsync_path(std::filesystem::path const& p, int flags) {
  int const fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail(errno, "open for fsync");
  int const synced = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (synced) fail(synced, "fsync");
}

} // namespace

attachment_store::attachment_store(std::filesystem::path dir) : dir_(std::move(dir)) {}

stored_file attachment_store::put(std::string_view bytes) const {
  stored_file f;
  f.sha256 = sha256_hex(bytes);
  f.ref = ref_of(f.sha256);
  auto const target = dir_ / f.ref;
  // Stored before: touched, so the destruction job, which leaves recently touched files alone, keeps it for the
  // message about to refer to it. Gone meanwhile (the job took it): written again below.
  std::error_code touched;
  std::filesystem::last_write_time(target, std::filesystem::file_time_type::clock::now(), touched);
  if (!touched) return f;
  auto const folder = target.parent_path();
  // A new folder is itself an entry of the store's directory, which must survive a crash too.
  if (std::filesystem::create_directories(folder)) fsync_path(dir_, O_RDONLY | O_DIRECTORY);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto const temp = folder / ("." + f.sha256 + "." + std::to_string(rng()) + ".tmp");
  int const fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) fail(errno, "create attachment");
  // errno is saved before close and remove, which may change it.
  auto const give_up = [&](char const* what) {
    int const error = errno ? errno : EIO;
    ::close(fd);
    std::filesystem::remove(temp);
    fail(error, what);
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    auto const n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) give_up("write attachment");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) give_up("fsync attachment");
  if (::close(fd) != 0) {
    int const error = errno;
    std::filesystem::remove(temp);
    fail(error, "close attachment");
  }
  std::filesystem::rename(temp, target);
  fsync_path(folder, O_RDONLY | O_DIRECTORY);
  return f;
}

} // namespace balie::channels
