# SPDX-License-Identifier: GPL-3.0-or-later
# search/: optimizers behind one ask/tell interface (owner: search).
noinst_LTLIBRARIES += search/libsm_search.la
search_libsm_search_la_SOURCES = search/optimizer.c search/random.c search/hill.c search/gd.c search/lbfgs.c search/memetic.c \
	search/ga.c search/cmaes.c search/pcakm.c search/retrieve.c search/halving.c \
	search/batch.h search/optimizers.def search/gsl_errors.c search/gsl_errors.h
noinst_HEADERS += search/optimizer.h search/optimizers.def search/pcakm.h
SM_SEARCH_LDADD = search/libsm_search.la $(SM_CORE_LDADD)
check_PROGRAMS += tests/test_search_optimizers tests/test_search_pcakm tests/test_search_gsl
TESTS += tests/test_search_optimizers tests/test_search_pcakm tests/test_search_gsl
tests_test_search_gsl_LDADD = $(SM_SEARCH_LDADD)
tests_test_search_optimizers_LDADD = $(SM_SEARCH_LDADD)
tests_test_search_pcakm_LDADD = $(SM_SEARCH_LDADD)
