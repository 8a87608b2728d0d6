/* The bench's baseline: the smallest useful libfcgi responder.
 *
 *   cfcgi SOCKET_PATH WORKERS [plain-close]
 *
 * Opens a unix listening socket (mode 0666 so an unprivileged nginx worker can
 * connect), forks WORKERS children that each run a single-threaded FCGX_Accept_r
 * loop on it (the same process model as `gatehouse serve`), and answers every
 * request with 200 and {"status":"ok"}. The parent only waits; SIGTERM or SIGINT
 * to it stops the children. Children also die with the parent (PR_SET_PDEATHSIG),
 * so a killed bench leaves nothing behind.
 *
 * By default each connection ends as libfcgi ends it: half-close, then wait for the
 * web server to close its end. With `plain-close` a connection whose input was read
 * to its end is simply closed, as Gatehouse's workers do: the ceiling for a responder
 * that closes that way.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char reply[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"status\":\"ok\"}";

static int plain_close;

static void serve(int listen_fd) {
    FCGX_Request request;
    if (FCGX_InitRequest(&request, listen_fd, 0) != 0) _exit(1);
    while (FCGX_Accept_r(&request) >= 0) {
        /* Drain the body so nginx never sees a reset on POST. */
        char buf[4096];
        while (FCGX_GetStr(buf, sizeof buf, request.in) > 0) {}
        FCGX_PutStr(reply, sizeof reply - 1, request.out);
        if (plain_close && FCGX_HasSeenEOF(request.in) == EOF && FCGX_GetError(request.in) == 0)
            FCGX_Detach(&request);
        else
            FCGX_Attach(&request);
        FCGX_Finish_r(&request);
    }
    _exit(0);
}

static pid_t *children;
static int child_count;

static void stop_children(int sig) {
    (void)sig;
    for (int i = 0; i < child_count; i++)
        if (children[i] > 0) kill(children[i], SIGTERM);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "plain-close") != 0)) {
        fprintf(stderr, "usage: %s SOCKET_PATH WORKERS [plain-close]\n", argv[0]);
        return 2;
    }
    plain_close = argc == 4;
    const char *path = argv[1];
    child_count = atoi(argv[2]);
    if (child_count < 1) child_count = 1;

    if (FCGX_Init() != 0) return 1;
    unlink(path);
    int fd = FCGX_OpenSocket(path, 1024);
    if (fd < 0) {
        perror("FCGX_OpenSocket");
        return 1;
    }
    chmod(path, 0666);

    children = calloc((size_t)child_count, sizeof *children);
    pid_t parent = getpid();
    for (int i = 0; i < child_count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            stop_children(0);
            return 1;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent) _exit(0);
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            serve(fd);
        }
        children[i] = pid;
    }

    struct sigaction sa = {0};
    sa.sa_handler = stop_children;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int remaining = child_count;
    while (remaining > 0) {
        if (wait(NULL) > 0) remaining--;
        else if (errno != EINTR) break;
    }
    unlink(path);
    return 0;
}
