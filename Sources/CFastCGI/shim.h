#include <fcgiapp.h>
#include <fcgios.h>
#include <sys/signalfd.h>
