/* SPDX-License-Identifier: GPL-3.0-or-later */
/* experiments/mpi_dispatch.c: an experiment's runs, or each run's batches, spread over the
 * ranks of an MPI job (see mpi_dispatch.h).
 *
 * Messages. Rank 0 sends RUN (a run's number, uint64), EVAL (4 doubles: target, gate_s,
 * points, values per point) followed by POINTS (the points), and STOP. The other ranks answer
 * a RUN with RESULT (the bytes of sm_run_set_do) or FAIL (int32 code, then the message), an
 * EVAL with COSTS (int32 0, 4 bytes of padding, uint64 NaN count, then the costs; or
 * int32 code, then the message), and a STOP with BYE. MPI keeps the order of the messages between two ranks, so
 * when rank 0 has a rank's BYE it has everything that rank sent before it. */
#include "experiments/mpi_dispatch.h"

#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_RUN = 11, TAG_EVAL, TAG_POINTS, TAG_STOP, TAG_RESULT, TAG_FAIL, TAG_COSTS, TAG_BYE };

/* ---- waiting without spinning ------------------------------------------------------------
 * Open MPI's blocking calls poll at full speed, which on a shared node takes a core from the
 * evaluation threads. These waits poll a few times at once, then sleep between polls: 20 us
 * doubling to 100 us (a batch's answers are expected within milliseconds), and 1 ms once
 * the wait has lasted a tenth of a second (an idle rank). */

typedef struct {
    unsigned polls;
    long ns;
    double slept;
} backoff;

static void pause_poll(backoff *b)
{
    struct timespec ts;
    if (b->polls++ < 32) {
        sched_yield();
        return;
    }
    if (b->ns == 0) b->ns = 20000;
    ts.tv_sec = 0;
    ts.tv_nsec = b->ns;
    nanosleep(&ts, NULL);
    b->slept += 1e-9 * (double)b->ns;
    if (b->ns < 100000) b->ns *= 2;
    else if (b->slept > 0.1) b->ns = 1000000;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Waits for a message from `source` with `tag` (wildcards allowed): 1 with *st set, or 0
 * once *stop has been set for `grace` seconds (stop may be NULL: no end). */
static int wait_message(MPI_Comm comm, int source, int tag, volatile sig_atomic_t *stop,
                        double grace, MPI_Status *st)
{
    backoff b = {0, 0, 0};
    double stopped_at = -1;
    int flag = 0;
    for (;;) {
        MPI_Iprobe(source, tag, comm, &flag, st);
        if (flag) return 1;
        if (stop && *stop) {
            if (stopped_at < 0) stopped_at = now_s();
            if (now_s() - stopped_at >= grace) return 0;
        }
        pause_poll(&b);
    }
}

static void wait_request(MPI_Request *rq)
{
    backoff b = {0, 0, 0};
    int done = 0;
    for (;;) {
        MPI_Test(rq, &done, MPI_STATUS_IGNORE);
        if (done) return;
        pause_poll(&b);
    }
}

static void send_wait(const void *buf, int n, MPI_Datatype type, int dest, int tag,
                      MPI_Comm comm)
{
    MPI_Request rq;
    MPI_Isend(buf, n, type, dest, tag, comm, &rq);
    wait_request(&rq);
}

/* Receives the probed message st as bytes into a new buffer (*n bytes). Out of memory, the
 * message is received into no room: MPI's error handler then ends the job. */
static unsigned char *recv_bytes(MPI_Comm comm, const MPI_Status *st, int *n)
{
    unsigned char *b;
    MPI_Status st2 = *st;
    MPI_Get_count(&st2, MPI_BYTE, n);
    b = malloc(*n > 0 ? (size_t)*n : 1);
    MPI_Recv(b, b ? *n : 0, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, comm, MPI_STATUS_IGNORE);
    return b;
}

/* A failure's message: int32 code, then the text. */
static void send_failure(MPI_Comm comm, int tag, int code, const char *msg)
{
    char buf[sizeof ((sm_error *)0)->msg + 4];
    const int32_t c = code;
    size_t len = strlen(msg);
    if (len > sizeof buf - 4) len = sizeof buf - 4;
    memcpy(buf, &c, 4);
    memcpy(buf + 4, msg, len);
    send_wait(buf, (int)(4 + len), MPI_BYTE, 0, tag, comm);
}

/* ---- agreement ---------------------------------------------------------------------------- */

int sm_mpi_agree(MPI_Comm comm, const sm_experiment *e, sm_error *err)
{
    unsigned long long fp0 = e ? (unsigned long long)e->fingerprint : 0;
    int rank, size, mine, first, status;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Bcast(&fp0, 1, MPI_UNSIGNED_LONG_LONG, 0, comm);
    status = !e ? 1 : (unsigned long long)e->fingerprint != fp0 ? 2 : 0;
    mine = status ? rank : INT_MAX;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == INT_MAX) return 0;
    MPI_Bcast(&status, 1, MPI_INT, first, comm);
    if (status == 1)
        return sm_error_set(err, SM_ERR_CONFIG,
                            "rank %d of %d could not load the experiment file (every rank "
                            "reads it: is its folder shared with every node?)", first, size);
    return sm_error_set(err, SM_ERR_CONFIG,
                        "rank %d of %d read another experiment file than rank 0 (every rank "
                        "must see the same file)", first, size);
}

/* ---- rank 0 ------------------------------------------------------------------------------- */

struct sm_mpi_root {
    MPI_Comm comm;
    int size;
    volatile sig_atomic_t *stop;
    sm_run_set *s;
    const size_t *todo;
    size_t n_todo, next;
    size_t *run_of;         /* per rank: the run it is doing, or SIZE_MAX */
    unsigned char *gone;    /* per rank: it has said BYE */
    int n_busy;
    int failed, fail_rc;    /* something failed: no more runs are handed out */
    sm_error fail_err;
    int released;           /* STOP sent to every rank */
};

static void root_fail(sm_mpi_root *R, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void root_fail(sm_mpi_root *R, int rc, const char *fmt, ...)
{
    char msg[sizeof R->fail_err.msg];
    va_list ap;
    if (R->failed) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    R->failed = 1;
    R->fail_rc = rc;
    sm_error_set(&R->fail_err, rc, "%s", msg);
}

/* The next run to rank w, if there is one to hand out and w is free. */
static void root_hand_out(sm_mpi_root *R, int w)
{
    uint64_t r;
    if (R->failed || R->released || (R->stop && *R->stop) || R->next >= R->n_todo ||
        R->run_of[w] != SIZE_MAX || R->gone[w])
        return;
    R->run_of[w] = R->todo[R->next++];
    r = R->run_of[w];
    R->n_busy++;
    send_wait(&r, 1, MPI_UINT64_T, w, TAG_RUN, R->comm);
}

/* Takes the probed message st from a rank: a result (accepted; the rank gets the next run),
 * a failure, or a BYE. */
static void root_take(sm_mpi_root *R, const MPI_Status *st)
{
    const int w = st->MPI_SOURCE;
    const size_t r = R->run_of[w];
    int n;
    unsigned char *b = recv_bytes(R->comm, st, &n);
    if (st->MPI_TAG == TAG_BYE) {
        R->gone[w] = 1;
    } else if (r != SIZE_MAX && (st->MPI_TAG == TAG_RESULT || st->MPI_TAG == TAG_FAIL)) {
        R->run_of[w] = SIZE_MAX;
        R->n_busy--;
        if (st->MPI_TAG == TAG_RESULT) {
            sm_error e2 = {0};
            if (sm_run_set_accept(R->s, r, b, (size_t)n, &e2) != 0)
                root_fail(R, e2.code, "rank %d, run %zu: %s", w, r + 1, e2.msg);
        } else {
            int32_t code = SM_ERR_IO;
            if (n >= 4) memcpy(&code, b, 4);
            if (code == SM_ERR_INTERRUPTED) root_fail(R, code, "rank %d was interrupted", w);
            else
                root_fail(R, code, "rank %d, run %zu: %.*s", w, r + 1, n >= 4 ? n - 4 : 0,
                          (const char *)b + 4);
        }
        root_hand_out(R, w);
    }
    free(b);
}

/* Takes every message waiting, without waiting. */
static void root_service(sm_mpi_root *R)
{
    for (;;) {
        MPI_Status st;
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, R->comm, &flag, &st);
        if (!flag) return;
        root_take(R, &st);
    }
}

/* STOP to every rank, then everything they still send until each one's BYE (results that
 * were on their way are accepted). A rank that died never says BYE: the MPI launcher ends the
 * job, and interrupts this rank; after an interruption the wait lasts 3 s at most. */
static void root_stop_all(sm_mpi_root *R)
{
    int w;
    if (R->released) return;
    R->released = 1;
    for (w = 1; w < R->size; w++)
        if (!R->gone[w]) send_wait(NULL, 0, MPI_BYTE, w, TAG_STOP, R->comm);
}

static void root_release(sm_mpi_root *R)
{
    int w, left = 0;
    root_stop_all(R);
    for (w = 1; w < R->size; w++) left += !R->gone[w];
    while (left > 0) {
        MPI_Status st;
        if (!wait_message(R->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, R->stop, 3.0, &st)) return;
        w = st.MPI_SOURCE;
        if (R->gone[w]) {
            int n;
            free(recv_bytes(R->comm, &st, &n));   /* nothing follows a BYE; dropped */
            continue;
        }
        root_take(R, &st);
        if (R->gone[w]) left--;
    }
}

/* Between rank 0's own batches: answer the others. */
static int root_poll(void *ctx)
{
    root_service(ctx);
    return 0;
}

/* SM_DISTRIBUTE_RUNS: every rank gets a run, and another as it finishes; rank 0 does runs
 * too, answering between its batches, until none is left to hand out; then it waits for the
 * others' last ones. */
static int root_run(void *ctx, sm_run_set *s, const size_t *todo, size_t n, sm_error *err)
{
    sm_mpi_root *R = ctx;
    int w;
    R->s = s;
    R->todo = todo;
    R->n_todo = n;
    R->next = 0;
    for (w = 1; w < R->size; w++) root_hand_out(R, w);
    for (;;) {
        MPI_Status st;
        root_service(R);
        if (R->stop && *R->stop) {
            /* every rank stops after its current batch; the caller can say so at once (the
             * runs under way are lost either way), and sm_mpi_root_free collects the BYEs */
            root_fail(R, SM_ERR_INTERRUPTED, "interrupted");
            root_stop_all(R);
            break;
        }
        if (R->failed || R->next >= R->n_todo) {
            if (R->n_busy == 0) break;
        } else {
            sm_error e2 = {0};
            const size_t r = R->todo[R->next++];
            const int rc = sm_run_set_do(s, r, NULL, NULL, &e2);
            if (rc == SM_ERR_INTERRUPTED) root_fail(R, rc, "interrupted");
            else if (rc) root_fail(R, rc, "rank 0, run %zu: %s", r + 1, e2.msg);
            continue;
        }
        if (wait_message(R->comm, MPI_ANY_SOURCE, MPI_ANY_TAG, R->stop, 0, &st))
            root_take(R, &st);
    }
    if (!(R->stop && *R->stop)) root_release(R);
    if (!R->failed) return 0;
    if (err) *err = R->fail_err;
    return R->fail_rc;
}

/* SM_DISTRIBUTE_POPULATION: the batch in equal parts (whole pairs of points, as the
 * evaluator pairs them), rank 0's part scored here while the others score theirs. */
static int root_eval(void *ctx, sm_eval *local, size_t target, double gate_s, const double *x,
                     size_t k, size_t d, double *cost, uint64_t *n_bad, sm_error *err)
{
    sm_mpi_root *R = ctx;
    const size_t pairs = (k + 1) / 2, parts = (size_t)R->size;
    MPI_Request *rq = malloc(2 * parts * sizeof *rq);
    double *head = malloc(4 * parts * sizeof *head);
    size_t w, n_rq = 0, lo, hi;
    uint64_t before;
    int rc = 0;
#define PART_START(i) ((2 * (pairs * (i) / parts)) < k ? 2 * (pairs * (i) / parts) : k)
    if (!rq || !head) {
        free(rq);
        free(head);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    if (k * d > (size_t)INT_MAX) {
        free(rq);
        free(head);
        return sm_error_set(err, SM_ERR_ARG, "a batch of %zu points is too large to share", k);
    }
    for (w = 1; w < parts; w++) {
        lo = PART_START(w);
        hi = PART_START(w + 1);
        if (hi <= lo) continue;
        head[4 * w] = (double)target;
        head[4 * w + 1] = gate_s;
        head[4 * w + 2] = (double)(hi - lo);
        head[4 * w + 3] = (double)d;
        MPI_Isend(head + 4 * w, 4, MPI_DOUBLE, (int)w, TAG_EVAL, R->comm, &rq[n_rq++]);
        MPI_Isend(x + lo * d, (int)((hi - lo) * d), MPI_DOUBLE, (int)w, TAG_POINTS, R->comm,
                  &rq[n_rq++]);
    }
    hi = PART_START(1);
    before = sm_eval_get_stats(local).n_nonfinite;
    if (hi > 0 && (rc = sm_eval_batch(local, x, hi, d, cost)) != 0)
        rc = sm_error_set(err, rc, "scoring a batch of %zu points failed", hi);
    *n_bad += sm_eval_get_stats(local).n_nonfinite - before;
    for (w = 1; w < parts; w++) {
        MPI_Status st;
        unsigned char *b;
        int n;
        int32_t code = SM_ERR_IO;
        lo = PART_START(w);
        hi = PART_START(w + 1);
        if (hi <= lo) continue;
        wait_message(R->comm, (int)w, TAG_COSTS, NULL, 0, &st);
        b = recv_bytes(R->comm, &st, &n);
        if (n >= 4) memcpy(&code, b, 4);
        if (code == 0 && (size_t)n == 16 + (hi - lo) * sizeof(double)) {
            uint64_t bad;
            memcpy(&bad, b + 8, 8);
            memcpy(cost + lo, b + 16, (hi - lo) * sizeof(double));
            *n_bad += bad;
        } else if (!rc) {
            rc = sm_error_set(err, code ? code : SM_ERR_FORMAT, "rank %zu: %.*s", w,
                              n >= 4 ? n - 4 : 0, (const char *)b + 4);
        }
        free(b);
    }
#undef PART_START
    for (w = 0; w < n_rq; w++) wait_request(&rq[w]);
    free(rq);
    free(head);
    return rc;
}

sm_mpi_root *sm_mpi_root_new(MPI_Comm comm, sm_distribute mode, volatile sig_atomic_t *stop,
                             sm_dispatch *d, sm_error *err)
{
    sm_mpi_root *R = calloc(1, sizeof *R);
    int w;
    if (R) {
        R->comm = comm;
        MPI_Comm_size(comm, &R->size);
        R->stop = stop;
        R->run_of = malloc((size_t)R->size * sizeof *R->run_of);
        R->gone = calloc((size_t)R->size, 1);
    }
    if (!R || !R->run_of || !R->gone) {
        if (R) {
            free(R->run_of);
            free(R->gone);
        }
        free(R);
        sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (w = 0; w < R->size; w++) R->run_of[w] = SIZE_MAX;
    memset(d, 0, sizeof *d);
    d->ctx = R;
    if (R->size > 1 && mode == SM_DISTRIBUTE_POPULATION) {
        d->eval = root_eval;
    } else if (R->size > 1) {
        d->run = root_run;
        d->poll = root_poll;
    }
    return R;
}

void sm_mpi_root_free(sm_mpi_root *R)
{
    if (!R) return;
    root_release(R);
    free(R->run_of);
    free(R->gone);
    free(R);
}

/* ---- the other ranks ---------------------------------------------------------------------- */

/* Between the batches of a run done here: a STOP from rank 0 ends it. */
static int worker_poll(void *ctx)
{
    int flag = 0;
    MPI_Iprobe(0, TAG_STOP, *(MPI_Comm *)ctx, &flag, MPI_STATUS_IGNORE);
    return flag;
}

/* EVAL: scores the points that follow and answers COSTS. */
static int worker_eval(MPI_Comm comm, sm_run_set *s, sm_error *err)
{
    double head[4], *x = NULL;
    unsigned char *out = NULL;   /* 16 bytes of header, then the costs (8-byte aligned) */
    size_t k = 0, d = 0;
    uint64_t bad = 0;
    MPI_Status pst;
    int n = 0, rc = 0;
    MPI_Recv(head, 4, MPI_DOUBLE, 0, TAG_EVAL, comm, MPI_STATUS_IGNORE);
    MPI_Probe(0, TAG_POINTS, comm, &pst);
    MPI_Get_count(&pst, MPI_DOUBLE, &n);
    x = malloc(n > 0 ? (size_t)n * sizeof *x : 1);
    MPI_Recv(x, x ? n : 0, MPI_DOUBLE, 0, TAG_POINTS, comm, MPI_STATUS_IGNORE);
    if (head[2] >= 1 && head[3] >= 1 && head[0] >= 0) {
        k = (size_t)head[2];
        d = (size_t)head[3];
    }
    out = calloc(1, 16 + k * sizeof(double));
    if (!out) rc = sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    else if (!s) rc = err->code ? err->code : SM_ERR_NOMEM;
    else if (k == 0 || (size_t)n != k * d)
        rc = sm_error_set(err, SM_ERR_FORMAT, "a batch of %d values for %zu points of %zu", n,
                          k, d);
    else
        rc = sm_run_set_eval(s, (size_t)head[0], head[1], x, k, d, (double *)(void *)(out + 16),
                             &bad, err);
    free(x);
    if (rc) {
        free(out);
        send_failure(comm, TAG_COSTS, rc, err->msg);
        return rc;
    }
    memcpy(out + 8, &bad, 8);   /* (the code, bytes 0-3, is 0) */
    send_wait(out, (int)(16 + k * sizeof(double)), MPI_BYTE, 0, TAG_COSTS, comm);
    free(out);
    return 0;
}

int sm_mpi_serve(MPI_Comm comm, const sm_experiment *e, const sm_run_options *opt,
                 sm_error *err)
{
    sm_run_options wo;
    sm_dispatch d;
    sm_run_set *s;
    sm_error e2 = {0};
    int first = 0;
    if (opt) wo = *opt;
    else memset(&wo, 0, sizeof wo);
    memset(&d, 0, sizeof d);
    d.poll = worker_poll;
    d.ctx = &comm;
    wo.dispatch = &d;
    s = sm_run_set_new(e, &wo, &e2);
    if (!s) {
        first = e2.code ? e2.code : SM_ERR_NOMEM;
        if (err) *err = e2;
    }
    for (;;) {
        MPI_Status st;
        int rc = 0;
        wait_message(comm, 0, MPI_ANY_TAG, NULL, 0, &st);
        if (st.MPI_TAG == TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG_STOP, comm, MPI_STATUS_IGNORE);
            send_wait(NULL, 0, MPI_BYTE, 0, TAG_BYE, comm);
            break;
        } else if (st.MPI_TAG == TAG_RUN) {
            uint64_t r;
            void *blob = NULL;
            size_t len = 0;
            MPI_Recv(&r, 1, MPI_UINT64_T, 0, TAG_RUN, comm, MPI_STATUS_IGNORE);
            rc = s ? sm_run_set_do(s, (size_t)r, &blob, &len, &e2) : first;
            if (!rc && len > (size_t)INT_MAX)
                rc = sm_error_set(&e2, SM_ERR_RANGE, "a result of %zu bytes", len);
            if (!rc) send_wait(blob, (int)len, MPI_BYTE, 0, TAG_RESULT, comm);
            else if (!(rc == SM_ERR_INTERRUPTED && worker_poll(&comm)))
                send_failure(comm, TAG_FAIL, rc, e2.msg);   /* (after a STOP: no answer) */
            free(blob);
        } else if (st.MPI_TAG == TAG_EVAL) {
            rc = worker_eval(comm, s, &e2);
        } else {
            int n;
            free(recv_bytes(comm, &st, &n));   /* not for this rank: dropped */
        }
        if (rc && !first) {
            first = rc;
            if (err) *err = e2;
        }
    }
    sm_run_set_free(s);
    return first;
}
