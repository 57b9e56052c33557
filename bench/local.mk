# SPDX-License-Identifier: GPL-3.0-or-later
# bench/: benchmark driver. Each folder's local.mk declares its own bench programs.
EXTRA_DIST += bench/run.sh

# Not a benchmark but a measurement of the same kind: how the cost ranks candidates against
# the log-mel distance (features/README.md gives its figures). Built with `make bench`, run by hand.
noinst_PROGRAMS += bench/cost_ranking
bench_cost_ranking_LDADD = $(SM_ALL_LDADD)

# The spreads of the seven sound descriptors (features/descr_summary.c's published scales).
noinst_PROGRAMS += bench/descr_scales
bench_descr_scales_LDADD = datasets/libsm_datasets.la synths/libsm_synths.la synths/libsm_fm6.la \
	synths/libsm_drum.la synths/libsm_neuron.la $(SM_FEATURES_LDADD)
# The design search's settings on a tuning set of recordings.
noinst_PROGRAMS += bench/design_tune
bench_design_tune_LDADD = $(SM_ALL_LDADD)
# The exact gradient of the neuron voice against a render: time and memory.
noinst_PROGRAMS += bench/bench_grad
SM_BENCHES += bench/bench_grad
bench_bench_grad_LDADD = synths/libsm_synths.la synths/libsm_fm6.la synths/libsm_drum.la \
	synths/libsm_neuron.la $(SM_FEATURES_LDADD)
