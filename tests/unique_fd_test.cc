#include "unique_fd.h"

#include <fcntl.h>

#include <catch2/catch.hpp>

using vesta::UniqueFd;

namespace {
bool isOpen(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}
}  // namespace

TEST_CASE("UniqueFd closes what it holds when it goes") {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    REQUIRE(isOpen(raw));
  }
  CHECK_FALSE(isOpen(raw));
}

TEST_CASE("UniqueFd moves ownership and release gives it up") {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.get();
  UniqueFd b(std::move(a));
  CHECK(!a);
  CHECK(b.get() == raw);
  UniqueFd c;
  c = std::move(b);
  CHECK(isOpen(raw));
  int given = c.release();
  CHECK(!c);
  c.reset();
  CHECK(isOpen(given));  // release() handed it over: not closed by the owner
  ::close(given);
}

TEST_CASE("UniqueFd::reset closes the old descriptor") {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int old = fd.get();
  fd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK_FALSE(isOpen(old));  // the new one was opened first, so it has another number
  CHECK(isOpen(fd.get()));
}

TEST_CASE("UniqueFd::close closes now and says how it went") {
  UniqueFd fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  int raw = fd.get();
  CHECK(fd.close() == 0);
  CHECK(!fd);
  CHECK_FALSE(isOpen(raw));
  CHECK(fd.close() == 0);  // nothing held: nothing to close
}
