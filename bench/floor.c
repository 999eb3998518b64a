/*
 * The kernel floor of cgroup collection: opens the given files once, then per tick does
 * exactly one pread() of each at offset 0 into one buffer, and nothing else (no parsing,
 * no output). What this costs is what the kernel spends producing the stat files; any
 * collector costs at least this much.
 *
 * usage: floor <file-list> <ticks> <interval-us> [gap-us]
 *   file-list    a file with one absolute path per line, read in that order
 *   ticks        how many ticks to run
 *   interval-us  0 runs the ticks back to back; otherwise tick k is due at start + k*interval
 *                (absolute deadlines, so lateness does not accumulate)
 *   gap-us       with interval 0: sleep this long after each tick (what radvisor's scheduler
 *                does at a sub-millisecond interval, so that caches go as cold as its do)
 *
 * Prints "ready" once the files are open (so a caller can start measuring from outside),
 * then at the end one JSON line with the CPU time (getrusage) and wall time of the tick
 * loop alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static char buffer[65536];

static long long micros(struct timeval t) { return (long long)t.tv_sec * 1000000 + t.tv_usec; }

static long long cpu_micros(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

static long long now_micros(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int open_all(const char *list, int **fds_out) {
  FILE *file = fopen(list, "r");
  if (!file) {
    fprintf(stderr, "floor: cannot open %s: %s\n", list, strerror(errno));
    exit(1);
  }
  int capacity = 1024, count = 0;
  int *fds = malloc(sizeof(int) * capacity);
  char path[4096];
  while (fgets(path, sizeof path, file)) {
    path[strcspn(path, "\n")] = 0;
    if (!path[0]) continue;
    if (count == capacity) fds = realloc(fds, sizeof(int) * (capacity *= 2));
    fds[count] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[count] < 0) {
      fprintf(stderr, "floor: cannot open %s: %s\n", path, strerror(errno));
      exit(1);
    }
    count++;
  }
  fclose(file);
  *fds_out = fds;
  return count;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: floor <file-list> <ticks> <interval-us> [gap-us]\n");
    return 2;
  }
  int *fds;
  int files = open_all(argv[1], &fds);
  long ticks = atol(argv[2]);
  long long interval = atoll(argv[3]);
  long long gap = argc == 5 ? atoll(argv[4]) : 0;
  struct timespec gap_time = {gap / 1000000, (gap % 1000000) * 1000};
  printf("ready\n");
  fflush(stdout);

  long long bytes = 0;
  long long cpu_start = cpu_micros(), wall_start = now_micros();
  struct timespec due;
  clock_gettime(CLOCK_MONOTONIC, &due);
  for (long tick = 0; tick < ticks; tick++) {
    if (interval > 0 && tick > 0) {
      due.tv_nsec += interval * 1000;
      due.tv_sec += due.tv_nsec / 1000000000;
      due.tv_nsec %= 1000000000;
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    } else if (gap > 0 && tick > 0) {
      nanosleep(&gap_time, NULL);
    }
    for (int i = 0; i < files; i++) {
      ssize_t got = pread(fds[i], buffer, sizeof buffer, 0);
      if (got > 0) bytes += got;
    }
  }
  long long cpu = cpu_micros() - cpu_start, wall = now_micros() - wall_start;
  printf("{\"files\":%d,\"ticks\":%ld,\"cpuUs\":%lld,\"wallUs\":%lld,\"bytes\":%lld}\n", files, ticks, cpu, wall, bytes);
  return 0;
}
