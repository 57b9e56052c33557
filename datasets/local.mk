# SPDX-License-Identifier: GPL-3.0-or-later
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
noinst_HEADERS += datasets/presets.h
# The timbre space of human DX7 voices and new voices drawn from it (timbre.h), what a voice
# sounds like and the garbage filter (voice_sound.h), kinds (voice_kinds.h), bank files and
# voice names (banks.h).
datasets_libsm_datasets_la_SOURCES += datasets/timbre.c datasets/generate.c \
	datasets/timbre_internal.h datasets/voice_sound.c datasets/voice_kinds.c datasets/banks.c
noinst_HEADERS += datasets/timbre.h datasets/voice_sound.h datasets/voice_kinds.h \
	datasets/banks.h
check_PROGRAMS += tests/test_datasets_timbre tests/test_datasets_voice tests/test_datasets_banks
TESTS += tests/test_datasets_timbre tests/test_datasets_voice tests/test_datasets_banks
tests_test_datasets_timbre_LDADD = $(SM_ALL_LDADD)
tests_test_datasets_voice_LDADD = $(SM_ALL_LDADD)
tests_test_datasets_banks_LDADD = $(SM_ALL_LDADD)
EXTRA_DIST += tests/dx7_check.h
# Speed and quality of `soundmatch generate` (README section "Making DX7 banks"); run by hand:
# bench/bench_generate ../shared/data/dx7/voices31380.bin [OUT_DIR]
noinst_PROGRAMS += bench/bench_generate
bench_bench_generate_LDADD = $(SM_ALL_LDADD)
check_PROGRAMS += tests/test_datasets_presets
TESTS += tests/test_datasets_presets
tests_test_datasets_presets_LDADD = $(SM_ALL_LDADD)
noinst_PROGRAMS += bench/bench_presets
SM_BENCHES += bench/bench_presets
bench_bench_presets_LDADD = $(SM_ALL_LDADD)
# The descriptor index (descr_index.h): patches by their seven sound descriptors, for design.
datasets_libsm_datasets_la_SOURCES += datasets/descr_index.c
noinst_HEADERS += datasets/descr_index.h
EXTRA_DIST += datasets/make_kit_set.sh datasets/evaluate_design.sh datasets/make_sf2_drums.sh
