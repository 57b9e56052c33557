/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_report.c: `soundmatch report`: the report of run folders, written again with this
 * version's code, or merged from several folders (shards, runs made on other machines). */
#include "cli/cli.h"
#include "core/fileio.h"
#include "experiments/report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const REPORT_HELP =
    "usage: soundmatch report RUN_DIR... [-o OUT] [OPTIONS]\n"
    "\n"
    "Write the report (index.html and media/) of the results of one or more run folders,\n"
    "the output folders of 'soundmatch run' (results.csv, results.json, runs/, targets/).\n"
    "With one folder and no -o, its report is written again in place with this version's\n"
    "code. With several, their runs are merged into OUT in the experiment's order, so the\n"
    "halves of an experiment give the report of the whole; OUT also receives the merged\n"
    "results.csv and results.json and the runs' files (hard links where possible). Folders\n"
    "that ran different experiment files (their fingerprints differ) are refused unless\n"
    "--force; a run found in two folders is always refused. A folder whose run is still\n"
    "going (no results.csv yet) gives the runs finished so far: with -o, while it runs.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   the report folder (required with several folders; it must not be\n"
    "                     one of them)\n"
    "  --force            merge folders whose experiment fingerprints differ\n"
    "  --match            write the page of one match, as 'soundmatch match' does\n"
    "  -q, --quiet        no message on success\n"
    "\n"
    "Exit status: 0 success, 1 bad input (a folder without results, different experiments,\n"
    "an unwritable output), 2 bad usage.\n";

int sm_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"force", no_argument, 0, 'f'},
        {"match", no_argument, 0, 'm'},        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    sm_report_options ro;
    const char *out = NULL;
    sm_dir_lock *lock = NULL;
    sm_error err = {0};
    int c, rc, quiet = 0, i, existed, empty;
    size_t n;
    memset(&ro, 0, sizeof ro);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(REPORT_HELP, stdout); return SM_EXIT_OK;
        case 'o': out = optarg; break;
        case 'f': ro.force = 1; break;
        case 'm': ro.match_page = 1; break;
        case 'q': quiet = 1; break;
        default:
            return sm_cli_usage("report", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return sm_cli_usage("report", "no run folder given");
    n = (size_t)(argc - optind);
    if (!out && n > 1) return sm_cli_usage("report", "give the merged report's folder with -o");
    for (i = optind; i < argc; i++)
        if (!sm_dir_exists(argv[i], &empty)) {
            sm_error_set(&err, SM_ERR_IO, "%s: no such folder", argv[i]);
            return sm_cli_fail("report", &err);
        }
    if (!out) out = argv[optind];
    existed = sm_dir_exists(out, &empty);
    if ((rc = sm_mkdir_p(out, &err)) != 0) return sm_cli_fail("report", &err);
    /* the folder may be a run folder: never write into one while a run writes it */
    rc = sm_dir_lock_take(out, "soundmatch report", &lock, &err);
    if (!rc) rc = sm_report_from_dirs((const char *const *)(argv + optind), n, out, &ro, &err);
    sm_dir_lock_release(lock);
    if (rc) {
        if (!existed) { /* no partial output: the folder this command made goes */
            sm_error keep = err;
            sm_remove_tree(out, 0, NULL);
            err = keep;
        }
        return sm_cli_fail("report", &err);
    }
    if (!quiet)
        fprintf(stderr, "soundmatch report: wrote %s/index.html (%zu run folder%s)\n", out, n,
                n == 1 ? "" : "s");
    return SM_EXIT_OK;
}
