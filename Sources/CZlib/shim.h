// zlib, with its init macro (which Swift cannot call) as a function.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 for gzip or zlib streams (auto-detected: window bits 15 + 32).
static inline int czlib_inflate_init(z_stream *stream) { return inflateInit2(stream, 15 + 32); }
/// deflateInit2 writing a gzip stream (tests make compressed bodies with it).
static inline int czlib_gzip_init(z_stream *stream) {
    return deflateInit2(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
