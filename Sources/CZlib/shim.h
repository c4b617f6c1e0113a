// The z C library (zlib1g-dev), imported into Swift as CZlib.
#pragma once
#include <zlib.h>
