# bench/: benchmark driver. Each folder's local.mk declares its own bench programs.
EXTRA_DIST += bench/run.sh

# Not a benchmark but a measurement of the same kind: how the cost ranks candidates against
# the log-mel distance (features/README.md gives its figures). Built with `make bench`, run by hand.
noinst_PROGRAMS += bench/cost_ranking
bench_cost_ranking_LDADD = $(SM_ALL_LDADD)
