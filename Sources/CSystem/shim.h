/* Linux system calls that Swift's Glibc module leaves out. */
#include <sys/signalfd.h>
#include <sys/epoll.h>

/* accept4(2) is declared only under _GNU_SOURCE, which the Glibc module is built without;
   including <sys/socket.h> here would take its types away from Glibc's module. */
struct sockaddr;
int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);
