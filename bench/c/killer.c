/* The killer for bench/wait.js: reads one pid per line, takes CLOCK_MONOTONIC, sends SIGKILL, then
 * sleeps 30 ms before printing that time. It does nothing in between, so it never competes for a
 * CPU with the exit being measured (as the C reference's killer thread, which ends right after
 * kill(2); a Node killer ran ~150 µs of JS there, on a machine with two CPUs).
 * usage: killer   (then pids on stdin; prints "ready" first) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void) {
  char line[32];
  printf("ready\n");
  fflush(stdout);
  while (fgets(line, sizeof line, stdin) != NULL) {
    const long pid = strtol(line, NULL, 10);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (pid > 1) kill((pid_t)pid, SIGKILL);
    const struct timespec d = {0, 30 * 1000 * 1000};
    nanosleep(&d, NULL);
    printf("%lld\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
    fflush(stdout);
  }
  return 0;
}
