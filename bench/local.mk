# bench/: benchmark driver. Each folder's local.mk declares its own bench programs.
EXTRA_DIST += bench/run.sh
