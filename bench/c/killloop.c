/* The physical floor for procsig's kill: a C loop of kill(2).
 * usage: killloop SIG ROUNDS PID...   prints nanoseconds per kill(2) call (best round). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int sig = atoi(argv[1]);
  int rounds = atoi(argv[2]);
  int n = argc - 3;
  int *pids = malloc(sizeof(int) * n);
  for (int i = 0; i < n; i++) pids[i] = atoi(argv[i + 3]);
  double best = 1e300;
  volatile int ok = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns();
    for (int i = 0; i < n; i++) ok += kill(pids[i], sig) == 0;
    double dt = now_ns() - t0;
    if (dt < best) best = dt;
  }
  printf("%.1f\n", best / n);
  free(pids);
  return 0;
}
