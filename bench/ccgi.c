/* The baseline of (k): the smallest CGI program, with the answer cfcgi.c gives.
 *
 *   REQUEST_METHOD=GET PATH_INFO=/health ccgi
 *
 * Prints one 200 with {"status":"ok"} whatever the request, and exits.
 */
#include <stdio.h>

static const char reply[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 15\r\n"
    "\r\n"
    "{\"status\":\"ok\"}";

int main(void) {
    return fwrite(reply, 1, sizeof reply - 1, stdout) == sizeof reply - 1 ? 0 : 1;
}
