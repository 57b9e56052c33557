/* SPDX-License-Identifier: GPL-3.0-or-later */
/* synths/mtpreset_internal.h: what the .mtpreset reader and writer share (not installed). */
#ifndef SM_MTPRESET_INTERNAL_H
#define SM_MTPRESET_INTERNAL_H

#ifdef __cplusplus
extern "C" {
#endif

/* One label of an enumerated drum parameter as a preset file writes it. Tables end with a
 * NULL label; a value's first label is the one Microtonic writes, later ones are aliases. */
typedef struct {
    const char *label;
    int value;
} sm_mtp_label;

extern const sm_mtp_label sm_mtp_wave_names[];   /* OscWave */
extern const sm_mtp_label sm_mtp_mod_names[];    /* ModMode */
extern const sm_mtp_label sm_mtp_filter_names[]; /* NFilMod */
extern const sm_mtp_label sm_mtp_onoff_names[];  /* NStereo, Choke */
extern const sm_mtp_label sm_mtp_nenv_names[];   /* NEnvMod */
extern const sm_mtp_label sm_mtp_output_names[]; /* Output */

#ifdef __cplusplus
}
#endif

#endif
