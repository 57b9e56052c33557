/* SPDX-License-Identifier: GPL-3.0-or-later */
/* search/hill.c: the coordinate hill climber of Yee-King, Fedden and d'Inverno (2018),
 * "Automatic programming of VST sound synthesizers using deep networks and other techniques",
 * IEEE TETCI 2(2).
 *
 * What we followed: the authors' implementation (github.com/yeeking/deepvstprogrammers,
 * models/hill_climber/hill_climber.py, itself "based on the Wikipedia Hill Climbing article's
 * pseudo code") starts every parameter at 0.5 with a step of 0.1 and an acceleration of 1.2.
 * It visits the parameters in turn; for parameter i it tries the moves
 * step[i] * c for c in {-acc, -1/acc, 0, 1/acc, acc}, keeps the best one when it beats the
 * current point, and then multiplies step[i] by the chosen c; when no move helps it divides
 * step[i] by acc. So the moves of each parameter shrink while they fail and grow while they
 * succeed.
 *
 * Where we differ, and why:
 * - The c = 0 candidate is the current point, whose cost we already know (our costs are
 *   deterministic), so it is not asked again; the four other moves of one parameter are one
 *   batch. A move that lands outside [0,1] is clamped; moves that coincide (at a bound) or
 *   do not move are dropped.
 * - We multiply the step by |c| (the original multiplies by c, flipping its sign, which the
 *   symmetric candidate set makes equivalent).
 * - Discrete parameters are moved to bin centres; a move too small to leave the bin goes to
 *   the next bin in its direction, so discrete parameters always probe their neighbours.
 * - When a whole sweep accepts nothing and every continuous step is below min_step the
 *   climber has stopped; it then restarts from a uniformly random point (restart = 1, the
 *   default) or reports convergence (restart = 0). The best point of all restarts is what the
 *   caller keeps. The start point is cfg->x0 if given, else cfg->starts[0] (the best
 *   retrieved preset), else 0.5 everywhere (as the authors). Restarts first go through the
 *   starts not used yet, in order, and only then to random points. */
#include "search/optimizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/rng.h"
#include "search/batch.h"

#define HILL_NCAND 4

typedef struct {
    const sm_param_space *s;
    size_t d;
    sm_rng rng;
    size_t budget, planned;   /* evaluations allowed, and put into batches so far */
    double step0, accel, min_step;
    int restart;
    double *x, fx;            /* the current point and its cost */
    double *step;             /* per parameter */
    int need_start;           /* the current point has not been scored yet */
    size_t coord;             /* parameter whose moves are asked */
    int sweep_moved;          /* a move was accepted in this sweep */
    double cand_mult[HILL_NCAND];
    double *starts;           /* n_starts rows at bin centres (owned), or NULL */
    size_t n_starts, next_start;
    int done;
    sm_pending q;
} hill_state;

static const double hill_mults_unit[HILL_NCAND] = {-1, -1, 1, 1}; /* signs of the moves */

static const char *const hill_keys[] = {"step", "accel", "min_step", "restart", NULL};
static const char *const hill_help[] = {
    "step: first move size of every parameter, in [0,1] units (0.1)",
    "accel: growth factor of a successful move and shrink factor of a failed one (1.2)",
    "min_step: a sweep with no success and all steps below this has stopped (1e-6)",
    "restart: 1 restarts from a random point when stopped, 0 reports convergence (1)",
    NULL};

static void hill_free(void *p)
{
    hill_state *st = p;
    if (!st) return;
    free(st->x);
    free(st->step);
    free(st->starts);
    sm_pending_free(&st->q);
    free(st);
}

static void reset_steps(hill_state *st)
{
    size_t i;
    for (i = 0; i < st->d; i++) st->step[i] = st->step0;
}

static void *hill_alloc(const sm_param_space *s, const sm_opt_config *cfg, uint64_t seed,
                        sm_error *err)
{
    hill_state *st = NULL;
    double step0, accel, min_step;
    long restart;
    size_t i;
    if (!s || !cfg || s->n == 0) {
        sm_error_set(err, SM_ERR_ARG, "hill: empty parameter space");
        return NULL;
    }
    if (sm_opt_check_keys(cfg, hill_keys, "hill", err) != 0 ||
        sm_opt_get_double(cfg, "step", 0.1, 1e-12, 1, &step0, err) != 0 ||
        sm_opt_get_double(cfg, "accel", 1.2, 1.0001, 10, &accel, err) != 0 ||
        sm_opt_get_double(cfg, "min_step", 1e-6, 0, 1, &min_step, err) != 0 ||
        sm_opt_get_long(cfg, "restart", 1, 0, 1, &restart, err) != 0)
        return NULL;
    st = calloc(1, sizeof *st);
    if (!st) goto nomem;
    st->s = s;
    st->d = s->n;
    st->budget = cfg->budget;
    st->step0 = step0;
    st->accel = accel;
    st->min_step = min_step;
    st->restart = (int)restart;
    sm_rng_init(&st->rng, seed, 2);
    st->x = malloc(st->d * sizeof *st->x);
    st->step = malloc(st->d * sizeof *st->step);
    if (!st->x || !st->step || sm_pending_init(&st->q, st->d, HILL_NCAND) != 0 ||
        sm_start_rows(s, NULL, cfg->starts, cfg->n_starts, 0, &st->starts, &st->n_starts) != 0)
        goto nomem;
    for (i = 0; i < st->d; i++) st->x[i] = cfg->x0 ? sm_clamp01(cfg->x0[i]) : 0.5;
    if (!cfg->x0 && st->n_starts > 0) {
        memcpy(st->x, st->starts, st->d * sizeof *st->x);
        st->next_start = 1;
    }
    sm_snap_discrete(s, st->x);
    reset_steps(st);
    st->need_start = 1;
    st->fx = INFINITY;
    return st;
nomem:
    hill_free(st);
    sm_error_set(err, SM_ERR_NOMEM, "hill: out of memory");
    return NULL;
}

/* Writes the distinct moves of parameter i into the queue; returns how many. */
static size_t make_moves(hill_state *st, size_t i)
{
    const sm_param *p = &st->s->p[i];
    const double acc = st->accel;
    const double mults[HILL_NCAND] = {-acc, -1 / acc, 1 / acc, acc};
    double vals[HILL_NCAND];
    size_t n = 0, j, q;
    for (j = 0; j < HILL_NCAND; j++) {
        double v = st->x[i] + st->step[i] * mults[j];
        int dup = 0;
        if (sm_param_is_discrete(p)) {
            size_t k = sm_param_n_values(p);
            if (k < 2) return 0;
            v = sm_param_encode1(p, sm_param_decode1(p, v));
            if (v == st->x[i]) { /* too small to leave the bin: go to the neighbour */
                v = st->x[i] + hill_mults_unit[j] / (double)k;
                if (v <= 0 || v >= 1) continue;
                v = sm_param_encode1(p, sm_param_decode1(p, v));
            }
        } else {
            v = sm_clamp01(v);
        }
        if (v == st->x[i]) continue;
        for (q = 0; q < n; q++)
            if (vals[q] == v) dup = 1;
        if (dup) continue;
        vals[n] = v;
        st->cand_mult[n] = fabs(mults[j]);
        memcpy(sm_pending_row(&st->q, n), st->x, st->d * sizeof *st->x);
        sm_pending_row(&st->q, n)[i] = v;
        n++;
    }
    return n;
}

static void restart_or_stop(hill_state *st)
{
    size_t i;
    if (!st->restart) {
        st->done = 1;
        return;
    }
    if (st->next_start < st->n_starts) {
        memcpy(st->x, st->starts + st->next_start++ * st->d, st->d * sizeof *st->x);
    } else {
        for (i = 0; i < st->d; i++) {
            const sm_param *p = &st->s->p[i];
            st->x[i] = sm_param_is_discrete(p) ? sm_random_bin(p, &st->rng)
                                               : sm_rng_uniform(&st->rng);
        }
    }
    reset_steps(st);
    st->need_start = 1;
    st->fx = INFINITY;
    st->coord = 0;
    st->sweep_moved = 0;
}

/* End of a sweep over all parameters: has the climber stopped? */
static int sweep_stopped(const hill_state *st)
{
    size_t i;
    if (st->sweep_moved) return 0;
    for (i = 0; i < st->d; i++)
        if (!sm_param_is_discrete(&st->s->p[i]) && st->step[i] >= st->min_step) return 0;
    return 1;
}

/* Forms the next batch; 0 if there is nothing left to ask. */
static size_t next_batch(hill_state *st)
{
    size_t left = st->budget - st->planned, n, tries;
    if (left == 0 || st->done) return 0;
    for (tries = 0; tries < 4; tries++) {
        size_t visited;
        if (st->need_start) {
            memcpy(sm_pending_row(&st->q, 0), st->x, st->d * sizeof *st->x);
            return 1;
        }
        /* find the next parameter with at least one move */
        for (visited = 0; visited < st->d; visited++) {
            n = make_moves(st, st->coord);
            if (n) return n < left ? n : left;
            /* a parameter with no move counts as a failed one */
            st->step[st->coord] /= st->accel;
            if (++st->coord == st->d) {
                st->coord = 0;
                if (sweep_stopped(st)) break;
                st->sweep_moved = 0;
            }
        }
        restart_or_stop(st);
        if (st->done) return 0;
    }
    st->done = 1; /* nothing can move at all (every parameter has a single value) */
    return 0;
}

static size_t hill_ask(void *p, double *x, size_t max_batch)
{
    hill_state *st = p;
    if (!sm_pending_has_rows(&st->q)) {
        size_t n = next_batch(st);
        if (n == 0) return 0;
        sm_pending_start(&st->q, n);
        st->planned += n;
    }
    return sm_pending_ask(&st->q, x, max_batch);
}

static void hill_tell(void *p, const double *x, const double *cost, size_t k)
{
    hill_state *st = p;
    size_t j, best = HILL_NCAND;
    double fb;
    (void)x;
    if (!sm_pending_tell(&st->q, cost, k)) return;
    if (st->need_start) {
        st->fx = st->q.cost[0];
        st->need_start = 0;
        return;
    }
    fb = st->fx;
    for (j = 0; j < st->q.n; j++)
        if (st->q.cost[j] < fb) {
            fb = st->q.cost[j];
            best = j;
        }
    if (best < HILL_NCAND) {
        st->x[st->coord] = sm_pending_row(&st->q, best)[st->coord];
        st->fx = fb;
        st->step[st->coord] *= st->cand_mult[best];
        if (st->step[st->coord] > 1) st->step[st->coord] = 1;
        st->sweep_moved = 1;
    } else {
        st->step[st->coord] /= st->accel;
    }
    if (++st->coord == st->d) {
        st->coord = 0;
        if (sweep_stopped(st)) restart_or_stop(st);
        st->sweep_moved = 0;
    }
}

static int hill_converged(const void *p)
{
    const hill_state *st = p;
    return st->done || (st->planned >= st->budget && !sm_pending_has_rows(&st->q));
}

const sm_optimizer_type sm_optimizer_hill = {
    "hill",
    "coordinate hill climber with per-parameter adaptive moves (Yee-King et al. 2018)",
    hill_keys,
    hill_help,
    hill_alloc,
    hill_ask,
    hill_tell,
    hill_converged,
    hill_free,
    NULL, /* no side data */
};
