/* Fault injection for the reliability tests, loaded with LD_PRELOAD into a real server.
 *
 * While the file named by FAULTY_ENOSPC exists, every write to a file under FAULTY_PREFIX fails
 * with ENOSPC (a full disk); while the file named by FAULTY_EIO exists, every fsync and
 * fdatasync of such a file fails with EIO (a failing device). Other descriptors (the
 * terminal, sockets) are never touched. Toggled from outside while the server runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int flagged(const char *var) {
    const char *f = getenv(var);
    return f && access(f, F_OK) == 0;
}

static int ours(int fd) {
    const char *prefix = getenv("FAULTY_PREFIX");
    char link[64], target[4096];
    if (!prefix) return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) return 0;
    target[n] = 0;
    return strncmp(target, prefix, strlen(prefix)) == 0;
}

#define REAL(name) static __typeof__(name) *real; if (!real) real = dlsym(RTLD_NEXT, #name)

static int full(int fd) {
    if (flagged("FAULTY_ENOSPC") && ours(fd)) { errno = ENOSPC; return 1; }
    return 0;
}

static int broken(int fd) {
    if (flagged("FAULTY_EIO") && ours(fd)) { errno = EIO; return 1; }
    return 0;
}

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(write);
    if (full(fd)) return -1;
    return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    REAL(pwrite);
    if (full(fd)) return -1;
    return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
    REAL(pwrite64);
    if (full(fd)) return -1;
    return real(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    REAL(writev);
    if (full(fd)) return -1;
    return real(fd, iov, cnt);
}

int ftruncate(int fd, off_t len) {
    REAL(ftruncate);
    if (full(fd)) return -1;
    return real(fd, len);
}

int fallocate(int fd, int mode, off_t off, off_t len) {
    REAL(fallocate);
    if (full(fd)) return -1;
    return real(fd, mode, off, len);
}

int fsync(int fd) {
    REAL(fsync);
    if (broken(fd)) return -1;
    return real(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    if (broken(fd)) return -1;
    return real(fd);
}
