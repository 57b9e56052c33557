/* SPDX-License-Identifier: GPL-3.0-or-later */
/* soundmatch.h: the whole public API of libsoundmatch in one include (installed as
 * <soundmatch.h>; the parts are <soundmatch/NAME.h>). Link with `pkg-config --libs soundmatch`. */
#ifndef SOUNDMATCH_H
#define SOUNDMATCH_H

#include <soundmatch/version.h>
#include <soundmatch/errors.h>
#include <soundmatch/params.h>
#include <soundmatch/audio.h>
#include <soundmatch/synth.h>
#include <soundmatch/dx7.h>
#include <soundmatch/features.h>
#include <soundmatch/optimizer.h>
#include <soundmatch/experiment.h>
#include <soundmatch/runner.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
