/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/gsl_errors.c: GSL's abort-on-error handler off, and GSL statuses as sm_err codes
 * (see search/gsl_errors.h). */
#include "search/gsl_errors.h"
#include "core/error.h"

#include <gsl/gsl_errno.h>
#include <pthread.h>

static pthread_once_t sm_gsl_once = PTHREAD_ONCE_INIT;

static void turn_handler_off(void)
{
    gsl_set_error_handler_off();
}

void sm_gsl_quiet(void)
{
    pthread_once(&sm_gsl_once, turn_handler_off);
}

int sm_gsl_err(int gsl_status)
{
    switch (gsl_status) {
    case GSL_SUCCESS: return SM_OK;
    case GSL_ENOMEM: return SM_ERR_NOMEM;
    case GSL_EINVAL:
    case GSL_EFAULT:
    case GSL_EBADLEN:
    case GSL_ENOTSQR:
    case GSL_EBADTOL: return SM_ERR_ARG;
    case GSL_EUNSUP:
    case GSL_EUNIMPL: return SM_ERR_UNSUPPORTED;
    default: return SM_ERR_RANGE;
    }
}
