# SPDX-License-Identifier: GPL-3.0-or-later
# experiments/: objective, experiment files, runner and reports.
noinst_LTLIBRARIES += experiments/libsm_experiments.la
experiments_libsm_experiments_la_SOURCES = experiments/objective.c experiments/experiment.c \
	experiments/objective_grad.c experiments/objective_grad.h \
	experiments/runner.c experiments/runner_internal.h experiments/checkpoint.c \
	experiments/patch_dataset.c experiments/report.c experiments/stats.c experiments/plot.c \
	experiments/stats_compare.c experiments/plot_stats.c experiments/plot_heatmap.c \
	experiments/plot_internal.h \
	experiments/report_internal.h experiments/report_html.c experiments/report_tables.c \
	experiments/report_fixed.c experiments/report_time.c experiments/report_stats.c \
	experiments/report_verdict.c experiments/report_media.c \
	experiments/report_match.c experiments/report_load.c experiments/report_load.h \
	experiments/report_merge.c experiments/report_runfiles.c experiments/results_meta.c \
	experiments/results_read.c \
	experiments/results_meta.h
# The git commit of the source tree, for results.json: rewritten when it changes (empty
# outside a git checkout, "-dirty" with uncommitted changes). Read-only git commands.
nodist_experiments_libsm_experiments_la_SOURCES = experiments/sm_git_commit.h
CLEANFILES += experiments/sm_git_commit.h
experiments/results_meta.lo: experiments/sm_git_commit.h
experiments/sm_git_commit.h: sm-git-commit-check
	@:
sm-git-commit-check:
	@$(MKDIR_P) experiments; \
	c=`cd $(top_srcdir) && GIT_OPTIONAL_LOCKS=0 git rev-parse --short=12 HEAD 2>/dev/null`; \
	if test -n "$$c" && ! (cd $(top_srcdir) && GIT_OPTIONAL_LOCKS=0 git diff-index --quiet \
	  HEAD -- 2>/dev/null); then c="$$c-dirty"; fi; \
	echo "#define SM_GIT_COMMIT \"$$c\"" > experiments/sm_git_commit.h.tmp; \
	if cmp -s experiments/sm_git_commit.h.tmp experiments/sm_git_commit.h; then \
	  rm -f experiments/sm_git_commit.h.tmp; \
	else mv experiments/sm_git_commit.h.tmp experiments/sm_git_commit.h; fi
.PHONY: sm-git-commit-check
noinst_HEADERS += experiments/objective.h experiments/experiment.h experiments/runner.h \
	experiments/report.h experiments/stats.h experiments/plot.h
# The listening page of `soundmatch generate` and `soundmatch bank` (listen.h).
experiments_libsm_experiments_la_SOURCES += experiments/listen.c
noinst_HEADERS += experiments/listen.h

EXTRA_DIST += experiments/README.md experiments/quickstart.ini experiments/fm_2op.ini \
	experiments/fm_ops_1to6.ini experiments/dx7_factory.ini experiments/drums_hydrogen.ini \
	experiments/neuron_learn.ini experiments/real_notes.ini experiments/real_drums.ini \
	experiments/neuron_grad.ini experiments/fm6_grad.ini
check_PROGRAMS += tests/test_experiments tests/test_report tests/test_cli tests/test_stats
TESTS += tests/test_experiments tests/test_report tests/test_cli tests/test_stats
tests_test_stats_LDADD = $(SM_ALL_LDADD)
tests_test_experiments_LDADD = $(SM_ALL_LDADD)
tests_test_report_LDADD = $(SM_ALL_LDADD)
tests_test_cli_LDADD = $(SM_CORE_LDADD)
tests_test_cli_DEPENDENCIES = soundmatch

noinst_PROGRAMS += bench/bench_eval
SM_BENCHES += bench/bench_eval
bench_bench_eval_LDADD = $(SM_ALL_LDADD)

# MPI (./configure --with-mpi): the dispatcher of `mpirun soundmatch run`, and its test (which
# skips in a build without MPI). README, "Running on a cluster".
if SM_MPI
experiments_libsm_experiments_la_SOURCES += experiments/mpi_dispatch.c experiments/mpi_dispatch.h
AM_CPPFLAGS += $(MPI_CFLAGS)
SM_DEP_LIBS += $(MPI_LIBS)
endif
EXTRA_DIST += experiments/slurm_run.sh tests/test_mpi.sh .ci/mpi
TESTS += tests/test_mpi.sh
# The runner's dispatcher interface, without MPI.
check_PROGRAMS += tests/test_dispatch
TESTS += tests/test_dispatch
tests_test_dispatch_LDADD = $(SM_ALL_LDADD)

# Sound design by descriptors and morphs (design.h); the descriptor table of a match
# (report_descr.h) and the morph page (morph_page.h).
experiments_libsm_experiments_la_SOURCES += experiments/design.c experiments/morph_page.c \
	experiments/report_descr.c
noinst_HEADERS += experiments/design.h experiments/morph_page.h \
	experiments/report_descr.h
check_PROGRAMS += tests/test_design
TESTS += tests/test_design
tests_test_design_LDADD = $(SM_ALL_LDADD)
