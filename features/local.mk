# SPDX-License-Identifier: GPL-3.0-or-later
# features/: STFT, mel filterbank, MFCC, descriptors and the cost (owner: features).
noinst_LTLIBRARIES += features/libsm_features.la
features_libsm_features_la_SOURCES = features/stft.c features/stft.h features/mfcc.c \
	features/descriptors.c features/descr_summary.c features/descr_cost.c features/descr_cost.h \
	features/cost.c features/measure.c features/cost_grad.c features/cost_grad.h \
	features/analysis.c features/spectrogram.c
noinst_HEADERS += features/features.h features/cost_grad.h

check_PROGRAMS += tests/test_features_mfcc tests/test_features_descriptors tests/test_features_cost \
	tests/test_features_measure tests/test_features_analysis
TESTS += tests/test_features_mfcc tests/test_features_descriptors tests/test_features_cost \
	tests/test_features_measure tests/test_features_analysis
tests_test_features_mfcc_LDADD = $(SM_FEATURES_LDADD)
tests_test_features_descriptors_LDADD = $(SM_FEATURES_LDADD)
tests_test_features_cost_LDADD = $(SM_FEATURES_LDADD)
tests_test_features_measure_LDADD = $(SM_FEATURES_LDADD)
tests_test_features_analysis_LDADD = $(SM_FEATURES_LDADD)

noinst_PROGRAMS += bench/bench_mfcc
SM_BENCHES += bench/bench_mfcc
bench_bench_mfcc_LDADD = $(SM_FEATURES_LDADD)
# Golden frame values of the seven sound descriptors (librosa's formulas, computed by the script).
EXTRA_DIST += tests/data/descr_golden.py tests/data/descr_kick_44k.csv \
	tests/data/descr_chirp_noise_44k.csv tests/data/descr_tone_22k.csv
