# SPDX-License-Identifier: GPL-3.0-or-later
# synths/: the synth interface and registry, and one convenience library per backend.
noinst_LTLIBRARIES += synths/libsm_synths.la synths/libsm_fm6.la synths/libsm_drum.la \
	synths/libsm_neuron.la
synths_libsm_synths_la_SOURCES = synths/synth.c synths/synths.def
noinst_HEADERS += synths/synth.h synths/synths.def
EXTRA_DIST += synths/fm6.md

# fm6: DX7-compatible FM voice and DX7 sysex (owner: fm6).
synths_libsm_fm6_la_SOURCES = synths/fm6.c synths/fm6_grad.c synths/fm6_kernel.c synths/fm6_tables.c \
	synths/fm6_internal.h \
	synths/dx7_sysex.c
noinst_HEADERS += synths/fm6.h synths/dx7_sysex.h
SM_FM6_LDADD = synths/libsm_fm6.la $(SM_FEATURES_LDADD)
check_PROGRAMS += tests/test_synth_fm6 tests/test_synth_dx7_sysex
TESTS += tests/test_synth_fm6 tests/test_synth_dx7_sysex
tests_test_synth_fm6_LDADD = $(SM_FM6_LDADD)
tests_test_synth_dx7_sysex_LDADD = $(SM_FM6_LDADD)
noinst_PROGRAMS += bench/bench_fm6
SM_BENCHES += bench/bench_fm6
bench_bench_fm6_LDADD = $(SM_FM6_LDADD)

# drum: Microtonic-style drum voice and .mtpreset files (owner: drum).
synths_libsm_drum_la_SOURCES = synths/drum.c synths/mtpreset.c synths/mtpreset_write.c \
	synths/mtpreset_internal.h
noinst_HEADERS += synths/drum.h synths/mtpreset.h
EXTRA_DIST += synths/drum.md
SM_DRUM_LDADD = synths/libsm_drum.la $(SM_FEATURES_LDADD)
check_PROGRAMS += tests/test_synth_drum tests/test_synth_mtpreset
TESTS += tests/test_synth_drum tests/test_synth_mtpreset
tests_test_synth_drum_LDADD = $(SM_DRUM_LDADD)
tests_test_synth_mtpreset_LDADD = $(SM_DRUM_LDADD)
noinst_PROGRAMS += bench/bench_drum
SM_BENCHES += bench/bench_drum
bench_bench_drum_LDADD = $(SM_DRUM_LDADD)

# neuron: a network of artificial neurons as a voice (owner: neuron).
synths_libsm_neuron_la_SOURCES = synths/neuron.c synths/neuron_grad.c synths/neuron_internal.h
noinst_HEADERS += synths/neuron.h
EXTRA_DIST += synths/neuron.md
SM_NEURON_LDADD = synths/libsm_neuron.la $(SM_FEATURES_LDADD)
check_PROGRAMS += tests/test_synth_neuron
TESTS += tests/test_synth_neuron
tests_test_synth_neuron_LDADD = $(SM_NEURON_LDADD)
noinst_PROGRAMS += bench/bench_neuron
SM_BENCHES += bench/bench_neuron
bench_bench_neuron_LDADD = $(SM_NEURON_LDADD)

# Conformance of every registered synth (finite, deterministic, parameter space sane).
check_PROGRAMS += tests/test_synth_registry
TESTS += tests/test_synth_registry
tests_test_synth_registry_LDADD = $(SM_ALL_LDADD)
