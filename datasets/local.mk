# datasets/: target-set makers and bundled targets.
EXTRA_DIST += datasets/README.md
EXTRA_DIST += datasets/make_gm_set.sh datasets/evaluate_real.sh
EXTRA_DIST += datasets/make_targets.sh datasets/make_hydrogen_set.sh datasets/targets/pluck_220.wav datasets/targets/saw_220.wav \
	datasets/targets/bell_440.wav
EXTRA_DIST += datasets/make_gm_note.sh datasets/targets/trumpet_c4.wav datasets/targets/cello_g2.wav \
	datasets/targets/flute_a5.wav

# The rendered-voice index of human-made DX7 voices (presets.h): uses synths, features, core.
noinst_LTLIBRARIES += datasets/libsm_datasets.la
datasets_libsm_datasets_la_SOURCES = datasets/presets.c
nobase_pkginclude_HEADERS += datasets/presets.h
check_PROGRAMS += tests/test_datasets_presets
TESTS += tests/test_datasets_presets
tests_test_datasets_presets_LDADD = $(SM_ALL_LDADD)
noinst_PROGRAMS += bench/bench_presets
SM_BENCHES += bench/bench_presets
bench_bench_presets_LDADD = $(SM_ALL_LDADD)
