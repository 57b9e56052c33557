/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/version.c: the library's version (see core/version.h). */
#include "core/version.h"

const char *sm_version(void)
{
    return SM_VERSION_STRING;
}

int sm_version_number(void)
{
    return SM_VERSION_NUMBER;
}
