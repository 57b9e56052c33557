/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli/cli_audio.c: `soundmatch features` and `soundmatch info` for audio files. */
#include "cli/cli.h"
#include "core/audio.h"
#include "core/fileio.h"
#include "features/features.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const FEATURES_HELP =
    "usage: soundmatch features FILE [OPTIONS]\n"
    "\n"
    "Print the MFCC matrix of an audio file as CSV: one row per frame, one column per\n"
    "coefficient (c0 first). The defaults are librosa 0.11's, and the values agree with it.\n"
    "\n"
    "Options:\n"
    "  --n-mfcc N      coefficients kept (default 20)\n"
    "  --n-fft N       FFT and window length (default 2048)\n"
    "  --hop N         hop length in samples (default 512)\n"
    "  --n-mels N      mel bands (default 128)\n"
    "  --sr HZ         resample to this rate first (default: the file's own rate)\n"
    "  --fmin HZ       lowest filterbank frequency (default 0)\n"
    "  --fmax HZ       highest filterbank frequency (default sr/2)\n"
    "  --htk           HTK mel scale instead of Slaney's\n"
    "  --top-db DB     dB floor below the maximum (default 80; 0 for none)\n"
    "  -o, --output F  write the CSV to F (all-or-nothing) instead of standard output\n"
    "  -h, --help      this help\n";

int sm_cmd_features(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"n-mfcc", required_argument, 0, 'c'}, {"n-fft", required_argument, 0, 'f'},
        {"hop", required_argument, 0, 'p'},    {"n-mels", required_argument, 0, 'm'},
        {"sr", required_argument, 0, 's'},     {"fmin", required_argument, 0, 'l'},
        {"fmax", required_argument, 0, 'u'},   {"htk", no_argument, 0, 'k'},
        {"top-db", required_argument, 0, 't'}, {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    double v, sr = 0, fmin = 0, fmax = 0, top_db = 80;
    int n_mfcc = 20, n_fft = 2048, hop = 512, n_mels = 128, htk = 0, c, rc;
    const char *out = NULL, *path;
    sm_audio a;
    sm_audio_info ainfo;
    sm_error err = {0};
    sm_mfcc_config cfg;
    sm_mfcc *m;
    double *mf;
    size_t frames, i;
    int j;
    FILE *f = stdout;
    sm_outfile of;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(FEATURES_HELP, stdout); return SM_EXIT_OK;
        case 'c': if ((rc = sm_cli_number("features", "--n-mfcc", optarg, 1, 128, &v))) return rc; n_mfcc = (int)v; break;
        case 'f': if ((rc = sm_cli_number("features", "--n-fft", optarg, 16, 65536, &v))) return rc; n_fft = (int)v; break;
        case 'p': if ((rc = sm_cli_number("features", "--hop", optarg, 1, 65536, &v))) return rc; hop = (int)v; break;
        case 'm': if ((rc = sm_cli_number("features", "--n-mels", optarg, 1, 512, &v))) return rc; n_mels = (int)v; break;
        case 's': if ((rc = sm_cli_number("features", "--sr", optarg, 1000, 384000, &sr))) return rc; break;
        case 'l': if ((rc = sm_cli_number("features", "--fmin", optarg, 0, 192000, &fmin))) return rc; break;
        case 'u': if ((rc = sm_cli_number("features", "--fmax", optarg, 0, 192000, &fmax))) return rc; break;
        case 't': if ((rc = sm_cli_number("features", "--top-db", optarg, 0, 1000, &top_db))) return rc; break;
        case 'k': htk = 1; break;
        case 'o': out = optarg; break;
        default:
            return sm_cli_usage("features", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return sm_cli_usage("features", optind >= argc ? "no audio file given" : "give one audio file");
    path = argv[optind];
    if (sm_audio_read(path, sr, &a, &ainfo, &err) != 0) return sm_cli_fail("features", &err);
    if (ainfo.warning[0]) sm_cli_warn("features", ainfo.warning);
    cfg = sm_mfcc_config_default(a.sample_rate);
    cfg.n_mfcc = n_mfcc;
    cfg.n_fft = n_fft;
    cfg.hop = hop;
    cfg.n_mels = n_mels;
    cfg.fmin = fmin;
    cfg.fmax = fmax;
    cfg.htk = htk;
    cfg.top_db = top_db;
    if (sm_mfcc_config_check(&cfg, &err) != 0) {
        sm_audio_free(&a);
        return sm_cli_usage("features", "%s", sm_error_text(&err));
    }
    m = sm_mfcc_alloc(&cfg, a.n, &err);
    frames = sm_mfcc_n_frames(&cfg, a.n);
    mf = malloc(frames * (size_t)n_mfcc * sizeof *mf);
    if (!m || !mf) {
        sm_mfcc_free(m);
        free(mf);
        sm_audio_free(&a);
        if (!err.code) sm_error_set(&err, SM_ERR_NOMEM, "out of memory");
        return sm_cli_fail("features", &err);
    }
    rc = sm_mfcc_compute(m, a.data, a.n, mf, &frames);
    sm_mfcc_free(m);
    sm_audio_free(&a);
    if (rc) {
        free(mf);
        sm_error_set(&err, rc, "%s: MFCC computation failed", path);
        return sm_cli_fail("features", &err);
    }
    if (out) {
        if (sm_outfile_open(&of, out, &err) != 0) {
            free(mf);
            return sm_cli_fail("features", &err);
        }
        f = of.f;
    }
    for (i = 0; i < frames; i++) {
        for (j = 0; j < n_mfcc; j++)
            fprintf(f, j ? ",%.6f" : "%.6f", mf[i * (size_t)n_mfcc + (size_t)j]);
        fputc('\n', f);
    }
    free(mf);
    if (out) return sm_outfile_commit(&of, &err) ? sm_cli_fail("features", &err) : SM_EXIT_OK;
    return SM_EXIT_OK; /* main() checks that standard output was written */
}

static const char *const INFO_HELP =
    "usage: soundmatch info FILE\n"
    "\n"
    "Describe FILE. For audio: format, channels, sample rate, length, peak and RMS level.\n"
    "For a DX7 sysex file (.syx) or voice stream (.bin): every voice with its number, name,\n"
    "algorithm and feedback, and what loading had to clamp. For a Microtonic preset\n"
    "(.mtpreset): its patches.\n";

static double to_db(double x)
{
    return x > 0 ? 20 * log10(x) : -INFINITY;
}

int sm_cmd_info(int argc, char **argv)
{
    sm_audio a;
    sm_audio_info info;
    sm_error err = {0};
    const char *path;
    double peak, rms;
    int rc;
    if (argc >= 2 && sm_cli_is_help(argv[1])) {
        fputs(INFO_HELP, stdout);
        return SM_EXIT_OK;
    }
    if (argc != 2) return sm_cli_usage("info", argc < 2 ? "no file given" : "give one file");
    path = argv[1];
    if (path[0] == '-') return sm_cli_usage("info", "unknown option '%s'", path);
    rc = sm_cli_patch_info(path);
    if (rc >= 0) return rc;
    if (sm_audio_read(path, 0, &a, &info, &err) != 0) return sm_cli_fail("info", &err);
    if (info.warning[0]) sm_cli_warn("info", info.warning);
    peak = sm_audio_peak(a.data, a.n);
    rms = sm_audio_rms(a.data, a.n);
    printf("file:        %s\n", path);
    printf("format:      %s\n", info.format);
    printf("channels:    %d%s\n", info.channels, info.channels > 1 ? " (levels below are of the mono mix)" : "");
    printf("sample rate: %g Hz\n", info.sample_rate);
    printf("length:      %zu samples, %.3f s\n", info.frames_read,
           (double)info.frames_read / info.sample_rate);
    printf("peak:        %.4f (%.1f dBFS)\n", peak, to_db(peak));
    printf("rms:         %.4f (%.1f dBFS)\n", rms, to_db(rms));
    if (peak == 0) printf("note:        the file is silent\n");
    sm_audio_free(&a);
    return SM_EXIT_OK;
}
