# cli/: the soundmatch command-line program, one file per group of subcommands.
bin_PROGRAMS += soundmatch
soundmatch_SOURCES = cli/cli.c cli/cli.h cli/cli_audio.c \
	cli/cli_patch.c cli/cli_match.c cli/cli_analyse.c \
	cli/cli_bank.c
# Linked against the convenience libraries: a real executable (no libtool wrapper script),
# which starts faster; libsoundmatch is still built and installed for other programs.
soundmatch_LDADD = $(SM_LIBS) $(SM_DEP_LIBS)
