/* Declarations only: the library is opened with dlopen (LibPQ.swift), never linked. */
#include <postgresql/libpq-fe.h>
