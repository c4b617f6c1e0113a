// The pq C library (libpq-dev), imported into Swift as CLibpq, with epoll, which waits for
// libpq's sockets (Swift's Glibc module leaves sys/epoll.h out).
#pragma once
#include <libpq-fe.h>
#include <sys/epoll.h>
