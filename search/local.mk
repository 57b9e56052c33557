# search/: optimizers behind one ask/tell interface (owner: search).
noinst_LTLIBRARIES += search/libsm_search.la
search_libsm_search_la_SOURCES = search/optimizer.c search/random.c search/hill.c search/gd.c \
	search/ga.c search/cmaes.c search/pcakm.c search/batch.h search/optimizers.def
nobase_pkginclude_HEADERS += search/optimizer.h search/optimizers.def search/pcakm.h
SM_SEARCH_LDADD = search/libsm_search.la $(SM_CORE_LDADD)
check_PROGRAMS += tests/test_search_optimizers tests/test_search_pcakm
TESTS += tests/test_search_optimizers tests/test_search_pcakm
tests_test_search_optimizers_LDADD = $(SM_SEARCH_LDADD)
tests_test_search_pcakm_LDADD = $(SM_SEARCH_LDADD)
