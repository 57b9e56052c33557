/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/error.h: error codes and the detail record every fallible soundmatch call can fill.
 *
 * Functions return 0 (SM_OK) or a negative sm_err code. Those that can say more take an
 * optional sm_error* and write a sentence naming the file, line, byte or field that was wrong.
 * The library never prints and never exits; only the command-line program talks to the user. */
#ifndef SM_ERROR_H
#define SM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SM_OK = 0,
    SM_ERR_NOMEM = -1,       /* out of memory */
    SM_ERR_IO = -2,          /* a file could not be opened, read or written */
    SM_ERR_FORMAT = -3,      /* a file's content is malformed or truncated */
    SM_ERR_RANGE = -4,       /* a value lies outside its allowed range */
    SM_ERR_ARG = -5,         /* an invalid argument (NULL, zero size, bad name) */
    SM_ERR_NONFINITE = -6,   /* a NaN or infinite value */
    SM_ERR_CONFIG = -7,      /* a malformed or inconsistent configuration */
    SM_ERR_EMPTY = -8,       /* no data: an empty file, zero samples, silence where sound is needed */
    SM_ERR_UNSUPPORTED = -9, /* a valid request this build cannot carry out */
    SM_ERR_NOTFOUND = -10,   /* a named item (voice, synth, optimizer, section) does not exist */
    SM_ERR_INTERRUPTED = -11 /* the caller asked the work to stop */
} sm_err;

/* The detail of one failure: its code and a sentence for the user. Zero it before use. */
typedef struct {
    int code;
    char msg[768];
} sm_error;

/* A short constant phrase for a code ("out of memory"). Never NULL. */
const char *sm_strerror(int code);

/* Records code and a printf-style sentence in err (if err is not NULL); returns code,
 * so a failing function can `return sm_error_set(err, SM_ERR_IO, "%s: ...", path);`. */
int sm_error_set(sm_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err (code 0, empty message). NULL is allowed. */
void sm_error_clear(sm_error *err);

/* The best sentence for err: its message, or sm_strerror(code) if the message is empty. */
const char *sm_error_text(const sm_error *err);

#ifdef __cplusplus
}
#endif

#endif
