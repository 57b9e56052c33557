/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tests/test_synth_dx7_sysex.c: DX7 sysex reading, clamping and writing (synths/dx7_sysex).
 *
 * Known answers come from the factory ROM banks in ../shared/data/dx7 (see its README): voice
 * names, algorithms, feedback, and the out-of-range fields each bank holds. The clamp counts
 * asserted here were checked by decoding the banks' bytes by hand (see clamp_counts). Round
 * trips compare whole files byte for byte, with the reported clamps applied to the original. */
#include "tests/test_util.h"

#include <dirent.h>

#include "core/fileio.h"
#include "synths/dx7_sysex.h"

static const char *const bank_files[] = {
    "rom1a.syx", "rom1b.syx", "rom2a.syx", "rom2b.syx",
    "rom3a.syx", "vrc101a.syx", "meadows_01_keys.syx",
};
#define N_BANKS (sizeof bank_files / sizeof bank_files[0])

/* A copy of the path of a shared data file (the helper's buffer is reused). */
static char *shared(const char *rel)
{
    const char *p = sm_test_shared_path(rel);
    char *s;
    assert_non_null(p);
    s = strdup(p);
    assert_non_null(s);
    return s;
}

static unsigned char *read_all(const char *path, size_t *n)
{
    unsigned char *d = NULL;
    sm_error err = {0, ""};
    int rc = sm_read_file(path, 0, &d, n, &err);
    if (rc) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return d;
}

static void write_raw(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n) assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Removes a flat folder made by sm_test_tmpdir and everything in it. */
static void remove_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    char path[4200];
    if (!dp) return;
    while ((e = readdir(dp))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    rmdir(dir);
}

static size_t count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(dp);
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dp);
    return n;
}

static int lowest_bit(unsigned mask)
{
    int s = 0;
    while (mask && !(mask & 1u)) {
        mask >>= 1;
        s++;
    }
    return s;
}

/* Checks that each clamp tells the truth about the stored voices (stride bytes each, the first
 * at data) and applies it to data. */
static void check_and_apply_clamps(const sm_dx7_bank *b, unsigned char *data, size_t stride)
{
    for (size_t i = 0; i < b->n_clamped; i++) {
        const sm_dx7_clamp *c = &b->clamps[i];
        unsigned char *byte;
        int lo = lowest_bit(c->mask);
        assert_true(c->voice >= 1 && c->voice <= b->n);
        assert_true(c->offset >= 0 && (size_t)c->offset < stride);
        assert_true(c->mask != 0 && c->mask <= 0xFF);
        byte = data + (c->voice - 1) * stride + (size_t)c->offset;
        assert_int_equal((*byte & c->mask) >> lo, c->raw);
        if (c->param < 0) {
            assert_int_not_equal(c->raw, 0);
            assert_int_equal(c->value, 0);
        } else if (c->param >= SM_DX7_NAME) {
            assert_int_equal(c->value, sm_dx7_name_char((unsigned char)c->raw));
        } else {
            assert_true(c->raw > sm_dx7_param_max(c->param));
            assert_int_equal(c->value, sm_dx7_param_max(c->param));
            assert_string_equal(c->field, sm_dx7_param_name(c->param));
        }
        *byte = (unsigned char)((*byte & ~c->mask) | (((unsigned)c->value << lo) & c->mask));
    }
}

static int load_ok(const char *path, sm_dx7_bank *b)
{
    sm_error err = {0, ""};
    int rc = sm_dx7_load(path, b, &err);
    if (rc) print_error("%s\n", err.msg);
    assert_int_equal(rc, 0);
    return rc;
}

/* ---- Known answers ------------------------------------------------------------------- */

static void known_voices(void **state)
{
    sm_dx7_bank b;
    char *path, name[SM_DX7_NAME_LEN + 1];
    double native[SM_FM6_NPARAMS];
    size_t idx = 99;
    sm_error err = {0, ""};
    (void)state;
    SM_TEST_NEED_SHARED();
    path = shared("dx7/rom1a.syx");
    load_ok(path, &b);
    assert_int_equal(b.kind, SM_DX7_KIND_BULK);
    assert_int_equal(b.n, 32);
    assert_int_equal(b.channel, 0);
    assert_int_equal(b.checksum_ok, 1);
    assert_int_equal(b.checksum_stored, b.checksum_computed);
    assert_int_equal(b.n_clamped, 0);

    sm_dx7_voice_name(&b.voices[0], name);
    assert_string_equal(name, "BRASS   1");
    assert_int_equal(b.voices[0].vced[SM_DX7_ALGORITHM], 21);
    assert_int_equal(b.voices[0].vced[SM_DX7_FEEDBACK], 7);
    sm_dx7_voice_to_native(&b.voices[0], native);
    assert_close(native[SM_DX7_ALGORITHM], 22, 0);
    assert_close(native[SM_DX7_FEEDBACK], 7, 0);

    sm_dx7_voice_name(&b.voices[10], name);
    assert_string_equal(name, "E.PIANO 1");
    assert_int_equal(b.voices[10].vced[SM_DX7_ALGORITHM], 4);
    assert_int_equal(b.voices[10].vced[SM_DX7_FEEDBACK], 6);
    sm_dx7_voice_to_native(&b.voices[10], native);
    assert_close(native[SM_DX7_ALGORITHM], 5, 0);

    assert_int_equal(sm_dx7_find_voice(&b, "11", &idx, &err), 0);
    assert_int_equal(idx, 10);
    assert_int_equal(sm_dx7_find_voice(&b, "E.PIANO 1", &idx, &err), 0);
    assert_int_equal(idx, 10);
    assert_int_equal(sm_dx7_find_voice(&b, "e.piano 1   ", &idx, &err), 0);
    assert_int_equal(idx, 10);
    assert_int_equal(sm_dx7_find_voice(&b, "brass   1", &idx, &err), 0);
    assert_int_equal(idx, 0);
    assert_int_equal(sm_dx7_find_voice(&b, "32", &idx, &err), 0);
    assert_int_equal(idx, 31);
    assert_int_equal(sm_dx7_find_voice(&b, "33", &idx, &err), SM_ERR_NOTFOUND);
    assert_int_equal(sm_dx7_find_voice(&b, "0", &idx, &err), SM_ERR_NOTFOUND);
    assert_int_equal(sm_dx7_find_voice(&b, "BRASS 1", &idx, &err), SM_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "BRASS 1"));
    assert_int_equal(sm_dx7_find_voice(&b, "", &idx, &err), SM_ERR_ARG);
    assert_int_equal(sm_dx7_find_voice(&b, NULL, &idx, &err), SM_ERR_ARG);
    sm_dx7_bank_free(&b);
    assert_null(b.voices);
    sm_dx7_bank_free(&b);
    sm_dx7_bank_free(NULL);
    free(path);
}

/* Clamp counts per bank, verified by decoding the bytes independently:
 *   rom1a, rom1b, rom2a, rom2b: every field within its width and range: 0.
 *   rom3a: 5 = stray bits 4-6 of byte 111 (above OKS|FB) in voices 2, 4, 15 (values 1, 5, 2),
 *          OP2 EG LEVEL 3 = 127 in voice 20 (byte 74), byte 11 of OP1 = 0x7F in voice 22
 *          (byte 96; curves 3/3 are legal, bits 4-6 = 7 are stray).
 *   vrc101a: 4 = break point 127 (OP4 in voice 4; OP2 in voices 17, 25, 27).
 *   meadows_01_keys: 2 = OP6 LEFT DEPTH and OP5 EG LEVEL 2 = 127 in voice 24. */
static void clamp_counts(void **state)
{
    static const size_t expect[N_BANKS] = {0, 0, 0, 0, 5, 4, 2};
    (void)state;
    SM_TEST_NEED_SHARED();
    for (size_t k = 0; k < N_BANKS; k++) {
        char rel[64], *path;
        sm_dx7_bank b;
        snprintf(rel, sizeof rel, "dx7/%s", bank_files[k]);
        path = shared(rel);
        load_ok(path, &b);
        if (b.n_clamped != expect[k])
            print_error("%s: %zu clamps, expected %zu\n", bank_files[k], b.n_clamped, expect[k]);
        assert_int_equal(b.n_clamped, expect[k]);
        assert_int_equal(b.checksum_ok, 1);
        if (!strcmp(bank_files[k], "rom3a.syx")) {
            static const size_t fb_voice[3] = {2, 4, 15};
            static const int fb_raw[3] = {1, 5, 2};
            char line[200];
            for (int i = 0; i < 3; i++) {
                const sm_dx7_clamp *c = &b.clamps[i];
                assert_int_equal(c->voice, fb_voice[i]);
                assert_int_equal(c->offset, 111);
                assert_int_equal(c->mask, 0xF0);
                assert_int_equal(c->param, -1);
                assert_int_equal(c->raw, fb_raw[i]);
                assert_int_equal(c->value, 0);
                assert_non_null(strstr(c->field, "FEEDBACK"));
            }
            assert_int_equal(b.clamps[3].voice, 20);
            assert_int_equal(b.clamps[3].offset, 74);
            assert_int_equal(b.clamps[3].mask, 0x7F);
            assert_int_equal(b.clamps[3].param, 4 * 21 + 6);
            assert_string_equal(b.clamps[3].field, "OP2 EG LEVEL 3");
            assert_int_equal(b.clamps[3].raw, 127);
            assert_int_equal(b.clamps[3].value, 99);
            assert_int_equal(b.voices[19].vced[4 * 21 + 6], 99);
            sm_dx7_clamp_describe(&b.clamps[3], line, sizeof line);
            assert_string_equal(line, "voice 20: OP2 EG LEVEL 3 was 127, now 99");
            assert_int_equal(b.clamps[4].voice, 22);
            assert_int_equal(b.clamps[4].offset, 96);
            assert_int_equal(b.clamps[4].mask, 0xF0);
            assert_int_equal(b.clamps[4].raw, 7);
            assert_string_equal(b.clamps[4].field, "OP1 LEFT/RIGHT CURVE unused bits 4-7");
            assert_int_equal(b.voices[21].vced[5 * 21 + 11], 3);
            assert_int_equal(b.voices[21].vced[5 * 21 + 12], 3);
            sm_dx7_clamp_describe(&b.clamps[0], line, sizeof line);
            assert_non_null(strstr(line, "voice 2: OSC KEY SYNC/FEEDBACK unused bits 4-7"));
        }
        if (!strcmp(bank_files[k], "meadows_01_keys.syx")) {
            assert_string_equal(b.clamps[0].field, "OP6 LEFT DEPTH");
            assert_int_equal(b.clamps[0].voice, 24);
            assert_string_equal(b.clamps[1].field, "OP5 EG LEVEL 2");
        }
        if (!strcmp(bank_files[k], "vrc101a.syx")) {
            assert_string_equal(b.clamps[0].field, "OP4 BREAK POINT");
            assert_int_equal(b.clamps[0].voice, 4);
            assert_int_equal(b.clamps[0].raw, 127);
        }
        sm_dx7_bank_free(&b);
        free(path);
    }
}

/* The packed layout as section F of the DX7 data format text spells it, written out field by
 * field (independently of the module's table). */
static void decode_by_the_book(const unsigned char *p, unsigned char *vc)
{
    for (int k = 0; k < 6; k++) {
        const unsigned char *o = p + 17 * k;
        unsigned char *u = vc + 21 * k;
        for (int i = 0; i < 11; i++) u[i] = o[i];
        u[11] = o[11] & 3;           /* LC */
        u[12] = (o[11] >> 2) & 3;    /* RC */
        u[13] = o[12] & 7;           /* RS */
        u[20] = (o[12] >> 3) & 15;   /* DET */
        u[14] = o[13] & 3;           /* AMS */
        u[15] = (o[13] >> 2) & 7;    /* KVS */
        u[16] = o[14];               /* OL */
        u[17] = o[15] & 1;           /* M */
        u[18] = (o[15] >> 1) & 31;   /* FC */
        u[19] = o[16];               /* FF */
    }
    for (int i = 0; i < 8; i++) vc[126 + i] = p[102 + i];
    vc[134] = p[110] & 31;
    vc[135] = p[111] & 7;
    vc[136] = (p[111] >> 3) & 1;
    for (int i = 0; i < 4; i++) vc[137 + i] = p[112 + i];
    vc[141] = p[116] & 1;
    vc[142] = (p[116] >> 1) & 7;
    vc[143] = (p[116] >> 4) & 7;
    vc[144] = p[117];
    for (int i = 0; i < 10; i++) vc[145 + i] = p[118 + i];
}

/* Every voice of the four clean factory banks unpacks to exactly the documented fields. */
static void layout_matches_format_text(void **state)
{
    (void)state;
    SM_TEST_NEED_SHARED();
    for (size_t k = 0; k < 4; k++) {
        char rel[64], *path;
        sm_dx7_bank b;
        unsigned char *d, vc[SM_DX7_VCED_SIZE];
        size_t n;
        snprintf(rel, sizeof rel, "dx7/%s", bank_files[k]);
        path = shared(rel);
        load_ok(path, &b);
        assert_int_equal(b.n_clamped, 0);
        d = read_all(path, &n);
        for (size_t i = 0; i < 32; i++) {
            decode_by_the_book(d + 6 + i * 128, vc);
            assert_memory_equal(vc, b.voices[i].vced, SM_DX7_VCED_SIZE);
        }
        free(d);
        sm_dx7_bank_free(&b);
        free(path);
    }
}

/* ---- Round trips --------------------------------------------------------------------- */

/* load -> write -> the written file equals the original with the clamps applied. */
static void bank_round_trip(void **state)
{
    const char *tmp;
    char out[4200];
    (void)state;
    SM_TEST_NEED_SHARED();
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    snprintf(out, sizeof out, "%s/out.syx", tmp);
    for (size_t k = 0; k < N_BANKS; k++) {
        char rel[64], *path;
        sm_dx7_bank b, b2;
        unsigned char *orig, *written;
        size_t n_orig, n_written;
        sm_error err = {0, ""};
        snprintf(rel, sizeof rel, "dx7/%s", bank_files[k]);
        path = shared(rel);
        load_ok(path, &b);
        assert_int_equal(sm_dx7_write_bank(out, b.voices, b.n, &err), 0);
        orig = read_all(path, &n_orig);
        written = read_all(out, &n_written);
        assert_int_equal(n_orig, SM_DX7_BANK_FILE_SIZE);
        assert_int_equal(n_written, SM_DX7_BANK_FILE_SIZE);
        check_and_apply_clamps(&b, orig + 6, SM_DX7_VMEM_SIZE);
        orig[4102] = sm_dx7_checksum(orig + 6, 4096);
        if (b.n_clamped == 0) assert_int_equal(orig[4102], written[4102]);
        assert_memory_equal(orig, written, SM_DX7_BANK_FILE_SIZE);
        /* The written bank is clean and holds the same voices. */
        load_ok(out, &b2);
        assert_int_equal(b2.n_clamped, 0);
        assert_int_equal(b2.checksum_ok, 1);
        assert_memory_equal(b2.voices, b.voices, 32 * sizeof *b.voices);
        sm_dx7_bank_free(&b2);
        sm_dx7_bank_free(&b);
        free(orig);
        free(written);
        free(path);
    }
    assert_int_equal(count_entries(tmp), 1);
    remove_dir(tmp);
}

static void single_round_trip(void **state)
{
    const char *tmp;
    char one[4200], two[4200], bad[4200];
    sm_dx7_bank b, s;
    char *path;
    unsigned char *d1, *d2, raw[SM_DX7_SINGLE_FILE_SIZE], *d3;
    size_t n1, n2, n3;
    sm_error err = {0, ""};
    (void)state;
    SM_TEST_NEED_SHARED();
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    snprintf(one, sizeof one, "%s/one.syx", tmp);
    snprintf(two, sizeof two, "%s/two.syx", tmp);
    snprintf(bad, sizeof bad, "%s/bad.syx", tmp);
    path = shared("dx7/rom1a.syx");
    load_ok(path, &b);
    for (size_t i = 0; i < b.n; i++) {
        assert_int_equal(sm_dx7_write_single(one, &b.voices[i], &err), 0);
        d1 = read_all(one, &n1);
        assert_int_equal(n1, SM_DX7_SINGLE_FILE_SIZE);
        assert_int_equal(d1[0], 0xF0);
        assert_int_equal(d1[1], 0x43);
        assert_int_equal(d1[2], 0x00);
        assert_int_equal(d1[3], 0x00);
        assert_int_equal(d1[4], 0x01);
        assert_int_equal(d1[5], 0x1B);
        assert_memory_equal(d1 + 6, b.voices[i].vced, SM_DX7_VCED_SIZE);
        assert_int_equal(d1[161], sm_dx7_checksum(d1 + 6, 155));
        assert_int_equal(d1[162], 0xF7);
        load_ok(one, &s);
        assert_int_equal(s.kind, SM_DX7_KIND_SINGLE);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.checksum_ok, 1);
        assert_int_equal(s.n_clamped, 0);
        assert_memory_equal(s.voices[0].vced, b.voices[i].vced, SM_DX7_VCED_SIZE);
        assert_int_equal(sm_dx7_write_single(two, &s.voices[0], &err), 0);
        d2 = read_all(two, &n2);
        assert_int_equal(n2, n1);
        assert_memory_equal(d1, d2, n1);
        sm_dx7_bank_free(&s);
        free(d1);
        free(d2);
    }

    /* A single voice with out-of-range values, odd name characters and a wrong checksum. */
    memcpy(raw, (unsigned char[]){0xF0, 0x43, 0x05, 0x00, 0x01, 0x1B}, 6);
    memcpy(raw + 6, b.voices[10].vced, 155);
    raw[6 + 135] = 9;          /* feedback 0..7 */
    raw[6 + 16] = 127;         /* OP6 output level 0..99 */
    raw[6 + 20] = 15;          /* OP6 detune 0..14 */
    raw[6 + 134] = 40;         /* algorithm 0..31 */
    raw[6 + 142] = 6;          /* LFO wave 0..5 */
    raw[6 + 144] = 60;         /* transpose 0..48 */
    raw[6 + 145] = '\\';
    raw[6 + 146] = '~';
    raw[6 + 147] = 0x7F;
    raw[6 + 148] = 0x00;
    raw[161] = (unsigned char)(sm_dx7_checksum(raw + 6, 155) ^ 1);
    raw[162] = 0xF7;
    write_raw(bad, raw, sizeof raw);
    load_ok(bad, &s);
    assert_int_equal(s.kind, SM_DX7_KIND_SINGLE);
    assert_int_equal(s.channel, 5);
    assert_int_equal(s.checksum_ok, 0);
    assert_int_equal(s.checksum_stored, raw[161]);
    assert_int_equal(s.n_clamped, 10);
    assert_int_equal(s.voices[0].vced[135], 7);
    assert_int_equal(s.voices[0].vced[16], 99);
    assert_int_equal(s.voices[0].vced[20], 14);
    assert_int_equal(s.voices[0].vced[134], 31);
    assert_int_equal(s.voices[0].vced[142], 5);
    assert_int_equal(s.voices[0].vced[144], 48);
    assert_memory_equal(s.voices[0].vced + 145, "/-  ANO 1 ", 10);
    assert_int_equal(sm_dx7_write_single(two, &s.voices[0], &err), 0);
    d3 = read_all(two, &n3);
    check_and_apply_clamps(&s, raw + 6, SM_DX7_VCED_SIZE);
    raw[2] = 0x00; /* written on channel 1 */
    raw[161] = sm_dx7_checksum(raw + 6, 155);
    assert_int_equal(n3, sizeof raw);
    assert_memory_equal(d3, raw, sizeof raw);
    free(d3);
    sm_dx7_bank_free(&s);
    sm_dx7_bank_free(&b);
    free(path);
    remove_dir(tmp);
}

/* Every voice of the 31,380-voice stream: clamps are truthful; pack gives the original bytes
 * with the clamps applied; unpack(pack(v)) = v; vced -> native -> vced is exact. */
static void stream_round_trip(void **state)
{
    sm_dx7_bank b;
    char *path;
    unsigned char *orig, packed[SM_DX7_VMEM_SIZE];
    size_t n;
    double native[SM_FM6_NPARAMS];
    size_t n_stray = 0, n_detune = 0, n_names = 0;
    (void)state;
    SM_TEST_NEED_SHARED();
    path = shared("dx7/voices31380.bin");
    load_ok(path, &b);
    assert_int_equal(b.kind, SM_DX7_KIND_STREAM);
    assert_int_equal(b.n, 31380);
    assert_int_equal(b.checksum_ok, 1);
    assert_true(b.n_clamped > 0);
    orig = read_all(path, &n);
    assert_int_equal(n, 31380u * 128u);
    for (size_t i = 0; i < b.n_clamped; i++) {
        const sm_dx7_clamp *c = &b.clamps[i];
        if (c->param < 0) n_stray++;
        if (c->param == 20 && c->raw == 15) n_detune++;
        if (c->param >= SM_DX7_NAME) n_names++;
    }
    assert_true(n_stray > 0);
    assert_true(n_detune > 0); /* the detune of 15 the README mentions */
    assert_true(n_names > 0);
    check_and_apply_clamps(&b, orig, SM_DX7_VMEM_SIZE);
    for (size_t i = 0; i < b.n; i++) {
        sm_dx7_voice v, w;
        char name[SM_DX7_NAME_LEN + 1];
        sm_dx7_pack_voice(&b.voices[i], packed);
        if (memcmp(packed, orig + i * SM_DX7_VMEM_SIZE, SM_DX7_VMEM_SIZE) != 0) {
            print_error("voice %zu packs differently\n", i + 1);
            fail();
        }
        assert_int_equal(sm_dx7_unpack_voice(packed, &v), 0);
        assert_memory_equal(&v, &b.voices[i], sizeof v);
        assert_int_equal(sm_dx7_voice_clamp(&v), 0);
        sm_dx7_voice_to_native(&b.voices[i], native);
        sm_dx7_voice_name(&b.voices[i], name);
        memset(&w, 0xAA, sizeof w);
        sm_dx7_voice_from_native(&w, native, name);
        if (memcmp(&w, &b.voices[i], sizeof w) != 0) {
            print_error("voice %zu: vced -> native -> vced differs\n", i + 1);
            fail();
        }
    }
    free(orig);
    sm_dx7_bank_free(&b);
    free(path);
}

/* ---- Voices -------------------------------------------------------------------------- */

static void init_voice(void **state)
{
    sm_dx7_voice v, w;
    unsigned char packed[SM_DX7_VMEM_SIZE];
    char name[SM_DX7_NAME_LEN + 1];
    (void)state;
    sm_dx7_voice_init(&v);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "INIT VOICE");
    assert_int_equal(v.vced[SM_DX7_ALGORITHM], 0);
    assert_int_equal(v.vced[5 * 21 + 16], 99); /* OP1 output level */
    assert_int_equal(v.vced[0 * 21 + 16], 0);  /* OP6 output level */
    assert_int_equal(v.vced[20], 7);           /* detune 0 */
    assert_int_equal(v.vced[144], 24);
    assert_int_equal(sm_dx7_voice_clamp(&v), 0);
    sm_dx7_pack_voice(&v, packed);
    assert_int_equal(sm_dx7_unpack_voice(packed, &w), 0);
    assert_memory_equal(&v, &w, sizeof v);
    /* A DX7's own INIT VOICE, as stored in slots 19 and 20 of meadows_01_keys.syx. */
    if (sm_test_shared()) {
        char *path = shared("dx7/meadows_01_keys.syx");
        size_t n;
        unsigned char *d = read_all(path, &n);
        assert_memory_equal(packed, d + 6 + 18 * 128, 128);
        assert_memory_equal(packed, d + 6 + 19 * 128, 128);
        free(d);
        free(path);
    }
}

static void pack_unpack_garbage(void **state)
{
    unsigned char packed[SM_DX7_VMEM_SIZE], again[SM_DX7_VMEM_SIZE];
    sm_dx7_voice v, w;
    uint32_t seed = 12345;
    (void)state;
    memset(packed, 0xFF, sizeof packed);
    /* Every field is at its widest, so almost every field and every byte's stray bits change. */
    assert_true(sm_dx7_unpack_voice(packed, &v) > 100);
    for (int p = 0; p < SM_DX7_NAME; p++) assert_true(v.vced[p] <= sm_dx7_param_max(p));
    for (int k = 0; k < 1000; k++) {
        for (int i = 0; i < SM_DX7_VMEM_SIZE; i++) {
            seed = seed * 1664525u + 1013904223u;
            packed[i] = (unsigned char)(seed >> 24);
        }
        sm_dx7_unpack_voice(packed, &v);
        for (int p = 0; p < SM_DX7_VCED_SIZE; p++) {
            assert_true(v.vced[p] <= sm_dx7_param_max(p));
            if (p >= SM_DX7_NAME) assert_int_equal(sm_dx7_name_char(v.vced[p]), v.vced[p]);
        }
        sm_dx7_pack_voice(&v, again);
        for (int i = 0; i < SM_DX7_VMEM_SIZE; i++) assert_true(again[i] < 0x80);
        assert_int_equal(sm_dx7_unpack_voice(again, &w), 0);
        assert_memory_equal(&v, &w, sizeof v);
    }
    /* Packing clamps a voice it is given with out-of-range values. */
    memset(&v, 0xFF, sizeof v);
    sm_dx7_pack_voice(&v, again);
    assert_int_equal(sm_dx7_unpack_voice(again, &w), 0);
    assert_int_equal(w.vced[SM_DX7_ALGORITHM], 31);
    assert_int_equal(w.vced[20], 14);
    assert_int_equal(w.vced[SM_DX7_NAME], '?');
    assert_int_equal(sm_dx7_voice_clamp(&v), SM_DX7_VCED_SIZE);
    assert_memory_equal(&v, &w, sizeof v);
}

static void native_values(void **state)
{
    sm_dx7_voice v;
    double native[SM_FM6_NPARAMS];
    char name[SM_DX7_NAME_LEN + 1];
    (void)state;
    sm_dx7_voice_init(&v);
    sm_dx7_voice_to_native(&v, native);
    assert_close(native[SM_DX7_ALGORITHM], 1, 0);
    assert_close(native[0], 99, 0);
    assert_close(native[144], 24, 0);

    native[0] = -5;                  /* below range */
    native[1] = 150;                 /* above */
    native[2] = 2.5;                 /* rounds half up */
    native[3] = 2.49;
    native[4] = NAN;
    native[5] = INFINITY;
    native[6] = -INFINITY;
    native[20] = 14.6;               /* detune rounds to 15 then clamps to 14 */
    native[SM_DX7_ALGORITHM] = 32;   /* stored 31 */
    native[SM_DX7_FEEDBACK] = 7.4;
    native[142] = 5.51;              /* LFO wave 0..5 */
    sm_dx7_voice_from_native(&v, native, "Hello\\World~!");
    assert_int_equal(v.vced[0], 0);
    assert_int_equal(v.vced[1], 99);
    assert_int_equal(v.vced[2], 3);
    assert_int_equal(v.vced[3], 2);
    assert_int_equal(v.vced[4], 0);
    assert_int_equal(v.vced[5], 99);
    assert_int_equal(v.vced[6], 0);
    assert_int_equal(v.vced[20], 14);
    assert_int_equal(v.vced[SM_DX7_ALGORITHM], 31);
    assert_int_equal(v.vced[SM_DX7_FEEDBACK], 7);
    assert_int_equal(v.vced[142], 5);
    assert_memory_equal(v.vced + SM_DX7_NAME, "Hello/Worl", 10);
    native[SM_DX7_ALGORITHM] = 0;
    sm_dx7_voice_from_native(&v, native, "Caf\xc3\xa9\tx");
    assert_int_equal(v.vced[SM_DX7_ALGORITHM], 0);
    assert_memory_equal(v.vced + SM_DX7_NAME, "Caf?? x   ", 10);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "Caf?? x");
    sm_dx7_voice_from_native(&v, native, NULL);
    assert_memory_equal(v.vced + SM_DX7_NAME, "          ", 10);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "");
    sm_dx7_voice_from_native(&v, native, "  A B     X");
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "  A B");
}

static void names_and_tables(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        char m = sm_dx7_name_char((unsigned char)c);
        assert_true(m >= 32 && m <= 125 && m != '\\');
        if (c >= 32 && c <= 125 && c != '\\') assert_int_equal(m, c);
    }
    assert_int_equal(sm_dx7_name_char('\\'), '/');
    assert_int_equal(sm_dx7_name_char('~'), '-');
    assert_int_equal(sm_dx7_name_char(127), ' ');
    assert_int_equal(sm_dx7_name_char(0), ' ');
    assert_int_equal(sm_dx7_name_char(200), '?');
    assert_string_equal(sm_dx7_param_name(0), "OP6 EG RATE 1");
    assert_string_equal(sm_dx7_param_name(5 * 21 + 16), "OP1 OUTPUT LEVEL");
    assert_string_equal(sm_dx7_param_name(126), "PITCH EG RATE 1");
    assert_string_equal(sm_dx7_param_name(134), "ALGORITHM");
    assert_string_equal(sm_dx7_param_name(144), "TRANSPOSE");
    assert_string_equal(sm_dx7_param_name(154), "NAME CHAR 10");
    assert_string_equal(sm_dx7_param_name(155), "?");
    assert_string_equal(sm_dx7_param_name(-1), "?");
    assert_int_equal(sm_dx7_param_max(20), 14);
    assert_int_equal(sm_dx7_param_max(18), 31);
    assert_int_equal(sm_dx7_param_max(134), 31);
    assert_int_equal(sm_dx7_param_max(135), 7);
    assert_int_equal(sm_dx7_param_max(142), 5);
    assert_int_equal(sm_dx7_param_max(144), 48);
    assert_int_equal(sm_dx7_param_max(155), -1);
    assert_int_equal(sm_dx7_checksum((const unsigned char *)"\x01\x02", 2), 0x7D);
    assert_int_equal(sm_dx7_checksum(NULL, 0), 0);
    assert_string_equal(sm_dx7_kind_name(SM_DX7_KIND_BULK), "32-voice bulk dump");
    assert_string_equal(sm_dx7_kind_name(0), "unknown");
}

/* ---- Specs --------------------------------------------------------------------------- */

static void load_voice_specs(void **state)
{
    const char *tmp;
    char *path, spec[4300], colon[4200];
    sm_dx7_voice v;
    char name[SM_DX7_NAME_LEN + 1];
    sm_error err = {0, ""};
    (void)state;
    SM_TEST_NEED_SHARED();
    path = shared("dx7/rom1a.syx");
    assert_int_equal(sm_dx7_load_voice(path, &v, &err), 0);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "BRASS   1");
    snprintf(spec, sizeof spec, "%s:11", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "E.PIANO 1");
    snprintf(spec, sizeof spec, "%s:e.piano 1", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
    assert_int_equal(v.vced[SM_DX7_ALGORITHM], 4);
    snprintf(spec, sizeof spec, "%s:TAKE OFF", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "TAKE OFF");
    snprintf(spec, sizeof spec, "%s:99", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), SM_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, path));
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "INIT VOICE");
    snprintf(spec, sizeof spec, "%s:NO SUCH", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), SM_ERR_NOTFOUND);
    snprintf(spec, sizeof spec, "%s:", path);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), SM_ERR_ARG);

    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    snprintf(spec, sizeof spec, "%s/missing.syx:3", tmp);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "missing.syx"));
    assert_null(strstr(err.msg, "missing.syx:3"));
    /* A file whose name holds ':'. */
    snprintf(colon, sizeof colon, "%s/a:b.syx", tmp);
    assert_int_equal(sm_dx7_load_voice(path, &v, &err), 0);
    assert_int_equal(sm_dx7_write_single(colon, &v, &err), 0);
    assert_int_equal(sm_dx7_load_voice(colon, &v, &err), 0);
    sm_dx7_voice_name(&v, name);
    assert_string_equal(name, "BRASS   1");
    snprintf(spec, sizeof spec, "%s:1", colon);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
    snprintf(spec, sizeof spec, "%s:brass   1", colon);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), 0);
    snprintf(spec, sizeof spec, "%s:2", colon);
    assert_int_equal(sm_dx7_load_voice(spec, &v, &err), SM_ERR_NOTFOUND);
    assert_int_equal(sm_dx7_load_voice(NULL, &v, &err), SM_ERR_ARG);
    assert_int_equal(sm_dx7_load_voice("", &v, &err), SM_ERR_ARG);
    remove_dir(tmp);
    free(path);
}

/* ---- Errors -------------------------------------------------------------------------- */

/* Writes d[0..n) to dir/name, loads it and expects SM_ERR_FORMAT with the file and
 * "offset <offset>" in the message. */
static void expect_format_error(const char *dir, const char *name, const unsigned char *d,
                                size_t n, size_t offset)
{
    char path[4200], want[64];
    sm_dx7_bank b;
    sm_error err = {0, ""};
    int rc;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_raw(path, d, n);
    memset(&b, 0x55, sizeof b);
    rc = sm_dx7_load(path, &b, &err);
    if (rc != SM_ERR_FORMAT) print_error("%s (%zu bytes): rc %d: %s\n", name, n, rc, err.msg);
    assert_int_equal(rc, SM_ERR_FORMAT);
    assert_int_equal(err.code, SM_ERR_FORMAT);
    assert_null(b.voices);
    assert_null(b.clamps);
    assert_int_equal(b.n, 0);
    assert_non_null(strstr(err.msg, path));
    snprintf(want, sizeof want, "offset %zu:", offset);
    if (!strstr(err.msg, want)) print_error("%s: wanted \"%s\" in: %s\n", name, want, err.msg);
    assert_non_null(strstr(err.msg, want));
    unlink(path);
}

static void format_errors(void **state)
{
    static const size_t cut_bank[] = {1, 2, 3, 5, 6, 7, 100, 2000, 4101, 4102, 4103};
    static const size_t cut_single[] = {4, 6, 100, 160, 161, 162};
    const char *tmp;
    char *path;
    unsigned char *rom, buf[8192], single[SM_DX7_SINGLE_FILE_SIZE];
    size_t n;
    sm_dx7_voice v;
    sm_error err = {0, ""};
    (void)state;
    SM_TEST_NEED_SHARED();
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    path = shared("dx7/rom1a.syx");
    rom = read_all(path, &n);
    assert_int_equal(n, 4104);

    /* Empty files. */
    expect_format_error(tmp, "empty.syx", buf, 0, 0);
    expect_format_error(tmp, "f0f7.syx", (const unsigned char *)"\xF0\xF7", 2, 1);
    /* Truncated bank at several lengths: the offset is where the data ran out. */
    for (size_t i = 0; i < sizeof cut_bank / sizeof cut_bank[0]; i++)
        expect_format_error(tmp, "cut.syx", rom, cut_bank[i], cut_bank[i]);
    /* Garbled header bytes. */
    for (size_t pos = 1; pos < 6; pos++) {
        memcpy(buf, rom, 4104);
        buf[pos] = pos == 2 ? 0x10 : 0x05;
        expect_format_error(tmp, "header.syx", buf, 4104, pos);
    }
    /* Bad closing F7, early F7, a status byte inside the data, trailing bytes. */
    memcpy(buf, rom, 4104);
    buf[4103] = 0x00;
    expect_format_error(tmp, "nof7.syx", buf, 4104, 4103);
    memcpy(buf, rom, 4104);
    buf[2000] = 0xF7;
    expect_format_error(tmp, "earlyf7.syx", buf, 4104, 2000);
    memcpy(buf, rom, 4104);
    buf[3000] = 0x90;
    expect_format_error(tmp, "status.syx", buf, 4104, 3000);
    memcpy(buf, rom, 4104);
    buf[4102] = 0xF7; /* F7 where the checksum belongs: one byte short */
    expect_format_error(tmp, "short.syx", buf, 4103, 4102);
    memcpy(buf, rom, 4104);
    buf[4104] = 0xF0;
    expect_format_error(tmp, "trailing.syx", buf, 4105, 4104);
    /* A bulk header with a single-voice byte count, and the reverse. */
    memcpy(buf, rom, 4104);
    buf[3] = 0x00;
    expect_format_error(tmp, "mixed.syx", buf, 4104, 4);

    /* Truncated single-voice dumps. */
    sm_dx7_voice_init(&v);
    {
        char one[4200];
        unsigned char *d;
        snprintf(one, sizeof one, "%s/one.syx", tmp);
        assert_int_equal(sm_dx7_write_single(one, &v, &err), 0);
        d = read_all(one, &n);
        assert_int_equal(n, sizeof single);
        memcpy(single, d, sizeof single);
        free(d);
        unlink(one);
    }
    for (size_t i = 0; i < sizeof cut_single / sizeof cut_single[0]; i++)
        expect_format_error(tmp, "cut1.syx", single, cut_single[i], cut_single[i]);
    memcpy(buf, single, sizeof single);
    buf[5] = 0x00;
    expect_format_error(tmp, "count1.syx", buf, sizeof single, 5);

    /* Streams whose size is not a multiple of 128; text; random bytes. */
    memset(buf, 0x01, sizeof buf);
    expect_format_error(tmp, "s129.bin", buf, 129, 128);
    expect_format_error(tmp, "s127.bin", buf, 127, 0);
    expect_format_error(tmp, "rom1a-data.bin", rom + 6, 4098, 4096);
    expect_format_error(tmp, "text.txt", (const unsigned char *)"not a sysex file\n", 17, 0);
    {
        uint32_t seed = 777;
        for (int k = 0; k < 300; k++) {
            size_t len = (size_t)k * 13 % 5000 + 1;
            char p[4200];
            sm_dx7_bank b;
            int rc;
            for (size_t i = 0; i < len; i++) {
                seed = seed * 1664525u + 1013904223u;
                buf[i] = (unsigned char)(seed >> 24);
            }
            if (k % 2) buf[0] = 0xF0; /* half look like sysex */
            if (k % 4 == 1 && len > 3) {
                memcpy(buf, rom, 4); /* a good start */
            }
            snprintf(p, sizeof p, "%s/random.bin", tmp);
            write_raw(p, buf, len);
            rc = sm_dx7_load(p, &b, &err);
            if (rc == 0) {
                /* Only a stream of whole voices may load. */
                assert_int_not_equal(buf[0], 0xF0);
                assert_int_equal(len % 128, 0);
                assert_int_equal(b.n, len / 128);
                sm_dx7_bank_free(&b);
            } else {
                assert_int_equal(rc, SM_ERR_FORMAT);
                assert_non_null(strstr(err.msg, "offset "));
            }
            unlink(p);
        }
    }
    /* A missing file is an I/O error, not a format error. */
    {
        char p[4200];
        sm_dx7_bank b;
        snprintf(p, sizeof p, "%s/none.syx", tmp);
        assert_int_equal(sm_dx7_load(p, &b, &err), SM_ERR_IO);
        assert_non_null(strstr(err.msg, "none.syx"));
        assert_int_equal(sm_dx7_load(NULL, &b, &err), SM_ERR_ARG);
    }
    assert_int_equal(count_entries(tmp), 0);
    free(rom);
    free(path);
    remove_dir(tmp);
}

/* A bad checksum is a warning, not an error. */
static void bad_checksum(void **state)
{
    const char *tmp;
    char *path, out[4200];
    unsigned char *rom;
    size_t n;
    sm_dx7_bank a, b;
    (void)state;
    SM_TEST_NEED_SHARED();
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    path = shared("dx7/rom2a.syx");
    rom = read_all(path, &n);
    rom[4102] ^= 0x11;
    snprintf(out, sizeof out, "%s/badsum.syx", tmp);
    write_raw(out, rom, n);
    load_ok(out, &b);
    load_ok(path, &a);
    assert_int_equal(b.checksum_ok, 0);
    assert_int_equal(b.checksum_stored, rom[4102]);
    assert_int_equal(b.checksum_computed, rom[4102] ^ 0x11);
    assert_int_equal(b.n_clamped, 0);
    assert_memory_equal(a.voices, b.voices, 32 * sizeof *a.voices);
    sm_dx7_bank_free(&a);
    sm_dx7_bank_free(&b);
    free(rom);
    free(path);
    remove_dir(tmp);
}

/* ---- Writing ------------------------------------------------------------------------- */

static void write_errors_leave_nothing(void **state)
{
    const char *tmp;
    char p[4200];
    sm_dx7_voice v[33];
    sm_error err = {0, ""};
    (void)state;
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    for (int i = 0; i < 33; i++) sm_dx7_voice_init(&v[i]);
    snprintf(p, sizeof p, "%s/no/such/folder/bank.syx", tmp);
    assert_int_equal(sm_dx7_write_bank(p, v, 32, &err), SM_ERR_IO);
    assert_non_null(strstr(err.msg, "bank.syx"));
    snprintf(p, sizeof p, "%s/no/one.syx", tmp);
    assert_int_equal(sm_dx7_write_single(p, v, &err), SM_ERR_IO);
    snprintf(p, sizeof p, "%s/bank.syx", tmp);
    assert_int_equal(sm_dx7_write_bank(p, v, 33, &err), SM_ERR_ARG);
    assert_int_equal(sm_dx7_write_bank(p, NULL, 3, &err), SM_ERR_ARG);
    assert_int_equal(sm_dx7_write_single(p, NULL, &err), SM_ERR_ARG);
    assert_int_equal(sm_dx7_write_bank(NULL, v, 1, &err), SM_ERR_ARG);
    assert_int_equal(count_entries(tmp), 0);
    /* A successful write leaves exactly the file, no temporary beside it. */
    assert_int_equal(sm_dx7_write_bank(p, v, 32, &err), 0);
    assert_int_equal(sm_dx7_write_bank(p, v, 0, &err), 0);
    assert_int_equal(count_entries(tmp), 1);
    remove_dir(tmp);
}

static void write_bank_pads_with_init(void **state)
{
    const char *tmp;
    char p[4200], name[SM_DX7_NAME_LEN + 1];
    sm_dx7_voice v[2], init;
    double native[SM_FM6_NPARAMS];
    sm_dx7_bank b;
    sm_error err = {0, ""};
    (void)state;
    tmp = sm_test_tmpdir();
    assert_non_null(tmp);
    sm_dx7_voice_init(&init);
    sm_dx7_voice_init(&v[0]);
    sm_dx7_voice_to_native(&v[0], native);
    native[SM_DX7_ALGORITHM] = 32;
    native[SM_DX7_FEEDBACK] = 5;
    sm_dx7_voice_from_native(&v[1], native, "my~voice\\x");
    snprintf(p, sizeof p, "%s/two.syx", tmp);
    assert_int_equal(sm_dx7_write_bank(p, v, 2, &err), 0);
    load_ok(p, &b);
    assert_int_equal(b.n, 32);
    assert_int_equal(b.n_clamped, 0);
    assert_int_equal(b.checksum_ok, 1);
    sm_dx7_voice_name(&b.voices[1], name);
    assert_string_equal(name, "my-voice/x");
    assert_int_equal(b.voices[1].vced[SM_DX7_ALGORITHM], 31);
    assert_int_equal(b.voices[1].vced[SM_DX7_FEEDBACK], 5);
    for (size_t i = 2; i < 32; i++) assert_memory_equal(&b.voices[i], &init, sizeof init);
    sm_dx7_bank_free(&b);
    remove_dir(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_voices),
        cmocka_unit_test(clamp_counts),
        cmocka_unit_test(layout_matches_format_text),
        cmocka_unit_test(bank_round_trip),
        cmocka_unit_test(single_round_trip),
        cmocka_unit_test(stream_round_trip),
        cmocka_unit_test(init_voice),
        cmocka_unit_test(pack_unpack_garbage),
        cmocka_unit_test(native_values),
        cmocka_unit_test(names_and_tables),
        cmocka_unit_test(load_voice_specs),
        cmocka_unit_test(format_errors),
        cmocka_unit_test(bad_checksum),
        cmocka_unit_test(write_errors_leave_nothing),
        cmocka_unit_test(write_bank_pads_with_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
