/* The timer of (k): runs one program RUNS times, one after another, and prints for each
 * run its wall time from spawn to reap, its CPU time and its peak RSS (wait4's rusage).
 *
 *   cgitime RUNS OUTPUT PROGRAM [ARG...]
 *
 * Every run gets this process's environment and standard input, and OUTPUT (truncated)
 * as its standard output. Prints one line per run, "wall_ns cpu_us maxrss_kib
 * wait_status", then "floor KIB": this process's own peak RSS.
 *
 * Why not from the bench's Python: exec keeps the peak RSS of the memory it replaces in
 * the child's ru_maxrss, and a spawned child replaces its parent's memory (vfork) or a
 * copy of it (fork), so every program run from Python would report at least Python's
 * size. Linked statically, this process stays small: its own peak, printed last, is the
 * floor.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* VmHWM: the peak of this process's memory, which each child's exec replaces. (Its own
 * ru_maxrss would include the memory of whatever exec'd it.) */
static long peak_rss_kib(void) {
    long kib = -1;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static long long micros(struct timeval tv) {
    return tv.tv_sec * 1000000LL + tv.tv_usec;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s RUNS OUTPUT PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    int runs = atoi(argv[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < runs; i++) {
        long long start = now_ns();
        pid_t pid;
        int error = posix_spawn(&pid, argv[3], &actions, NULL, argv + 3, environ);
        if (error != 0) {
            fprintf(stderr, "cgitime: %s: %s\n", argv[3], strerror(error));
            return 1;
        }
        int status;
        struct rusage usage;
        if (wait4(pid, &status, 0, &usage) < 0) {
            perror("cgitime: wait4");
            return 1;
        }
        long long wall = now_ns() - start;
        printf("%lld %lld %ld %d\n", wall, micros(usage.ru_utime) + micros(usage.ru_stime), usage.ru_maxrss, status);
    }
    printf("floor %ld\n", peak_rss_kib());
    return 0;
}
