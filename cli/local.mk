# SPDX-License-Identifier: GPL-3.0-or-later
# cli/: the soundmatch command-line program, one file per group of subcommands.
bin_PROGRAMS += soundmatch
soundmatch_SOURCES = cli/cli.c cli/cli.h cli/commands.def cli/cli_audio.c \
	cli/cli_patch.c cli/cli_match.c cli/cli_analyse.c \
	cli/cli_bank.c cli/cli_generate.c cli/cli_design.c cli/cli_report.c
# Linked against the convenience libraries: a real executable (no libtool wrapper script),
# which starts faster; libsoundmatch is still built and installed for other programs.
soundmatch_LDADD = $(SM_LIBS) $(SM_DEP_LIBS)
# `generate`, `timbre` and the listening page of `bank` (cli/cli_generate.c).
check_PROGRAMS += tests/test_cli_generate tests/test_cli_report
TESTS += tests/test_cli_report
tests_test_cli_report_LDADD = $(SM_CORE_LDADD)
tests_test_cli_report_DEPENDENCIES = soundmatch
TESTS += tests/test_cli_generate
tests_test_cli_generate_LDADD = $(SM_ALL_LDADD)
tests_test_cli_generate_DEPENDENCIES = soundmatch
# where `soundmatch run NAME.ini` looks for an experiment that is not in the current folder
soundmatch_CPPFLAGS = $(AM_CPPFLAGS) -DSM_PKGDATADIR='"$(pkgdatadir)"'

# The man page, made at build time from the program's help texts: `soundmatch --help` and, in a
# COMMANDS section, each command's --help (cli/man-commands.sh).
man_MANS = soundmatch.1
soundmatch.1: soundmatch $(srcdir)/cli/man-commands.sh
	$(AM_V_GEN)$(SHELL) $(srcdir)/cli/man-commands.sh ./soundmatch >soundmatch.1.inc && \
	$(HELP2MAN) --no-info --no-discard-stderr --name='synthesizer sound matching' \
		--include=soundmatch.1.inc --output=$@.tmp ./soundmatch && mv $@.tmp $@ && rm -f soundmatch.1.inc
CLEANFILES += soundmatch.1 soundmatch.1.inc soundmatch.1.tmp

# Bash completion (commands and options read from the help texts).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = cli/completion/soundmatch
EXTRA_DIST += cli/man-commands.sh

# describe, design and morph from the command line.
check_PROGRAMS += tests/test_cli_design
TESTS += tests/test_cli_design
tests_test_cli_design_LDADD = $(SM_CORE_LDADD)
tests_test_cli_design_DEPENDENCIES = soundmatch
