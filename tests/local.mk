# tests/: shared test helpers. Each folder's local.mk declares its own test programs.
EXTRA_DIST += tests/test_util.h
