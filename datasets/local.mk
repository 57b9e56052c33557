# datasets/: target-set makers and bundled targets.
EXTRA_DIST += datasets/README.md
EXTRA_DIST += datasets/make_targets.sh datasets/make_hydrogen_set.sh datasets/targets/pluck_220.wav datasets/targets/saw_220.wav \
	datasets/targets/bell_440.wav
