// The pq C library (libpq-dev), imported into Swift as CLibpq.
#pragma once
#include <libpq-fe.h>
