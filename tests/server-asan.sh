#!/bin/sh
# everato-server as the sanitizer build's tests start it.
#
# LeakSanitizer's one suppression (tests/lsan.supp, a libsoup 3.2 leak) is
# matched on a stack that passes through GLib, which has no frame pointers:
# only the slow unwinder sees it. The servers therefore run with
# EVERATO_SERVER_ASAN_OPTIONS (full unwinding), while the test programs
# themselves keep ASan's fast unwinder, which makes them many times faster.
if [ -n "${EVERATO_SERVER_ASAN_OPTIONS:-}" ]; then
    ASAN_OPTIONS=$EVERATO_SERVER_ASAN_OPTIONS
    export ASAN_OPTIONS
fi
exec "$EVERATO_SERVER_REAL_BIN" "$@"
