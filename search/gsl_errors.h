/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/gsl_errors.h: GSL without aborts (internal to the library, not installed).
 *
 * GSL's default error handler prints and calls abort() on any failure, an allocation that
 * fails included: a library must not end its host's process. sm_gsl_quiet turns that handler
 * off (once per process, thread-safe) so that GSL functions return their status instead;
 * every module that calls GSL calls sm_gsl_quiet first (in its alloc) and checks what GSL
 * returns, mapping a status to an sm_err code with sm_gsl_err.
 *
 * GSL's handler is one setting for the whole process, so a program that links soundmatch and
 * uses GSL itself finds the handler off once soundmatch has used GSL. A program that wants
 * GSL's aborts back can call gsl_set_error_handler(NULL) after setting up soundmatch. */
#ifndef SM_GSL_ERRORS_H
#define SM_GSL_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Turns GSL's abort-on-error handler off; the first call does it, later calls do nothing. */
void sm_gsl_quiet(void);

/* The sm_err code for a GSL status: 0 for GSL_SUCCESS, SM_ERR_NOMEM for GSL_ENOMEM,
 * SM_ERR_ARG for bad arguments (GSL_EINVAL, GSL_EFAULT, GSL_EBADLEN, GSL_ENOTSQR,
 * GSL_EBADTOL), SM_ERR_UNSUPPORTED for GSL_EUNSUP and GSL_EUNIMPL, and SM_ERR_RANGE for the
 * numerical failures (domain, overflow, singularity, no convergence and the rest). */
int sm_gsl_err(int gsl_status);

#ifdef __cplusplus
}
#endif

#endif
