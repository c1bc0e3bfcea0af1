#include "lochat/net/state_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lochat/net/socket.hpp"

namespace lochat::files {

namespace {

[[noreturn]] void fail_with_errno(const std::string& what) {
  throw NetError(what + ": " + std::strerror(errno != 0 ? errno : EIO));
}

}  // namespace

void make_parent_directories(const std::string& file) {
  for (std::size_t slash = file.find('/', 1); slash != std::string::npos;
       slash = file.find('/', slash + 1)) {
    const std::string prefix = file.substr(0, slash);
    errno = 0;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      fail_with_errno("cannot make " + prefix);
  }
}

void write_atomically(const std::string& path, mode_t mode,
                      const std::function<bool(std::FILE*)>& write) {
  const std::string temporary = path + ".new";
  ::unlink(temporary.c_str());
  errno = 0;
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail_with_errno("cannot create " + temporary);
  std::FILE* file = ::fdopen(fd, "w");
  const bool written = file != nullptr && write(file) && std::fflush(file) == 0 && ::fsync(fd) == 0;
  const bool closed = file != nullptr ? std::fclose(file) == 0 : ::close(fd) == 0;
  if (!written || !closed || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int why = errno;
    ::unlink(temporary.c_str());
    errno = why;
    fail_with_errno("cannot write " + path);
  }
}

void write_atomically(const std::string& path, mode_t mode, std::string_view text) {
  write_atomically(path, mode, [text](std::FILE* file) {
    return std::fwrite(text.data(), 1, text.size(), file) == text.size();
  });
}

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace lochat::files
