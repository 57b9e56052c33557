/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/fileio.c: all-or-nothing output files and small file helpers (see core/fileio.h). */
#include "core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
    return S_ISDIR(m)                        ? "a folder"
           : S_ISFIFO(m)                     ? "a FIFO (named pipe)"
           : S_ISCHR(m) || S_ISBLK(m)        ? "a device"
           : S_ISSOCK(m)                     ? "a socket"
                                             : "not a regular file";
}

/* Refuses a destination that exists and is not a regular file (or a link to one): renaming
 * over a device such as /dev/full, a FIFO or a folder would replace it, or fail obscurely. */
static int check_replaceable(const char *path, sm_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return 0;
    return sm_error_set(err, SM_ERR_IO,
                        "%s: is %s; soundmatch writes only regular files and will not replace it",
                        path, file_kind(st.st_mode));
}

int sm_outfile_open(sm_outfile *of, const char *path, sm_error *err)
{
    size_t len;
    int fd;
    memset(of, 0, sizeof *of);
    if (!path || !*path) return sm_error_set(err, SM_ERR_ARG, "no output file name given");
    if (check_replaceable(path, err) != 0) return SM_ERR_IO;
    len = strlen(path);
    of->final_path = strdup(path);
    of->tmp_path = malloc(len + 16);
    if (!of->final_path || !of->tmp_path) {
        sm_outfile_abort(of);
        return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(of->tmp_path, path, len);
    memcpy(of->tmp_path + len, ".tmp.XXXXXX", 12);
    fd = mkstemp(of->tmp_path);
    if (fd < 0) {
        int e = errno;
        free(of->tmp_path);
        of->tmp_path = NULL;
        sm_outfile_abort(of);
        return sm_error_set(err, SM_ERR_IO, "%s: cannot create file: %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600; give it the usual permissions of a new file. */
    {
        mode_t um = umask(0);
        umask(um);
        (void)fchmod(fd, 0666 & ~um);
    }
    of->f = fdopen(fd, "wb");
    if (!of->f) {
        int e = errno;
        close(fd);
        sm_outfile_abort(of);
        return sm_error_set(err, SM_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    return 0;
}

int sm_outfile_commit(sm_outfile *of, sm_error *err)
{
    int bad = 0, e = 0;
    if (!of->f || !of->tmp_path || !of->final_path) {
        sm_outfile_abort(of);
        return sm_error_set(err, SM_ERR_ARG, "output file was not open");
    }
    if (ferror(of->f) || fflush(of->f) != 0) { bad = 1; e = errno; }
    if (fclose(of->f) != 0 && !bad) { bad = 1; e = errno; }
    of->f = NULL;
    if (!bad && check_replaceable(of->final_path, err) != 0) { /* it appeared meanwhile */
        sm_outfile_abort(of);
        return SM_ERR_IO;
    }
    if (!bad && rename(of->tmp_path, of->final_path) != 0) { bad = 1; e = errno; }
    if (bad) {
        sm_error_set(err, SM_ERR_IO, "%s: write failed: %s", of->final_path,
                     e ? strerror(e) : "unknown error");
        sm_outfile_abort(of);
        return SM_ERR_IO;
    }
    free(of->tmp_path);
    free(of->final_path);
    of->tmp_path = of->final_path = NULL;
    return 0;
}

void sm_outfile_abort(sm_outfile *of)
{
    if (!of) return;
    if (of->f) fclose(of->f);
    if (of->tmp_path) unlink(of->tmp_path);
    free(of->tmp_path);
    free(of->final_path);
    of->f = NULL;
    of->tmp_path = of->final_path = NULL;
}

int sm_write_file(const char *path, const void *data, size_t n, sm_error *err)
{
    sm_outfile of;
    int rc = sm_outfile_open(&of, path, err);
    if (rc) return rc;
    if (n && fwrite(data, 1, n, of.f) != n) {
        int e = errno;
        sm_outfile_abort(&of);
        return sm_error_set(err, SM_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return sm_outfile_commit(&of, err);
}

int sm_check_input_file(const char *path, sm_error *err)
{
    struct stat st;
    if (!path || !*path) return sm_error_set(err, SM_ERR_IO, "no file name given");
    if (stat(path, &st) != 0) return sm_error_set(err, SM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sm_error_set(err, SM_ERR_IO, "%s: is %s; soundmatch reads regular files", path,
                            file_kind(st.st_mode));
    return 0;
}

int sm_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *n,
                 sm_error *err)
{
    FILE *f;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    *data = NULL;
    *n = 0;
    if (!max_bytes) max_bytes = (size_t)1 << 30;
    if (sm_check_input_file(path, err) != 0) return SM_ERR_IO;
    f = fopen(path, "rb");
    if (!f) return sm_error_set(err, SM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb;
            if (cap > max_bytes + 1) {
                free(buf);
                fclose(f);
                return sm_error_set(err, SM_ERR_RANGE, "%s: file larger than %zu bytes", path,
                                    max_bytes);
            }
            nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return sm_error_set(err, SM_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return sm_error_set(err, SM_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    if (len > max_bytes) {
        free(buf);
        return sm_error_set(err, SM_ERR_RANGE, "%s: file larger than %zu bytes", path, max_bytes);
    }
    buf[len] = 0;
    *data = buf;
    *n = len;
    return 0;
}

int sm_mkdir_p(const char *path, sm_error *err)
{
    char *p, *s;
    struct stat st;
    if (!path || !*path) return sm_error_set(err, SM_ERR_ARG, "empty folder name");
    s = strdup(path);
    if (!s) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (p = s + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(s, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                sm_error_set(err, SM_ERR_IO, "%s: cannot create folder: %s", s, strerror(e));
                free(s);
                return SM_ERR_IO;
            }
            *p = c;
            if (!c) break;
        }
    }
    free(s);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sm_error_set(err, SM_ERR_IO, "%s: not a folder", path);
    return 0;
}

char *sm_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s;
    if (a && dir[a - 1] == '/') a--;
    s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    s[a] = '/';
    memcpy(s + a + 1, name, b + 1);
    if (!a) memmove(s, s + 1, b + 1); /* empty dir: just the name */
    return s;
}

/* 1 if the last component of path is NAME.tmp.XXXXXX as sm_outfile_open names it (mkstemp
 * replaces the six X by letters and digits). */
static int is_outfile_tmp(const char *base)
{
    size_t len = strlen(base), i;
    if (len < 12 || memcmp(base + len - 11, ".tmp.", 5) != 0) return 0;
    for (i = len - 6; i < len; i++) {
        char c = base[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* nftw has no context argument: the walk's state, for the one walk at a time that
 * sm_remove_stale_tmp makes (it is not called from several threads). */
static size_t stale_count;
static int stale_errno;
static char stale_failed[4096];

static int remove_if_stale(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    if (type != FTW_F || !is_outfile_tmp(path + ftw->base)) return 0;
    if (unlink(path) != 0) {
        stale_errno = errno;
        snprintf(stale_failed, sizeof stale_failed, "%s", path);
        return 1;
    }
    stale_count++;
    return 0;
}

int sm_remove_stale_tmp(const char *dir, size_t *n_removed, sm_error *err)
{
    struct stat st;
    int rc;
    if (n_removed) *n_removed = 0;
    if (!dir || !*dir) return sm_error_set(err, SM_ERR_ARG, "no folder given");
    if (stat(dir, &st) != 0 && errno == ENOENT) return 0;
    stale_count = 0;
    stale_errno = 0;
    stale_failed[0] = '\0';
    rc = nftw(dir, remove_if_stale, 16, FTW_PHYS);
    if (n_removed) *n_removed = stale_count;
    if (rc == 1)
        return sm_error_set(err, SM_ERR_IO, "%s: cannot remove this stale temporary file: %s",
                            stale_failed, strerror(stale_errno));
    if (rc != 0)
        return sm_error_set(err, SM_ERR_IO, "%s: cannot read this folder: %s", dir,
                            strerror(errno));
    return 0;
}

/* ---- folder locks and removal --------------------------------------------------------- */

struct sm_dir_lock {
    int fd;
};

int sm_dir_lock_take(const char *dir, const char *what, sm_dir_lock **lock, sm_error *err)
{
    char *path, host[256] = "?", holder[512], stamp[64];
    sm_dir_lock *l;
    time_t now = time(NULL);
    struct tm tmv;
    int fd, len;
    if (lock) *lock = NULL;
    if (!dir || !lock) return sm_error_set(err, SM_ERR_ARG, "no folder to lock");
    path = sm_path_join(dir, ".soundmatch.lock");
    if (!path) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        int e = errno;
        sm_error_set(err, SM_ERR_IO, "%s: cannot open the folder's lock file: %s", path, strerror(e));
        free(path);
        return SM_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        ssize_t n = e == EWOULDBLOCK ? pread(fd, holder, sizeof holder - 1, 0) : -1;
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            sm_error_set(err, SM_ERR_CONFIG, "%s is in use by another soundmatch (%s); wait for it "
                         "to finish, or choose another folder with -o", dir,
                         holder[0] ? holder : "holder unknown");
        else
            sm_error_set(err, SM_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
        close(fd);
        free(path);
        return err && err->code ? err->code : SM_ERR_IO;
    }
    free(path);
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    localtime_r(&now, &tmv);
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tmv);
    len = snprintf(holder, sizeof holder, "%s, process %ld on %s, since %s\n",
                   what ? what : "soundmatch", (long)getpid(), host, stamp);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, holder, (size_t)len, 0) != len) {
        /* the lock holds without its note; the message of a second run says "holder unknown" */
    }
    l = malloc(sizeof *l);
    if (!l) {
        close(fd);
        return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    }
    l->fd = fd;
    *lock = l;
    return 0;
}

void sm_dir_lock_release(sm_dir_lock *lock)
{
    if (!lock) return;
    if (ftruncate(lock->fd, 0) != 0) {
        /* a stale note is harmless: a holder is only believed while its flock is held */
    }
    flock(lock->fd, LOCK_UN);
    close(lock->fd);
    free(lock);
}

int sm_dir_exists(const char *path, int *empty)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    if (empty) *empty = 0;
    if (!path || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    if (empty && (d = opendir(path))) {
        *empty = 1;
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                *empty = 0;
                break;
            }
        closedir(d);
    }
    return 1;
}

static char tree_failed[4096];
static int tree_keep_top, tree_errno;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level == 0 && tree_keep_top) return 0;
    if (remove(path) != 0) {
        tree_errno = errno;
        snprintf(tree_failed, sizeof tree_failed, "%s", path);
        return 1;
    }
    return 0;
}

int sm_remove_tree(const char *dir, int keep_top, sm_error *err)
{
    int rc;
    if (!dir || !*dir) return sm_error_set(err, SM_ERR_ARG, "no folder given");
    tree_keep_top = keep_top;
    tree_errno = 0;
    tree_failed[0] = '\0';
    rc = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == 1)
        return sm_error_set(err, SM_ERR_IO, "%s: cannot remove: %s", tree_failed,
                            strerror(tree_errno));
    if (rc != 0) return sm_error_set(err, SM_ERR_IO, "%s: cannot read: %s", dir, strerror(errno));
    return 0;
}
