/*
 * Preloaded before libfaketime by `npm test`'s clock +400 days pass (scripts/test.sh): the waits
 * with a relative timeout (epoll_wait, poll, select, nanosleep, ...) go straight to libc.
 *
 * Why: libfaketime wraps these waits only to scale their timeout when the clock runs faster or
 * slower (FAKETIME="... x2"), which this pass does not use, and while a thread is inside such a
 * wrapper it reports the REAL time to that thread. A signal handler that reads the clock while its
 * thread waits therefore sees the real time. PostgreSQL's SIGALRM handler does exactly that for every
 * timeout (statement_timeout, lock_timeout, deadlock_timeout, ...): the backend waits in
 * epoll_wait, the handler compares the real time with a deadline computed in faked time (400 days
 * later) and re-arms the alarm for 400 days, so the timeout never fires and deadlocks are never
 * detected. With these pass-throughs the handler sees the faked clock like the rest of the process.
 * Absolute-deadline waits (pthread_cond_timedwait, sem_timedwait, timer_settime, clock_nanosleep with
 * TIMER_ABSTIME) stay with libfaketime, which converts their faked deadlines to real ones.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static void *libc_symbol(const char *name) {
  static void *libc;
  if (!libc) libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  return libc ? dlsym(libc, name) : NULL;
}

#define PASS_THROUGH(ret, name, params, args)             \
  ret name params {                                       \
    static ret (*real) params;                            \
    if (!real) real = (ret (*) params) libc_symbol(#name); \
    return real args;                                     \
  }

PASS_THROUGH(int, epoll_wait, (int fd, struct epoll_event *events, int max, int timeout), (fd, events, max, timeout))
PASS_THROUGH(int, epoll_pwait, (int fd, struct epoll_event *events, int max, int timeout, const sigset_t *mask),
             (fd, events, max, timeout, mask))
PASS_THROUGH(int, poll, (struct pollfd *fds, nfds_t n, int timeout), (fds, n, timeout))
PASS_THROUGH(int, ppoll, (struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask),
             (fds, n, timeout, mask))
PASS_THROUGH(int, select, (int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout), (n, r, w, e, timeout))
PASS_THROUGH(int, pselect, (int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout, const sigset_t *mask),
             (n, r, w, e, timeout, mask))
PASS_THROUGH(int, nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem))
PASS_THROUGH(int, usleep, (useconds_t usec), (usec))
PASS_THROUGH(unsigned int, sleep, (unsigned int seconds), (seconds))
