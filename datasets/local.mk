# datasets/: target-set makers and bundled targets.
EXTRA_DIST += datasets/README.md
