/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/error.c: error codes, their names, and the detail record (see core/error.h). */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sm_strerror(int code)
{
    switch (code) {
    case SM_OK: return "success";
    case SM_ERR_NOMEM: return "out of memory";
    case SM_ERR_IO: return "input/output error";
    case SM_ERR_FORMAT: return "malformed or truncated data";
    case SM_ERR_RANGE: return "value out of range";
    case SM_ERR_ARG: return "invalid argument";
    case SM_ERR_NONFINITE: return "NaN or infinite value";
    case SM_ERR_CONFIG: return "invalid configuration";
    case SM_ERR_EMPTY: return "no data";
    case SM_ERR_UNSUPPORTED: return "not supported";
    case SM_ERR_NOTFOUND: return "not found";
    case SM_ERR_INTERRUPTED: return "interrupted";
    default: return "unknown error";
    }
}

int sm_error_set(sm_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sm_error_clear(sm_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *sm_error_text(const sm_error *err)
{
    if (!err) return "unknown error";
    if (err->msg[0]) return err->msg;
    return sm_strerror(err->code);
}
