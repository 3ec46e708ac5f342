/* The physical floor for exit detection: how long after kill(2) a thread blocked in epoll_wait on
 * a pidfd wakes up. A `sleep` child is started, a killer thread takes CLOCK_MONOTONIC and sends
 * SIGKILL, the main thread (blocked in epoll_wait on the child's pidfd) takes the clock again.
 * usage: pidfdlat ROUNDS   prints one latency in nanoseconds per line. Linux >= 5.3.
 *        pidfdlat -        one round per line read from stdin, its latency printed at once (so a
 *                          caller can interleave single rounds with its own). A line "relay"
 *                          asks for procsig's structure in C instead: a relay thread blocks on
 *                          the pidfd and, once woken, writes an eventfd the main thread blocks on
 *                          (the second wake-up the exit watcher's hand-over adds, without Node). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static pid_t victim;
static long long t_kill;
static int relay_ep = -1; /* the relay thread's epoll (pidfds) */
static int relay_efd = -1; /* what it writes once woken; the main thread's epoll holds it */

static void *killer(void *arg) {
  (void)arg;
  /* Let the main thread block first, as the JS waiter is armed before the kill. */
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  t_kill = now_ns();
  kill(victim, SIGKILL);
  return NULL;
}

static void *relay(void *arg) {
  (void)arg;
  for (;;) {
    struct epoll_event out;
    if (epoll_wait(relay_ep, &out, 1, -1) != 1) continue;
    uint64_t one = 1;
    if (write(relay_efd, &one, sizeof one) != sizeof one) return NULL;
  }
}

int main(int argc, char **argv) {
  const int serve = argc > 1 && strcmp(argv[1], "-") == 0;
  int rounds = serve ? 0 : argc > 1 ? atoi(argv[1]) : 15;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return 1;
  char line[16];
  for (int r = 0; serve ? fgets(line, sizeof line, stdin) != NULL : r < rounds; r++) {
    const int relayed = serve && strncmp(line, "relay", 5) == 0;
    if (relayed && relay_ep < 0) {
      relay_ep = epoll_create1(EPOLL_CLOEXEC);
      relay_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (relay_ep < 0 || relay_efd < 0) return 1;
      struct epoll_event ev = {.events = EPOLLIN, .data = {.u64 = 2}};
      epoll_ctl(ep, EPOLL_CTL_ADD, relay_efd, &ev);
      pthread_t t;
      if (pthread_create(&t, NULL, relay, NULL) != 0) return 1;
    }
    victim = fork();
    if (victim < 0) return 1;
    if (victim == 0) {
      execlp("sleep", "sleep", "1000", (char *)NULL);
      _exit(127);
    }
    int fd = (int)syscall(SYS_pidfd_open, victim, 0);
    if (fd < 0) return 1;
    const int watch_ep = relayed ? relay_ep : ep;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data = {.u64 = 1}};
    epoll_ctl(watch_ep, EPOLL_CTL_ADD, fd, &ev);
    pthread_t t;
    pthread_create(&t, NULL, killer, NULL);
    struct epoll_event out;
    while (epoll_wait(ep, &out, 1, -1) != 1) {
    }
    long long t_end = now_ns();
    pthread_join(t, NULL);
    printf("%lld\n", t_end - t_kill);
    fflush(stdout);
    if (relayed) {
      uint64_t v;
      if (read(relay_efd, &v, sizeof v) < 0) return 1;
    }
    epoll_ctl(watch_ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    waitpid(victim, NULL, 0);
  }
  return 0;
}
