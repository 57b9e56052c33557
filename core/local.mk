# SPDX-License-Identifier: GPL-3.0-or-later
# core/: shared mechanisms (errors, audio I/O, parameter spaces, random numbers, INI, evaluation).
EXTRA_DIST += core/version.h.in
noinst_LTLIBRARIES += core/libsm_core.la
core_libsm_core_la_SOURCES = core/error.c core/audio.c core/params.c core/rng.c \
	core/ini.c core/params_file.c core/eval.c core/fileio.c core/version.c core/pca.c core/pca.h core/simd.h
core_libsm_core_la_LIBADD = $(SNDFILE_LIBS) $(SAMPLERATE_LIBS) $(INIH_LIBS) $(OPENMP_CFLAGS) -lm
noinst_HEADERS += core/error.h core/audio.h core/params.h core/rng.h \
	core/ini.h core/params_file.h core/eval.h core/fileio.h

check_PROGRAMS += tests/test_core_pca
TESTS += tests/test_core_pca
tests_test_core_pca_LDADD = $(SM_CORE_LDADD)
check_PROGRAMS += tests/test_core_audio tests/test_core_params tests/test_core_rng \
	tests/test_core_ini tests/test_core_eval
TESTS += tests/test_core_audio tests/test_core_params tests/test_core_rng \
	tests/test_core_ini tests/test_core_eval
tests_test_core_audio_LDADD = $(SM_CORE_LDADD)
tests_test_core_params_LDADD = $(SM_CORE_LDADD)
tests_test_core_rng_LDADD = $(SM_CORE_LDADD)
tests_test_core_ini_LDADD = $(SM_CORE_LDADD)
tests_test_core_eval_LDADD = $(SM_CORE_LDADD)
