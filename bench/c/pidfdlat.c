/* The physical floor for exit detection: how long after kill(2) a thread blocked in epoll_wait on
 * a pidfd wakes up. A `sleep` child is started, a killer thread takes CLOCK_MONOTONIC and sends
 * SIGKILL, the main thread (blocked in epoll_wait on the child's pidfd) takes the clock again.
 * usage: pidfdlat ROUNDS   prints one latency in nanoseconds per line. Linux >= 5.3.
 *        pidfdlat -        one round per line read from stdin, its latency printed at once (so a
 *                          caller can interleave single rounds with its own). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

static void *killer(void *arg) {
  (void)arg;
  /* Let the main thread block first, as the JS waiter is armed before the kill. */
  struct timespec d = {0, 20 * 1000 * 1000};
  nanosleep(&d, NULL);
  t_kill = now_ns();
  kill(victim, SIGKILL);
  return NULL;
}

int main(int argc, char **argv) {
  const int serve = argc > 1 && strcmp(argv[1], "-") == 0;
  int rounds = serve ? 0 : argc > 1 ? atoi(argv[1]) : 15;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return 1;
  char line[16];
  for (int r = 0; serve ? fgets(line, sizeof line, stdin) != NULL : r < rounds; r++) {
    victim = fork();
    if (victim < 0) return 1;
    if (victim == 0) {
      execlp("sleep", "sleep", "1000", (char *)NULL);
      _exit(127);
    }
    int fd = (int)syscall(SYS_pidfd_open, victim, 0);
    if (fd < 0) return 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data = {.u64 = 1}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    pthread_t t;
    pthread_create(&t, NULL, killer, NULL);
    struct epoll_event out;
    while (epoll_wait(ep, &out, 1, -1) != 1) {
    }
    long long t_end = now_ns();
    pthread_join(t, NULL);
    printf("%lld\n", t_end - t_kill);
    fflush(stdout);
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
    waitpid(victim, NULL, 0);
  }
  return 0;
}
