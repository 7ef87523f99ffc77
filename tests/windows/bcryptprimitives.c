/*
 * A stand-in for Windows' bcryptprimitives.dll, for Wine 8.0, which lacks it.
 *
 * Rust's std (1.78 and later) gets its random numbers (HashMap seeds) from ProcessPrng in
 * bcryptprimitives.dll, and a Rust program does not even start without it. Windows 10 and
 * later have the DLL; Debian's Wine 8.0 does not. This file provides ProcessPrng on top of
 * RtlGenRandom (SystemFunction036 in advapi32.dll), which Wine has. It is used only by the
 * tests (tests/windows/run.sh builds it into the Wine prefix); nothing ships it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng never fails on Windows; RtlGenRandom takes a ULONG, so larger requests are
 * filled in pieces. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG piece = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
