/* Debian's LLVM libunwind.a (libunwind-14-dev) is built against glibc with
 * _FORTIFY_SOURCE, so it calls glibc's checked __fprintf_chk, which musl does not have.
 * scripts/cross.sh adds this to the copy of libunwind.a that the x86_64 musl build links. */
#include <stdarg.h>
#include <stdio.h>

int __fprintf_chk(FILE *stream, int flag, const char *format, ...) {
    (void)flag;
    va_list args;
    va_start(args, format);
    int written = vfprintf(stream, format, args);
    va_end(args);
    return written;
}
