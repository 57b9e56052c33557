/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/report_match.c: the page of one match (soundmatch match; see
 * experiments/report_internal.h). It shows the target and the match (and the closest human
 * preset, when the match had one to start from) side by side with their spectrograms,
 * players and measures, says what the patch is in words (for fm6: the algorithm, each
 * operator's frequency ratio, level and envelope), how to load it, and how the search went.
 * None of the experiment's comparison sections: one run compares nothing. */
#include "experiments/report_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "synths/fm6.h"
#include "synths/synth.h"

/* The match: the best run that is not the baseline (SIZE_MAX if none). */
static size_t match_run(const report *R)
{
    size_t i, best = SIZE_MAX;
    for (i = 0; i < R->in->n_runs; i++) {
        double c = R->in->runs[i].final_cost;
        if (R->ro[i] == R->baseline || isnan(c)) continue;
        if (best == SIZE_MAX || c < R->in->runs[best].final_cost) best = i;
    }
    return best;
}

/* ---- the patch in words ---- */

/* "ops 1, 3 and 5" from a mask of operators (bit op - 1). */
static void put_ops(FILE *f, unsigned mask)
{
    int op, n = 0, total = 0;
    for (op = 1; op <= 6; op++) total += (mask >> (op - 1)) & 1;
    for (op = 1; op <= 6; op++) {
        if (!((mask >> (op - 1)) & 1)) continue;
        if (n) fputs(n + 1 == total ? " and " : ", ", f);
        fprintf(f, "%d", op);
        n++;
    }
    if (!total) fputs("none", f);
}

static void fm6_in_words(FILE *f, const double *v)
{
    static const char *const waves[6] = {"triangle", "saw down", "saw up", "square", "sine",
                                         "sample and hold"};
    const int alg = (int)v[SM_FM6_ALGORITHM];
    int op, from = 0, to = 0;
    fprintf(f, "<p>A DX7 voice on <b>algorithm %d</b>: operator", alg);
    fputs((sm_fm6_carrier_mask(alg) & (sm_fm6_carrier_mask(alg) - 1)) ? "s " : " ", f);
    put_ops(f, sm_fm6_carrier_mask(alg));
    fputs(" sound (carriers); ", f);
    if (sm_fm6_feedback_path(alg, &from, &to))
        fprintf(f, "feedback %d %s operator %d%s", (int)v[SM_FM6_FEEDBACK],
                from == to ? "on" : "from", from, from == to ? "" : "");
    if (from != to) fprintf(f, " into operator %d", to);
    fprintf(f, ". Oscillator key sync %s; transpose %+d semitones.</p>\n",
            v[SM_FM6_OSC_KEY_SYNC] > 0.5 ? "on" : "off", (int)v[SM_FM6_TRANSPOSE] - 24);
    fputs("<table>\n<thead><tr><th>Operator</th><th>Role</th><th class=\"num\">Frequency</th>"
          "<th class=\"num\">Detune</th><th class=\"num\">Output level</th>"
          "<th class=\"num\">Envelope rates</th><th class=\"num\">Envelope levels</th>"
          "<th class=\"num\">Velocity sens.</th></tr></thead>\n<tbody>\n", f);
    for (op = 1; op <= 6; op++) {
        const double *o = v + SM_FM6_OP(op, 0);
        const int coarse = (int)o[SM_FM6_COARSE], fine = (int)o[SM_FM6_FINE];
        const unsigned mods = sm_fm6_modulator_mask(alg, op);
        int target, first = 1;
        fprintf(f, "<tr><td>%d</td><td>", op);
        if ((sm_fm6_carrier_mask(alg) >> (op - 1)) & 1) {
            fputs("carrier", f);
            first = 0;
        }
        for (target = 1; target <= 6; target++)
            if ((sm_fm6_modulator_mask(alg, target) >> (op - 1)) & 1 && target != op) {
                fprintf(f, "%smodulates %d", first ? "" : ", ", target);
                first = 0;
            }
        if (mods && first) fputs("&mdash;", f);
        fputs("</td><td class=\"num\">", f);
        if (o[SM_FM6_OSC_MODE] > 0.5)
            fprintf(f, "fixed %.4g&nbsp;Hz", pow(10.0, (coarse & 3) + fine / 100.0));
        else
            fprintf(f, "ratio %.3g <span class=\"sub\">(coarse %d, fine %d)</span>",
                    (coarse == 0 ? 0.5 : coarse) * (1.0 + fine / 100.0), coarse, fine);
        fprintf(f, "</td><td class=\"num\">%+d</td><td class=\"num\">%d</td>"
                   "<td class=\"num\">%d %d %d %d</td><td class=\"num\">%d %d %d %d</td>"
                   "<td class=\"num\">%d</td></tr>\n",
                (int)o[SM_FM6_DETUNE] - 7, (int)o[SM_FM6_OUTPUT_LEVEL], (int)o[SM_FM6_EG_RATE1],
                (int)o[SM_FM6_EG_RATE2], (int)o[SM_FM6_EG_RATE3], (int)o[SM_FM6_EG_RATE4],
                (int)o[SM_FM6_EG_LEVEL1], (int)o[SM_FM6_EG_LEVEL2], (int)o[SM_FM6_EG_LEVEL3],
                (int)o[SM_FM6_EG_LEVEL4], (int)o[SM_FM6_KEY_VEL_SENS]);
    }
    fputs("</tbody>\n</table>\n", f);
    fprintf(f, "<p class=\"cap\">Frequencies: a ratio multiplies the note&rsquo;s frequency "
               "(coarse 0 is 0.5, then &times; (1 + fine / 100)); a fixed operator ignores the "
               "note. Levels and rates are the DX7&rsquo;s 0&ndash;99; detune runs from &minus;7 "
               "to +7. LFO: %s, speed %d, delay %d, pitch depth %d, amplitude depth %d.</p>\n",
            waves[(int)v[SM_FM6_LFO_WAVE] % 6], (int)v[SM_FM6_LFO_SPEED],
            (int)v[SM_FM6_LFO_DELAY], (int)v[SM_FM6_LFO_PITCH_MOD_DEPTH],
            (int)v[SM_FM6_LFO_AMP_MOD_DEPTH]);
}

/* Any synth: every parameter with its value and unit. */
static void params_in_words(FILE *f, const sm_synth_type *s, const double *v)
{
    size_t i;
    fputs("<table>\n<thead><tr><th>Parameter</th><th class=\"num\">Value</th><th>Unit</th>"
          "</tr></thead>\n<tbody>\n", f);
    for (i = 0; i < s->space->n; i++) {
        const sm_param *p = &s->space->p[i];
        fputs("<tr><td>", f);
        sm_html_esc(f, p->name);
        fputs("</td><td class=\"num\">", f);
        if (p->kind == SM_PARAM_ENUM && p->labels) {
            long k = lround(v[i] - p->min);
            sm_html_esc(f, k >= 0 && (double)k <= p->max - p->min ? p->labels[k] : "?");
        } else {
            sm_html_num(f, v[i]);
        }
        fputs("</td><td>", f);
        sm_html_esc(f, p->unit);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* A link to a file of the match folder, when it is there. */
static int put_local(FILE *f, const report *R, const char *name, const char *text)
{
    char *p = sm_path_join(R->dir, name);
    int there = p && access(p, R_OK) == 0;
    free(p);
    if (!there) return 0;
    fputs("<a href=\"", f);
    sm_html_url(f, name);
    fputs("\" download>", f);
    sm_html_esc(f, text);
    fputs("</a>", f);
    return 1;
}

static void section_patch(report *R, const sm_run_result *r)
{
    FILE *f = R->f;
    const sm_synth_type *s = R->in->synth ? sm_synth_find(R->in->synth) : NULL;
    double *v = s ? calloc(s->space->n, sizeof *v) : NULL;
    char name[64] = "";
    sm_error e = {0, ""};
    fputs("<h2 id=\"patch\">The patch</h2>\n", f);
    if (!s || !v || !r->patch_path || !s->patch_load ||
        s->patch_load(r->patch_path, v, name, sizeof name, &e) != 0) {
        fputs("<p class=\"note\">The patch cannot be shown: ", f);
        sm_html_esc(f, !s ? "unknown synth" : !r->patch_path ? "this synth writes no patch file"
                                                              : sm_error_text(&e));
        fputs(".</p>\n", f);
        free(v);
        return;
    }
    if (*name) {
        fputs("<p>Voice name: <code>", f);
        sm_html_esc(f, name);
        fputs("</code>.</p>\n", f);
    }
    if (s == &sm_synth_fm6) fm6_in_words(f, v);
    else params_in_words(f, s, v);
    free(v);
    fputs("<h3>Loading it</h3>\n<p>", f);
    if (s == &sm_synth_fm6) {
        fputs("Files in this folder: ", f);
        put_local(f, R, "best-bank.syx", "best-bank.syx");
        fputs(" (a 32-voice bank, 4,104 bytes: the voice is number 1, the rest INIT VOICE) and ",
              f);
        put_local(f, R, "best.syx", "best.syx");
        fputs(" (a single-voice dump, 163 bytes).</p>\n<ul><li><b>Dexed</b>: load best-bank.syx "
              "as a cartridge (the cartridge manager, or drag the file onto the plugin), then "
              "pick voice 1.</li><li><b>A DX7 or a synth that takes DX7 sysex</b>: send "
              "best.syx over MIDI, e.g. <code>amidi -p hw:1 -s best.syx</code>; the voice lands "
              "in the edit buffer.</li><li><b>soundmatch</b>: <code>soundmatch render --patch "
              "best.syx --note N -o out.wav</code> plays it again; <code>soundmatch bank</code> "
              "gathers matches into banks.</li></ul>\n", f);
    } else if (s->patch_ext && strcmp(s->patch_ext, ".mtpreset") == 0) {
        fputs("File in this folder: ", f);
        put_local(f, R, "best.mtpreset", "best.mtpreset");
        fputs(" (the patch is on drum channel 1).</p>\n<ul><li><b>Sonic Charge Microtonic</b> "
              "(or its free relative Supertonic): load it as a preset, then play channel 1."
              "</li><li><b>soundmatch</b>: <code>soundmatch render --patch best.mtpreset -o "
              "out.wav</code> plays it again.</li></ul>\n", f);
    } else {
        fprintf(f, "<code>soundmatch render --synth %s --patch best%s --note N -o out.wav</code> "
                   "plays it again, N the note in results.csv (best.wav also has the level "
                   "fit: wav_gain_db).</p>\n", s->name, s->patch_ext ? s->patch_ext : "");
    }
}

/* The lead: how close the match is, against the closest preset. */
static void section_lead(report *R, size_t mi)
{
    FILE *f = R->f;
    const sm_run_result *m = &R->in->runs[mi];
    size_t bi = R->baseline == SIZE_MAX ? SIZE_MAX : sm_report_best_run(R, R->rt[mi], R->baseline);
    fputs("<p class=\"verdict\">", f);
    fputs("The match (", f);
    sm_html_esc(f, m->optimizer);
    fprintf(f, ", %zu evaluations, ", m->evals);
    sm_html_duration(f, m->wall_s);
    fputs(") has cost ", f);
    sm_html_num(f, m->final_cost);
    if (m->has_measures) {
        fputs(", a log-mel distance of ", f);
        if (isfinite(m->logmel_db)) fprintf(f, "%.2f&nbsp;dB", m->logmel_db);
        else fputs("&ndash;", f);
        fputs(" to the target and a loudness difference of ", f);
        if (isfinite(m->loudness_db)) fprintf(f, "%+.1f&nbsp;dB", m->loudness_db);
        else fputs("&ndash; (silent)", f);
    }
    fputs(".", f);
    if (bi != SIZE_MAX) {
        const sm_run_result *b = &R->in->runs[bi];
        fputs(" The closest human preset had cost ", f);
        sm_html_num(f, b->final_cost);
        if (b->has_measures && isfinite(b->logmel_db) && isfinite(m->logmel_db)) {
            fprintf(f, " and log-mel distance %.2f&nbsp;dB: the match is %.2f&nbsp;dB %s.",
                    b->logmel_db, fabs(b->logmel_db - m->logmel_db),
                    m->logmel_db <= b->logmel_db ? "closer" : "further");
        } else {
            fputs(".", f);
        }
    }
    fputs(" <span class=\"sub\">Log-mel distance: FFT 2048, 64 mel bands, each sound at its own "
          "level; two different DX7 voices are about 18&nbsp;dB apart, one voice in two "
          "faithful engines under 1&nbsp;dB. Within 3&nbsp;dB of loudness is loud enough."
          "</span></p>\n", f);
}

int sm_report_write_match_page(report *R, sm_error *err)
{
    FILE *f = R->f;
    size_t mi = match_run(R), run[2], n = 0, bi;
    unsigned char *png = NULL;
    size_t len = 0;
    sm_error perr = {0, ""};
    char title[300];
    int rc;
    if (mi == SIZE_MAX) mi = sm_report_best_run(R, 0, SIZE_MAX);
    snprintf(title, sizeof title, "Match of %s", R->tgt[mi == SIZE_MAX ? 0 : R->rt[mi]]);
    sm_report_page_head(R, title);
    if (mi == SIZE_MAX) {
        fputs("<p>No run has a final cost.</p>\n", f);
        sm_report_section_meta(R);
        sm_report_page_foot(R);
        return 0;
    }
    section_lead(R, mi);
    if (R->in->runs[mi].target_notes && *R->in->runs[mi].target_notes) {
        fputs("<p class=\"sub\">Target: ", f);
        sm_html_esc(f, R->in->runs[mi].target_notes);
        fputs(".</p>\n", f);
    }
    fputs("<h2 id=\"media\">Target and match</h2>\n", f);
    run[n++] = mi;
    bi = R->baseline == SIZE_MAX ? SIZE_MAX : sm_report_best_run(R, R->rt[mi], R->baseline);
    if (bi != SIZE_MAX) run[n++] = bi;
    if ((rc = sm_report_media_cells(R, R->rt[mi], run, n, err)) != 0) return rc;
    fputs("<p class=\"cap\">Spectrograms in dB relative to the target&rsquo;s peak (Hann window "
          "of 1024 samples, hop 256, 40 Hz to 11 kHz on a log axis). The match is rendered at "
          "the target&rsquo;s level and aligned with its onset.", f);
    if (bi != SIZE_MAX)
        fputs(" The third sound is the closest human preset, the match&rsquo;s starting "
              "point.", f);
    fputs("</p>\n", f);
    if ((rc = sm_report_descriptor_table(R, R->rt[mi], run, n, err)) != 0) return rc;
    section_patch(R, &R->in->runs[mi]);
    fputs("<h2 id=\"search\">The search</h2>\n", f);
    rc = sm_report_convergence_png(R, R->rt[mi], 860, 320, "Best cost so far", &png, &len,
                                   &perr);
    rc = sm_html_plot_or_note(f, rc, png, len, "convergence of the search", &perr, err);
    if (rc) return rc;
    fputs("<p class=\"cap\">The best cost found after each number of evaluations (the "
          "cost the search minimises, which the log-mel distance above does not enter).</p>\n",
          f);
    sm_report_section_meta(R);
    sm_report_page_foot(R);
    return 0;
}
