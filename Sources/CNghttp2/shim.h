// The nghttp2 C library (libnghttp2-dev), imported into Swift as CNghttp2.
#pragma once
#include <nghttp2/nghttp2.h>
