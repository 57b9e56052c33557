/* SPDX-License-Identifier: GPL-3.0-or-later */
/* core/fileio.h: files written all-or-nothing, and small file helpers.
 *
 * Every output soundmatch makes is written to "PATH.tmp.XXXXXX" in the same folder and renamed
 * over PATH only when complete, so an error or a crash never leaves a half-written file. */
#ifndef SM_FILEIO_H
#define SM_FILEIO_H

#include <stdio.h>
#include "core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    FILE *f;          /* write through this stream */
    char *tmp_path;   /* owned */
    char *final_path; /* owned */
} sm_outfile;

/* Opens a temporary file beside path. Returns 0, SM_ERR_IO (folder missing, not writable, or
 * path exists and is not a regular file: a folder, device or FIFO is never replaced) or
 * SM_ERR_NOMEM; on failure *of is zeroed. */
int sm_outfile_open(sm_outfile *of, const char *path, sm_error *err);
/* Flushes, closes and renames over the final path (refusing, as sm_outfile_open does, a final
 * path that is now something other than a regular file). On any failure removes the temporary
 * file and returns SM_ERR_IO. Always releases of's resources. */
int sm_outfile_commit(sm_outfile *of, sm_error *err);
/* Closes and removes the temporary file. Harmless on a zeroed or already finished sm_outfile. */
void sm_outfile_abort(sm_outfile *of);

/* Writes n bytes to path all-or-nothing (through sm_outfile). Returns 0, SM_ERR_IO or
 * SM_ERR_NOMEM. */
int sm_write_file(const char *path, const void *data, size_t n, sm_error *err);

/* Checks that path names something soundmatch can read as a file: a regular file, or a link
 * to one. A folder, FIFO, device or socket is refused (reading a FIFO would wait for a writer
 * forever). Returns 0, or SM_ERR_IO with a message naming path and what it is. */
int sm_check_input_file(const char *path, sm_error *err);

/* Reads a whole file into a new buffer (NUL-terminated for convenience; *n excludes the NUL).
 * max_bytes caps the size (0: 1 GiB). Only regular files are read (sm_check_input_file).
 * The caller frees *data. Returns 0, SM_ERR_IO,
 * SM_ERR_RANGE (too large) or SM_ERR_NOMEM. */
int sm_read_file(const char *path, size_t max_bytes, unsigned char **data, size_t *n, sm_error *err);

/* Creates a folder and its parents (like mkdir -p). Returns 0 or SM_ERR_IO. */
int sm_mkdir_p(const char *path, sm_error *err);

/* Removes, under folder dir and its subfolders, the temporary files that sm_outfile leaves when
 * its process is killed mid-write (regular files named "NAME.tmp.XXXXXX", six letters or
 * digits). No other process may be writing outputs under dir. *n_removed (may be NULL) gets
 * the count. A missing dir is not an error. Returns 0 or SM_ERR_IO (naming the file). */
int sm_remove_stale_tmp(const char *dir, size_t *n_removed, sm_error *err);

/* An exclusive hold on an output folder, so that two runs never write into one folder. */
typedef struct sm_dir_lock sm_dir_lock;

/* Locks folder dir (which must exist) through flock on the file DIR/.soundmatch.lock, and
 * writes into that file who holds it: process id, host, start time and `what` (a short phrase
 * such as "soundmatch run exp.ini"). The lock ends with sm_dir_lock_release or with the
 * process. Returns 0 and a new *lock, SM_ERR_CONFIG when another process holds the folder (the
 * message names it), SM_ERR_IO or SM_ERR_NOMEM. */
int sm_dir_lock_take(const char *dir, const char *what, sm_dir_lock **lock, sm_error *err);
/* Releases and frees a lock; the lock file stays, empty of a holder. NULL is harmless. */
void sm_dir_lock_release(sm_dir_lock *lock);

/* Reports whether path is an existing folder (1), with *empty set when it holds no entry. */
int sm_dir_exists(const char *path, int *empty);

/* Removes folder dir with everything under it, without following symbolic links (when
 * keep_top is set, empties it and keeps the folder itself). Returns 0 or SM_ERR_IO. */
int sm_remove_tree(const char *dir, int keep_top, sm_error *err);

/* Joins folder and name with one '/'; returns a new string the caller frees, or NULL. */
char *sm_path_join(const char *dir, const char *name);

#ifdef __cplusplus
}
#endif

#endif
