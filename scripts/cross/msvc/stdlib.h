/* Stand-in for the MSVC C library's stdlib.h, which is not on this machine (see
 * scripts/cross.sh). ring includes it under _MSC_VER only for _byteswap_ulong, a builtin
 * that clang recognises once it is declared, as the real header does. */
#ifndef CARO_CROSS_MSVC_STDLIB_H
#define CARO_CROSS_MSVC_STDLIB_H
#include <stddef.h>
unsigned long __cdecl _byteswap_ulong(unsigned long value);
#endif
