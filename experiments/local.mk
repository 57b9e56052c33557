# experiments/: objective, experiment files, runner and reports.
noinst_LTLIBRARIES += experiments/libsm_experiments.la
experiments_libsm_experiments_la_SOURCES = experiments/objective.c experiments/experiment.c \
	experiments/runner.c experiments/report.c experiments/stats.c experiments/plot.c
nobase_pkginclude_HEADERS += experiments/objective.h experiments/experiment.h experiments/runner.h \
	experiments/report.h experiments/stats.h experiments/plot.h

EXTRA_DIST += experiments/README.md experiments/quickstart.ini experiments/fm_2op.ini \
	experiments/fm_ops_1to6.ini experiments/dx7_factory.ini experiments/drums_hydrogen.ini \
	experiments/neuron_learn.ini experiments/real_notes.ini experiments/real_drums.ini
check_PROGRAMS += tests/test_experiments tests/test_report tests/test_cli
TESTS += tests/test_experiments tests/test_report tests/test_cli
tests_test_experiments_LDADD = $(SM_ALL_LDADD)
tests_test_report_LDADD = $(SM_ALL_LDADD)
tests_test_cli_LDADD = $(SM_CORE_LDADD)
tests_test_cli_DEPENDENCIES = soundmatch

noinst_PROGRAMS += bench/bench_eval
SM_BENCHES += bench/bench_eval
bench_bench_eval_LDADD = $(SM_ALL_LDADD)
