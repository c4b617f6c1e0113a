// The protobuf-c C library (libprotobuf-c-dev), imported into Swift as CProtobufC.
#pragma once
#include <protobuf-c/protobuf-c.h>
