/* libfcgi, for the tests that hold Gatehouse's own FastCGI reader against it. */
#include <fcgiapp.h>
