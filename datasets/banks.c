/* SPDX-License-Identifier: GPL-3.0-or-later */
/* datasets/banks.c: voice names and bank files of many voices (see datasets/banks.h). */
#include "datasets/banks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void sm_bank_name_from_text(const char *text, int upper, sm_voice_name out)
{
    size_t k;
    if (!text) text = "";
    for (k = 0; k < SM_DX7_NAME_LEN && text[k]; k++) {
        unsigned char c = (unsigned char)text[k];
        if (upper && c == '_') c = ' ';
        out[k] = sm_dx7_name_char(upper && c < 128 ? (unsigned char)toupper(c) : c);
    }
    out[k] = '\0';
    while (k > 0 && out[k - 1] == ' ') out[--k] = '\0';
}

void sm_bank_unique_name(sm_voice_name *names, size_t from, size_t i)
{
    sm_voice_name base, cand;
    unsigned num;
    size_t j;
    snprintf(base, sizeof base, "%s", names[i]);
    if (!*base) snprintf(base, sizeof base, "VOICE");
    snprintf(cand, sizeof cand, "%s", base);
    for (num = 2;; num++) {
        for (j = from; j < i; j++)
            if (strcmp(names[j], cand) == 0) break;
        if (j == i) break;
        {
            char suffix[16];
            size_t sl = (size_t)snprintf(suffix, sizeof suffix, " %u", num), bl = strlen(base);
            if (bl > SM_DX7_NAME_LEN - sl) bl = SM_DX7_NAME_LEN - sl;
            while (bl > 0 && base[bl - 1] == ' ') bl--;
            memcpy(cand, base, bl);
            memcpy(cand + bl, suffix, sl + 1);
        }
    }
    memcpy(names[i], cand, sizeof cand);
}

void sm_bank_set_name(sm_dx7_voice *v, const char *name)
{
    size_t k, n = name ? strlen(name) : 0;
    for (k = 0; k < SM_DX7_NAME_LEN; k++)
        v->vced[SM_DX7_NAME + k] = (unsigned char)(k < n ? name[k] : ' ');
}

char *sm_bank_file(const char *out, size_t b)
{
    size_t ol, bl, n;
    const char *ext = ".syx";
    char *p;
    if (!out) return NULL;
    ol = bl = strlen(out);
    if (ol > 4 && strcasecmp(out + ol - 4, ".syx") == 0) {
        ext = out + ol - 4;
        bl = ol - 4;
    }
    n = ol + 40;
    if (!(p = malloc(n))) return NULL;
    if (b == 0) snprintf(p, n, "%.*s%s", (int)bl, out, ext);
    else snprintf(p, n, "%.*s-%zu%s", (int)bl, out, b + 1, ext);
    return p;
}

size_t sm_bank_count(size_t n)
{
    return (n + SM_DX7_BANK_VOICES - 1) / SM_DX7_BANK_VOICES;
}

void sm_bank_files_free(char **files, size_t n)
{
    size_t i;
    if (!files) return;
    for (i = 0; i < n; i++) free(files[i]);
    free(files);
}

int sm_bank_write_all(const char *out, const sm_dx7_voice *voices, size_t n, char ***files,
                      sm_error *err)
{
    size_t n_banks = sm_bank_count(n), b;
    char **f;
    if (files) *files = NULL;
    if (!out || !voices || n == 0)
        return sm_error_set(err, SM_ERR_ARG, "bank files: no voices or no file name");
    if (!(f = calloc(n_banks, sizeof *f))) return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
    for (b = 0; b < n_banks; b++)
        if (!(f[b] = sm_bank_file(out, b))) {
            sm_bank_files_free(f, n_banks);
            return sm_error_set(err, SM_ERR_NOMEM, "out of memory");
        }
    for (b = 0; b < n_banks; b++) {
        size_t nv = n - b * SM_DX7_BANK_VOICES;
        int rc;
        if (nv > SM_DX7_BANK_VOICES) nv = SM_DX7_BANK_VOICES;
        rc = sm_dx7_write_bank(f[b], voices + b * SM_DX7_BANK_VOICES, nv, err);
        if (rc) {
            while (b-- > 0) unlink(f[b]); /* all or nothing */
            sm_bank_files_free(f, n_banks);
            return rc;
        }
    }
    if (files) *files = f;
    else sm_bank_files_free(f, n_banks);
    return 0;
}
