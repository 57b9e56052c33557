# SPDX-License-Identifier: GPL-3.0-or-later
# tests/: shared test helpers. Each folder's local.mk declares its own test programs.
EXTRA_DIST += tests/test_util.h tests/test_cli_util.h tests/tap-run.sh tests/install/check.sh tests/install/consumer.cpp
# The browser check of a report (CI runs it on tests/check_report.ini; not part of make check).
EXTRA_DIST += tests/check_report.sh tests/check_report.ini

# Test programs speak TAP (tests/tap-run.sh), so that the totals count each test case and
# show every skip; shell-script tests (.sh) use automake's plain driver.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/tap-run.sh
TEST_EXTENSIONS = .sh
SH_LOG_DRIVER = $(SHELL) $(top_srcdir)/build-aux/test-driver

# The fuzz regression corpus (tests/fuzz/corpus/KIND/), replayed through every parser.
check_PROGRAMS += tests/test_fuzz_corpus
TESTS += tests/test_fuzz_corpus
tests_test_fuzz_corpus_LDADD = $(SM_ALL_LDADD)
EXTRA_DIST += tests/fuzz/corpus

# libFuzzer harnesses, not part of `make check`: `make fuzz` builds them with clang
# (`make fuzz SM_FUZZ_CC=clang-14` for another one). README, "Fuzzing", says how to run them.
SM_FUZZ_CC = clang
SM_FUZZ_LIBSRC = $(core_libsm_core_la_SOURCES) $(features_libsm_features_la_SOURCES) \
	$(synths_libsm_synths_la_SOURCES) $(synths_libsm_fm6_la_SOURCES) \
	$(synths_libsm_drum_la_SOURCES) $(synths_libsm_neuron_la_SOURCES) \
	$(search_libsm_search_la_SOURCES) $(datasets_libsm_datasets_la_SOURCES) \
	$(experiments_libsm_experiments_la_SOURCES)
EXTRA_DIST += tests/fuzz/build.sh tests/fuzz/fuzz_util.h tests/fuzz/fuzz_ini.c \
	tests/fuzz/fuzz_sysex.c tests/fuzz/fuzz_mtpreset.c tests/fuzz/fuzz_audio.c tests/fuzz/fuzz_results.c
fuzz:
	FUZZ_CC='$(SM_FUZZ_CC)' SRCDIR='$(srcdir)' OUTDIR='$(builddir)/tests/fuzz' \
	SOURCES='$(SM_FUZZ_LIBSRC)' \
	FUZZ_CPPFLAGS='$(DEFS) -I$(top_srcdir) -I$(top_builddir) -D_GNU_SOURCE -DSM_INTERNAL $(FFTW_CFLAGS) $(GSL_CFLAGS) $(OPENBLAS_CFLAGS) $(LAPACKE_CFLAGS) $(SNDFILE_CFLAGS) $(SAMPLERATE_CFLAGS) $(INIH_CFLAGS) $(CAIRO_CFLAGS)' \
	FUZZ_LIBS='$(FFTW_LIBS) $(GSL_LIBS) $(LAPACKE_LIBS) $(OPENBLAS_LIBS) $(SNDFILE_LIBS) $(SAMPLERATE_LIBS) $(INIH_LIBS) $(CAIRO_LIBS) -lpthread -lm' \
	$(SHELL) $(srcdir)/tests/fuzz/build.sh
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/obj tests/fuzz/fuzz_ini tests/fuzz/fuzz_sysex tests/fuzz/fuzz_mtpreset \
		tests/fuzz/fuzz_audio tests/fuzz/fuzz_results
.PHONY: fuzz clean-fuzz

# Exact gradients (synths/neuron_grad.c, features/cost_grad.c) against finite differences.
check_PROGRAMS += tests/test_grad
TESTS += tests/test_grad
tests_test_grad_LDADD = synths/libsm_synths.la synths/libsm_fm6.la synths/libsm_drum.la \
	synths/libsm_neuron.la search/libsm_search.la $(SM_FEATURES_LDADD)

# The fm6 voice's relaxed gradient (synths/fm6_grad.c), the relaxed decode, the objective's
# rounded cost and gd's repair search.
check_PROGRAMS += tests/test_fm6_grad
TESTS += tests/test_fm6_grad
tests_test_fm6_grad_LDADD = $(SM_ALL_LDADD)
