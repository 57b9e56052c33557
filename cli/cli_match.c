/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_match.c: `soundmatch run` (an experiment file) and `soundmatch match`
 * (one target, built as an experiment in memory). */
#include "config.h"
#include "cli/cli.h"
#include "core/fileio.h"
#include "experiments/experiment.h"
#include "experiments/report.h"
#include "experiments/runner.h"
#include "synths/dx7_sysex.h"
#ifdef SM_HAVE_MPI
#include "experiments/mpi_dispatch.h"
#endif

#include <getopt.h>
#include <sched.h>
#include <inttypes.h>
#include <omp.h>
#include <sys/stat.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct {
    int tty, quiet;
    double last;
    size_t last_run;
    int ranks;            /* > 1: rank 0 of an MPI job, showing the whole job's progress */
} progress_state;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A progress line on stderr, redrawn at most 5 times a second, only on a terminal. */
static void show_progress(void *ctx, const sm_progress *p)
{
    progress_state *ps = ctx;
    double t = mono_s();
    char where[64];
    if (!ps->tty || ps->quiet) return;
    if (p->run == ps->last_run && p->evals < p->budget && t - ps->last < 0.2) return;
    ps->last = t;
    ps->last_run = p->run;
    if (ps->ranks > 1)   /* runs end out of order: how many are done, and the latest news */
        snprintf(where, sizeof where, "%zu/%zu done, %d ranks", p->n_done, p->n_runs, ps->ranks);
    else
        snprintf(where, sizeof where, "%zu/%zu", p->run, p->n_runs);
    fprintf(stderr, "\r\033[K[%s] %s  %s  seed %" PRIu64 ": %s%zu/%zu evals, best %.4g", where,
            p->target, p->optimizer, p->seed, p->skipped ? "done earlier, " : "",
            p->evals, p->budget, p->best);
    fflush(stderr);
}

static void end_progress(progress_state *ps)
{
    if (ps->tty && !ps->quiet && ps->last_run) fputs("\r\033[K", stderr);
}

/* Preparation (the preset index): a progress line on a terminal; warnings always. */
static void show_prep(void *ctx, const char *what, size_t done, size_t total)
{
    progress_state *ps = ctx;
    if (strncmp(what, "warning:", 8) == 0) {
        if (ps->tty && !ps->quiet) fputs("\r\033[K", stderr);
        fprintf(stderr, "soundmatch: %s\n", what);
        return;
    }
    if (!ps->tty || ps->quiet) return;
    fprintf(stderr, "\r\033[K%s: %zu/%zu", what, done, total);
    if (done >= total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* Sentences about targets (trimmed, padded, no pitch found): printed unless -q. */
static void show_warning(void *ctx, const char *msg)
{
    progress_state *ps = ctx;
    if (ps->quiet) return;
    if (ps->tty) fputs("\r\033[K", stderr);
    fprintf(stderr, "soundmatch: %s\n", msg);
}

static const char *const RUN_HELP =
    "usage: soundmatch run EXPERIMENT.ini [OPTIONS]\n"
    "\n"
    "Run every (target, optimizer, seed) of an experiment file, then write results.csv,\n"
    "results.json (how the results were made) and the report (index.html and media/) into\n"
    "the output folder. Finished runs are checkpointed: after an\n"
    "interruption (Ctrl-C), the same command resumes where it stopped. The format of\n"
    "experiment files is described in experiments/README.md.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   output folder (default: [report] dir, else report/NAME)\n"
    "  --threads N        evaluation threads, 0 for all cores (default: [run] threads,\n"
    "                     else all cores); results do not depend on it\n"
    "  --fresh            discard earlier results in the output folder\n"
    "  --no-report        write results.csv and results.json but no report\n"
    "                     ('soundmatch report DIR' writes it later)\n"
    "  --check            load and check the experiment file, then stop\n"
    "  -q, --quiet        no progress line\n";

#ifdef SM_HAVE_MPI
static const char *const RUN_HELP_MPI =
    "  --distribute MODE  how the ranks of an MPI job share the work: runs (each rank does\n"
    "                     whole runs, handed out as ranks finish) or population (runs one\n"
    "                     after another, each batch shared out); default [run] distribute,\n"
    "                     else runs. Results do not depend on it.\n"
    "\n"
    "Started by mpirun, mpiexec or srun (mpirun -n N soundmatch run FILE.ini), every rank\n"
    "reads the experiment file and rank 0 alone writes results.csv and the report; the output\n"
    "folder must be one that every rank sees. Each rank scores on its own threads (--threads,\n"
    "else its share of the cores). README, \"Running on a cluster\".\n";

/* 1 when an MPI launcher started this process (Open MPI's mpirun, a PMI or PMIx launcher
 * such as srun or MPICH's mpiexec). */
static int started_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE", NULL};
    int i;
    for (i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}
#else
/* A build without MPI started by mpirun with several ranks would run the whole experiment
 * once per rank, all into one folder: refused. */
static int refuse_mpi_launch(void)
{
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n) n = getenv("PMI_SIZE");
    if (!n || atoi(n) <= 1) return 0;
    fprintf(stderr, "soundmatch run: started as one of %d MPI ranks, but this soundmatch was "
                    "built without MPI (./configure --with-mpi): each rank would run the whole "
                    "experiment\n", atoi(n));
    return SM_EXIT_USAGE;
}
#endif

/* --check: what the file asks for. */
static void print_check(const char *file, const sm_experiment *e)
{
    printf("%s: %zu targets x %zu optimizers x %zu seeds = %zu runs of %zu evaluations; "
           "%s with %zu free parameters\n",
           file, e->n_targets, e->n_opt, e->n_seeds, e->n_targets * e->n_opt * e->n_seeds,
           e->budget, e->synth->name, e->view->space.n);
}

/* What sm_experiment_run's result means for the user; the exit status. */
static int run_outcome(int rc, const sm_experiment *e, const sm_run_options *o,
                       const progress_state *ps, const sm_error *err)
{
    const char *dir = o->out_dir ? o->out_dir : e->report_dir;
    if (rc == SM_ERR_INTERRUPTED) {
        if (ps->ranks > 1)   /* a signal to rank 0: from the user, the scheduler, or mpirun
                                ending the job because a rank ended */
            fprintf(stderr, "soundmatch run: %s (a signal, or a rank that ended); finished runs "
                            "are kept in %s. Run the same command again, with any number of "
                            "ranks, to resume.\n",
                    strncmp(err->msg, "rank ", 5) == 0 ? err->msg : "interrupted", dir);
        else
            fprintf(stderr, "soundmatch run: interrupted; finished runs are kept in %s. Run the "
                            "same command again to resume.\n", dir);
        return SM_EXIT_INPUT;
    }
    if (rc) return sm_cli_fail("run", err);
    if (!ps->quiet)
        fprintf(stderr, "soundmatch run: wrote %s/results.csv%s\n", dir,
                o->no_report ? "" : " and index.html");
    return SM_EXIT_OK;
}

#ifdef SM_HAVE_MPI
/* Evaluation threads of a rank when neither --threads, [run] threads nor OMP_NUM_THREADS
 * says: this node's cores shared out among its ranks, at most the cores the launcher lets
 * this rank run on (one, when it binds each rank to a core). Collective over comm. */
static int rank_threads(MPI_Comm comm)
{
    MPI_Comm node;
    cpu_set_t set;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int local = 1, allowed, t;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &local);
    MPI_Comm_free(&node);
    if (cores < 1) cores = 1;
    allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : (int)cores;
    t = (int)(cores / local);
    if (t > allowed) t = allowed;
    return t < 1 ? 1 : t;
}

/* `soundmatch run` as one rank of an MPI job: rank 0 runs the experiment with the MPI
 * dispatcher and alone talks to the user; the other ranks serve it. e is NULL when this rank
 * could not load the file (load_err says why). Frees e, finalises MPI; the exit status. */
static int run_mpi(const char *file, sm_experiment *e, const sm_error *load_err,
                   sm_run_options *o, progress_state *ps, int check, int distribute)
{
    sm_error err = {0};
    int rank, size, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rc = sm_mpi_agree(MPI_COMM_WORLD, e, &err);
    if (!rc) {
        const int t = rank_threads(MPI_COMM_WORLD);   /* (on every rank: collective) */
        const char *omp = getenv("OMP_NUM_THREADS");
        if (o->threads <= 0 && e->threads <= 0 && !(omp && *omp)) o->threads = t;
    }
    if (rc) {
        rc = rank == 0 ? sm_cli_fail("run", e ? &err : load_err) : SM_EXIT_INPUT;
    } else if (check) {
        if (rank == 0) print_check(file, e);
        rc = SM_EXIT_OK;
    } else if (rank == 0) {
        sm_dispatch d;
        sm_mpi_root *root;
        install_signals();
        root = sm_mpi_root_new(MPI_COMM_WORLD,
                               distribute >= 0 ? (sm_distribute)distribute : e->distribute,
                               &stop_flag, &d, &err);
        ps->tty = sm_cli_tty();
        ps->ranks = size;
        o->progress = show_progress;
        o->progress_ctx = ps;
        o->warn = show_warning;
        o->warn_ctx = ps;
        o->prep_progress = show_prep;
        o->stop = &stop_flag;
        o->dispatch = &d;
        rc = root ? sm_experiment_run(e, o, &err) : err.code;
        end_progress(ps);
        rc = run_outcome(rc, e, o, ps, &err);   /* said before anything can hang on a lost rank */
        sm_mpi_root_free(root);                 /* the other ranks are released */
    } else {
        /* rank 0 says what failed; a rank that was only stopped ends well, so that the
         * launcher waits for rank 0's word */
        install_signals();
        o->stop = &stop_flag;
        rc = sm_mpi_serve(MPI_COMM_WORLD, e, o, &err);
        rc = rc && rc != SM_ERR_INTERRUPTED ? SM_EXIT_INPUT : SM_EXIT_OK;
    }
    sm_experiment_free(e);
    MPI_Finalize();
    return rc;
}
#endif

/* Progress, notes and Ctrl-C for a run started from the terminal (run and match alike). */
static void attach_terminal(sm_run_options *o, progress_state *ps)
{
    ps->tty = sm_cli_tty();
    o->progress = show_progress;
    o->progress_ctx = ps;
    o->warn = show_warning;
    o->warn_ctx = ps;
    o->prep_progress = show_prep;
    o->stop = &stop_flag;
    install_signals();
}

int sm_cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'}, {"threads", required_argument, 0, 't'},
        {"fresh", no_argument, 0, 'f'},        {"no-report", no_argument, 0, 'n'},
        {"check", no_argument, 0, 'c'},        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
#ifdef SM_HAVE_MPI
        {"distribute", required_argument, 0, 'D'},
#endif
        {0, 0, 0, 0}};
    sm_run_options o;
    progress_state ps;
    sm_experiment *e;
    sm_error err = {0};
    double v;
    int c, rc, check = 0;
#ifdef SM_HAVE_MPI
    int distribute = -1, mpi;
#endif
    memset(&o, 0, sizeof o);
    memset(&ps, 0, sizeof ps);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(RUN_HELP, stdout);
#ifdef SM_HAVE_MPI
            fputs(RUN_HELP_MPI, stdout);
#endif
            printf("\nAn experiment file that is not in the current folder, given by its name alone, is\n"
                   "looked for among the installed examples: %s/experiments (first_match.ini\n"
                   "needs nothing else; quickstart.ini also needs the shared data folder).\n",
                   SM_PKGDATADIR);
            return SM_EXIT_OK;
        case 'o': o.out_dir = optarg; break;
        case 't':
            if ((rc = sm_cli_number("run", "--threads", optarg, 0, 256, &v))) return rc;
            o.threads = v > 0 ? (int)v : omp_get_max_threads(); /* 0: all cores, as in INI files */
            break;
        case 'f': o.fresh = 1; break;
        case 'n': o.no_report = 1; break;
        case 'c': check = 1; break;
        case 'q': ps.quiet = 1; break;
#ifdef SM_HAVE_MPI
        case 'D':
            if (strcmp(optarg, "runs") == 0) distribute = SM_DISTRIBUTE_RUNS;
            else if (strcmp(optarg, "population") == 0) distribute = SM_DISTRIBUTE_POPULATION;
            else return sm_cli_usage("run", "--distribute is runs or population, not '%s'", optarg);
            break;
#endif
        default: return sm_cli_usage("run", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return sm_cli_usage("run", optind >= argc ? "no experiment file given" : "give one experiment file");
#ifdef SM_HAVE_MPI
    /* MPI from here on when a launcher started this process (OpenMP threads never call MPI) */
    if ((mpi = started_by_mpi())) {
        int provided;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
            fprintf(stderr, "soundmatch run: MPI could not start\n");
            return SM_EXIT_INPUT;
        }
    }
#else
    if ((rc = refuse_mpi_launch())) return rc;
#endif
    {
        /* a bare name not found here: the installed examples */
        char *path = argv[optind], example[4096];
        if (!strchr(path, '/') && access(path, F_OK) != 0) {
            snprintf(example, sizeof example, "%s/experiments/%s", SM_PKGDATADIR, path);
            if (access(example, R_OK) == 0) path = example;
        }
        e = sm_experiment_load(path, &err);
    }
#ifdef SM_HAVE_MPI
    if (mpi) return run_mpi(argv[optind], e, &err, &o, &ps, check, distribute);
#endif
    if (!e) return sm_cli_fail("run", &err);
    if (check) {
        print_check(argv[optind], e);
        sm_experiment_free(e);
        return SM_EXIT_OK;
    }
    attach_terminal(&o, &ps);
    rc = sm_experiment_run(e, &o, &err);
    end_progress(&ps);
    rc = run_outcome(rc, e, &o, &ps, &err);
    sm_experiment_free(e);
    return rc;
}

static const char *const MATCH_HELP =
    "usage: soundmatch match TARGET.wav [OPTIONS] -o DIR\n"
    "\n"
    "Match one recording: find the synth patch that sounds closest to TARGET (any format\n"
    "libsndfile reads; mixed to mono and resampled as needed), then write into DIR:\n"
    "  best.wav     the match, rendered at the target's level\n"
    "  best.syx     the patch as a DX7 single-voice dump (fm6; .mtpreset for drum)\n"
    "  best-bank.syx  fm6: the same voice as a 32-voice bank (voice 1; the rest INIT VOICE),\n"
    "               the 4,104-byte file Dexed's file loader opens\n"
    "  trace.csv    the best cost after each improvement (evals,best_cost,seconds)\n"
    "  results.csv  the match and the closest preset: cost, log-mel distance, loudness\n"
    "  index.html   a page with the spectrograms and players of target, match and closest\n"
    "               preset, the patch in words and how to load it (media/ beside it)\n"
    "\n"
    "By default the target is analysed first: its pitch gives the note, what comes before\n"
    "its onset is dropped, and it is matched until it has died away (at most 3 s). The\n"
    "search starts from the human presets that sound closest (fm6: the 31,380 voices of\n"
    "voices31380.bin, indexed once into the user's cache folder), and the patch's output\n"
    "level is fitted to the target's at the end.\n"
    "\n"
    "Options:\n"
    "  --synth NAME       fm6 (default); one of {synths}\n"
    "  --optimizer NAME   ga (default); one of {optimizers}\n"
    "  --budget N         evaluations (default 20000 for fm6, 10000 for drum and neuron)\n"
    "  --seed N           random seed (default 1)\n"
    "  --threads N        evaluation threads (default 0: all cores)\n"
    "  --note N|auto      MIDI note of the target (default auto: from its pitch)\n"
    "  --length S|auto    seconds of the target to match (default auto)\n"
    "  --gate S           seconds the key is held (default 0.75 x length)\n"
    "  --sr HZ            sample rate to match at (default 44100)\n"
    "  --prior FILE       presets to start from (fm6: a .syx bank or voices31380.bin; drum:\n"
    "                     a .mtpreset); default: $SOUNDMATCH_PRESETS, else\n"
    "                     ../shared/data/dx7/voices31380.bin (fm6) or\n"
    "                     ../shared/data/microtonic/default.mtpreset (drum) if present\n"
    "  --no-prior         start from random points\n"
    "  --starts N         presets handed to the optimizer (default 32)\n"
    "  --candidates N     presets the index shortlists and the cost scores (default 256)\n"
    "  --cost NAME        match (default: gain-normalised MFCC plus level) or mfcc\n"
    "  --phase zero|random  oscillators without key sync start at phase 0 as in Dexed\n"
    "                     (default), or at random phases\n"
    "  --patch SPEC       start from this patch (FILE:N); frozen parameters keep its values\n"
    "  --free LIST        search only these parameters (globs: 'op1_*, op2_*'); default all\n"
    "  --freeze LIST      keep these fixed ('algorithm=5, feedback')\n"
    "  -o, --output DIR   output folder (required); a folder that holds an earlier\n"
    "                     match is refused unless --fresh\n"
    "  --fresh            replace the earlier match in DIR\n"
    "  -q, --quiet        no progress line and no notes\n";

/* drum: the shared folder holds two preset files of 8 patches each; both are the prior
 * ("A, B", as [prior] dataset takes lists). Takes and returns a new string. */
static char *with_sibling(char *path, const char *synth)
{
    char *both = NULL, *slash;
    if (!path || strcmp(synth, "drum") != 0 || !(slash = strrchr(path, '/'))) return path;
    if (asprintf(&both, "%s, %.*s/supertonic_default.mtpreset", path, (int)(slash - path), path) < 0)
        return path;
    {
        char *second = strchr(both, ',') + 2;
        if (access(second, R_OK) != 0) {
            free(both);
            return path;
        }
    }
    free(path);
    return both;
}

/* The presets `match` starts from when --prior is not given: $SOUNDMATCH_PRESETS, else the
 * synth's presets in the shared data folder (sm_cli_shared_file). A new string, or NULL. */
static char *default_prior(const char *synth)
{
    const char *rel = strcmp(synth, "fm6") == 0    ? "dx7/voices31380.bin"
                      : strcmp(synth, "drum") == 0 ? "microtonic/default.mtpreset"
                                                   : NULL;
    const char *env = getenv("SOUNDMATCH_PRESETS");
    char *path;
    if (env && *env) return realpath(env, NULL);
    if (!rel || !(path = sm_cli_shared_file(rel))) return NULL;
    return with_sibling(path, synth);
}

/* fm6: the matched voice also as a 32-voice bank (voice 1, the other 31 INIT VOICE), the
 * 4,104-byte file that Dexed's file loader and a DX7's cartridge dump take. */
static int write_voice_bank(const char *single, const char *bank_path, sm_error *err)
{
    sm_dx7_voice v[32];
    int rc, i;
    for (i = 1; i < 32; i++) sm_dx7_voice_init(&v[i]);
    rc = sm_dx7_load_voice(single, &v[0], err);
    if (rc) return rc;
    return sm_dx7_write_bank(bank_path, v, 32, err);
}

/* Copies one file all-or-nothing. */
static int copy_file(const char *from, const char *to, sm_error *err)
{
    unsigned char *d;
    size_t n;
    int rc = sm_read_file(from, 0, &d, &n, err);
    if (rc) return rc;
    rc = sm_write_file(to, d, n, err);
    free(d);
    return rc;
}

/* Reads the match's and the closest preset's rows of DIR/results.csv and prints them: the
 * cost, the log-mel distance and the loudness difference (../shared/MEASURES.md). */
static void print_summary(const char *out, const char *optname)
{
    FILE *f;
    char line[1024], path[4096];
    snprintf(path, sizeof path, "%s/results.csv", out);
    f = fopen(path, "r");
    if (!f) return;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char *field[16], *rest = line, *tok;
        int k = 0;
        line[strcspn(line, "\n")] = '\0';
        while (k < 16 && (tok = strsep(&rest, ",")) != NULL) field[k++] = tok;
        if (k < 16) continue;  /* rows have 16 fields (some may be empty) */
        fprintf(stderr, "soundmatch match: %-8s cost %s, log-mel distance %s dB, loudness %s dB%s\n",
                strcmp(field[1], optname) == 0 ? "match" : "preset", field[3], field[12],
                field[13], strcmp(field[1], optname) == 0 ? "" : " (the closest human preset)");
    }
    fclose(f);
}

/* --free and --freeze checked against the synth's parameters before the experiment is built,
 * so that a bad glob is reported as the option the user wrote. */
static int check_options_view(const char *synth, const char *free_list, const char *freeze)
{
    sm_param_view *view = sm_param_view_alloc(sm_synth_find(synth)->space);
    sm_error err = {0};
    int rc = 0;
    if (!view) return SM_EXIT_INPUT;
    if (free_list && sm_view_apply_free(view, free_list, &err) != 0)
        rc = sm_cli_usage("match", "--free '%s': %s", free_list, sm_error_text(&err));
    else if (freeze && sm_view_apply_freeze(view, freeze, &err) != 0)
        rc = sm_cli_usage("match", "--freeze '%s': %s", freeze, sm_error_text(&err));
    else if (view->space.n == 0)
        rc = sm_cli_usage("match", "--free/--freeze leave no parameter to search");
    sm_param_view_free(view);
    return rc;
}

/* A folder that already holds a match (its results or its experiment) is kept unless --fresh,
 * as `run` keeps earlier results. */
static int check_earlier_match(const char *out)
{
    static const char *const marks[] = {"results.csv", "experiment.ini", "best.wav", NULL};
    int k;
    for (k = 0; marks[k]; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out, marks[k]);
        if (access(path, F_OK) == 0) {
            fprintf(stderr, "soundmatch match: %s already holds a match (%s); give --fresh to "
                            "replace it, or another folder with -o\n", out, marks[k]);
            return SM_EXIT_INPUT;
        }
    }
    return 0;
}

int sm_cmd_match(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"synth", required_argument, 0, 'y'},   {"optimizer", required_argument, 0, 'O'},
        {"budget", required_argument, 0, 'b'},  {"seed", required_argument, 0, 'e'},
        {"threads", required_argument, 0, 't'}, {"note", required_argument, 0, 'n'},
        {"length", required_argument, 0, 'l'},  {"gate", required_argument, 0, 'g'},
        {"sr", required_argument, 0, 'r'},      {"patch", required_argument, 0, 'P'},
        {"free", required_argument, 0, 'F'},    {"freeze", required_argument, 0, 'Z'},
        {"output", required_argument, 0, 'o'},  {"quiet", no_argument, 0, 'q'},
        {"prior", required_argument, 0, 'R'},   {"no-prior", no_argument, 0, 'N'},
        {"starts", required_argument, 0, 'S'},  {"cost", required_argument, 0, 'C'},
        {"phase", required_argument, 0, 'H'},   {"help", no_argument, 0, 'h'},
        {"candidates", required_argument, 0, 'K'}, {"fresh", no_argument, 0, 'f'},
        {0, 0, 0, 0}};
    const char *synth = "fm6", *optname = "ga", *patch = NULL, *free_list = NULL,
               *freeze = NULL, *out = NULL, *prior_arg = NULL, *cost = "match", *phase = "zero";
    double budget = -1, seed = 1, threads = 0, note = -1, length = -1, gate = -1, sr = 44100,
           starts = 32, candidates = 256;
    char *text = NULL, *abs_target = NULL, *abs_patch = NULL, *prior = NULL;
    int no_prior = 0, fresh = 0;
    sm_experiment *e;
    sm_run_options o;
    progress_state ps;
    sm_error err = {0};
    int c, rc;
    size_t len;
    FILE *mem;
    memset(&ps, 0, sizeof ps);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': return sm_cli_help(MATCH_HELP);
        case 'y': synth = optarg; break;
        case 'O': optname = optarg; break;
        case 'b': if ((rc = sm_cli_number("match", "--budget", optarg, 1, 1e8, &budget))) return rc; break;
        case 'e': if ((rc = sm_cli_number("match", "--seed", optarg, 0, 1e12, &seed))) return rc; break;
        case 't': if ((rc = sm_cli_number("match", "--threads", optarg, 0, 256, &threads))) return rc; break;
        case 'n':
            if (strcmp(optarg, "auto") == 0) note = -1;
            else if ((rc = sm_cli_number("match", "--note", optarg, 0, 127, &note))) return rc;
            break;
        case 'l':
            if (strcmp(optarg, "auto") == 0) length = -1;
            else if ((rc = sm_cli_number("match", "--length", optarg, 0.01, 60, &length))) return rc;
            break;
        case 'g': if ((rc = sm_cli_number("match", "--gate", optarg, 0, 60, &gate))) return rc; break;
        case 'r': if ((rc = sm_cli_number("match", "--sr", optarg, 8000, 192000, &sr))) return rc; break;
        case 'S': if ((rc = sm_cli_number("match", "--starts", optarg, 1, 4096, &starts))) return rc; break;
        case 'K': if ((rc = sm_cli_number("match", "--candidates", optarg, 1, 100000, &candidates))) return rc; break;
        case 'P': patch = optarg; break;
        case 'F': free_list = optarg; break;
        case 'Z': freeze = optarg; break;
        case 'o': out = optarg; break;
        case 'q': ps.quiet = 1; break;
        case 'R': prior_arg = optarg; break;
        case 'N': no_prior = 1; break;
        case 'f': fresh = 1; break;
        case 'C':
            if (strcmp(optarg, "match") != 0 && strcmp(optarg, "mfcc") != 0)
                return sm_cli_usage("match", "--cost is match or mfcc, not '%s'", optarg);
            cost = optarg;
            break;
        case 'H':
            if (strcmp(optarg, "zero") != 0 && strcmp(optarg, "random") != 0)
                return sm_cli_usage("match", "--phase is zero or random, not '%s'", optarg);
            phase = optarg;
            break;
        default: return sm_cli_usage("match", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return sm_cli_usage("match", optind >= argc ? "no target file given" : "give one target file");
    if (!out) return sm_cli_usage("match", "no output folder: give -o DIR");
    if (!sm_synth_find(synth)) {
        char names[256];
        return sm_cli_usage("match", "unknown synth '%s' (known: %s)", synth,
                            sm_synth_names(names, sizeof names));
    }
    if (!sm_optimizer_find(optname)) return sm_cli_usage("match", "unknown optimizer '%s'", optname);
    /* about 30 s for a 1.5 s note on two cores, index build and all (README, Results) */
    if (budget < 0) budget = strcmp(synth, "fm6") == 0 ? 20000 : 10000;
    {
        struct stat st;
        if (stat(argv[optind], &st) != 0 || access(argv[optind], R_OK) != 0) {
            sm_error_set(&err, SM_ERR_IO, "%s: cannot open the target", argv[optind]);
            return sm_cli_fail("match", &err);
        }
        if (S_ISDIR(st.st_mode)) {
            sm_error_set(&err, SM_ERR_IO, "%s: is a folder; give one audio file (for a folder "
                         "of targets, write an experiment file with [target] folder =)", argv[optind]);
            return sm_cli_fail("match", &err);
        }
    }
    if ((rc = check_options_view(synth, free_list, freeze))) return rc;
    if (!fresh && (rc = check_earlier_match(out))) return rc;
    if (prior_arg && no_prior) return sm_cli_usage("match", "give --prior or --no-prior, not both");
    if (prior_arg) {
        prior = realpath(prior_arg, NULL);
        if (!prior) {
            sm_error_set(&err, SM_ERR_IO, "%s: cannot open the presets file", prior_arg);
            return sm_cli_fail("match", &err);
        }
    } else if (!no_prior) {
        prior = default_prior(synth);
        if (!prior && !ps.quiet && sm_synth_find(synth)->patch_load_all)
            fprintf(stderr, "soundmatch match: no presets found to start from (give --prior FILE, "
                            "or set SOUNDMATCH_PRESETS); searching from random points\n");
    }
    if (!prior && strcmp(optname, "retrieve") == 0) {
        free(prior);
        return sm_cli_usage("match", "--optimizer retrieve needs presets: give --prior FILE");
    }
    abs_target = realpath(argv[optind], NULL);
    if (patch) {
        /* FILE:N keeps its suffix; resolve the file part */
        const char *colon = strrchr(patch, ':');
        char *file = colon ? strndup(patch, (size_t)(colon - patch)) : strdup(patch);
        char *rp = file ? realpath(file, NULL) : NULL;
        if (!rp) {
            sm_error_set(&err, SM_ERR_IO, "%s: cannot open the patch file", file ? file : patch);
            free(file);
            free(abs_target);
            free(prior);
            return sm_cli_fail("match", &err);
        }
        if (asprintf(&abs_patch, "%s%s", rp, colon ? colon : "") < 0) abs_patch = NULL;
        free(rp);
        free(file);
    }
    /* The one-target experiment, written as an experiment file would be. */
    mem = open_memstream(&text, &len);
    if (!mem || !abs_target) {
        free(abs_target);
        free(abs_patch);
        free(prior);
        return SM_EXIT_INPUT;
    }
    fprintf(mem, "[experiment]\nname = match\n[target]\nfiles = %s\nsample_rate = %g\n", abs_target, sr);
    fprintf(mem, "[synth]\nname = %s\nphase = %s\n", synth, phase);
    if (note >= 0) fprintf(mem, "note = %g\n", note);
    else fprintf(mem, "note = auto\n");
    if (length > 0) fprintf(mem, "length_s = %g\n", length);
    else fprintf(mem, "length_s = auto\n");
    if (gate >= 0) fprintf(mem, "gate_s = %g\n", gate);
    if (abs_patch) fprintf(mem, "patch = %s\n", abs_patch);
    if (free_list) fprintf(mem, "free = %s\n", free_list);
    if (freeze) fprintf(mem, "freeze = %s\n", freeze);
    fprintf(mem, "[cost]\npreset = %s\n", cost);
    if (prior)
        fprintf(mem, "[prior]\ndataset = %s\nstarts = %.0f\ncandidates = %.0f\n", prior, starts,
                candidates);
    fprintf(mem, "[optimizer %s]\n", optname);
    /* From human presets, small first steps: at halving's general default (0.1 of every range
     * at once) nearly every sample is worse than the preset it started from (features/README.md) */
    if (strcmp(optname, "halving") == 0 && prior) fprintf(mem, "sigma = 0.02\n");
    /* the closest preset, for comparison (it costs `starts` evaluations) */
    if (prior && strcmp(optname, "retrieve") != 0) fprintf(mem, "[optimizer preset]\ntype = retrieve\n");
    fprintf(mem, "[run]\nbudget = %.0f\nseeds = %.0f\nthreads = %.0f\n", budget, seed, threads);
    fclose(mem);
    free(abs_target);
    free(abs_patch);
    free(prior);
    e = sm_experiment_parse(text, "match", &err);
    free(text);
    if (!e) return sm_cli_fail("match", &err);
    memset(&o, 0, sizeof o);
    o.out_dir = out;
    o.fresh = fresh;
    o.all_notes = 1;
    o.no_report = 1; /* the page of one match is written below, once the files are in place */
    attach_terminal(&o, &ps);
    rc = sm_experiment_run(e, &o, &err);
    end_progress(&ps);
    if (!rc) {
        /* the run's files, at the top of DIR */
        const char *names[] = {"best.wav", "trace.csv", NULL, NULL};
        char from[4096], to[4096], patchname[32];
        int k;
        if (e->synth->patch_ext) {
            snprintf(patchname, sizeof patchname, "best%s", e->synth->patch_ext);
            names[2] = patchname;
        }
        for (k = 0; names[k] && !rc; k++) {
            snprintf(from, sizeof from, "%s/runs/%s/%s/seed%.0f/%s", out, e->targets[0].name,
                     optname, seed, names[k]);
            snprintf(to, sizeof to, "%s/%s", out, names[k]);
            rc = copy_file(from, to, &err);
        }
        if (!rc && e->synth == &sm_synth_fm6) {
            snprintf(from, sizeof from, "%s/best.syx", out);
            snprintf(to, sizeof to, "%s/best-bank.syx", out);
            rc = write_voice_bank(from, to, &err);
        }
        if (!rc) {
            const sm_report_options ro = {0, 1}; /* the match's own page */
            const char *dirs[1] = {out};
            rc = sm_report_from_dirs(dirs, 1, out, &ro, &err);
        }
    }
    if (rc) {
        sm_experiment_free(e);
        return rc == SM_ERR_INTERRUPTED ? (fprintf(stderr, "soundmatch match: interrupted\n"), SM_EXIT_INPUT)
                                        : sm_cli_fail("match", &err);
    }
    if (!ps.quiet) {
        print_summary(out, optname);
        fprintf(stderr, "soundmatch match: wrote %s/best.wav%s%s and %s/index.html\n", out,
                e->synth->patch_ext ? " and best" : "", e->synth->patch_ext ? e->synth->patch_ext : "",
                out);
    }
    sm_experiment_free(e);
    return SM_EXIT_OK;
}
