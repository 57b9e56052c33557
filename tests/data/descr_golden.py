#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/data/descr_golden.py: golden values of the seven sound descriptors' frame measures.

Computes, with numpy in double precision and written from librosa 0.10/0.11's published
definitions (librosa.feature.rms, zero_crossing_rate, spectral_centroid, spectral_rolloff,
spectral_bandwidth, spectral_flatness and librosa.yin, at their defaults: frame 2048, hop
512, centred; yin with win_length 1024, trough_threshold 0.1, fmin 45 Hz, fmax 2000 Hz), one
CSV row per frame: rms, zcr, centroid_hz, rolloff_hz, bandwidth_hz, flatness, f0_hz, voiced.
It needs only numpy (Debian's python3-numpy), not librosa, and shares no code with
features/descriptors.c; tests/test_features_descriptors.c compares the two.

Usage: tests/data/descr_golden.py WAV OUT.csv
"""
import sys
import wave

import numpy as np

N_FFT, HOP, WIN = 2048, 512, 1024
FMIN, FMAX, THRESHOLD, ROLL = 45.0, 2000.0, 0.1, 0.85


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        sr = w.getframerate()
        y = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    # libsndfile reads 16-bit PCM as float: value / 32768
    return (y.astype(np.float32) / np.float32(32768.0)).astype(np.float64), sr


def frames(y, pad_mode):
    y = np.pad(y, N_FFT // 2, mode=pad_mode)
    n = 1 + (len(y) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
    return y[idx]                                   # frames x N_FFT


def spectra(y, sr):
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)   # periodic Hann
    S = np.abs(np.fft.rfft(frames(y, "constant") * window, axis=1))      # magnitude
    freq = np.linspace(0, sr / 2, 1 + N_FFT // 2)
    tot = S.sum(axis=1, keepdims=True)
    ok = tot > np.finfo(float).tiny                  # librosa.util.normalize leaves 0 columns
    Sn = np.where(ok, S / np.where(ok, tot, 1), S)
    centroid = (Sn * freq).sum(axis=1)
    bandwidth = np.sqrt((Sn * (freq[None, :] - centroid[:, None]) ** 2).sum(axis=1))
    cum = np.cumsum(S, axis=1)
    ind = np.where(cum < ROLL * cum[:, -1:], np.nan, 1.0)
    rolloff = np.nanmin(ind * freq, axis=1)
    P = np.maximum(1e-10, S ** 2)
    flatness = np.exp(np.mean(np.log(P), axis=1)) / np.mean(P, axis=1)
    return centroid, rolloff, bandwidth, flatness


def zcr(y):
    f = frames(y, "edge").copy()
    f[np.abs(f) <= 1e-10] = 0
    s = np.signbit(f)
    cross = s[:, 1:] != s[:, :-1]
    return cross.sum(axis=1) / N_FFT


def yin(y, sr):
    f = frames(y, "constant")
    min_p = int(np.floor(sr / FMAX))
    max_p = min(int(np.ceil(sr / FMIN)), N_FFT - WIN - 1)
    a = np.fft.rfft(f, N_FFT, axis=1)
    b = np.fft.rfft(f[:, WIN:0:-1], N_FFT, axis=1)
    acf = np.fft.irfft(a * b, N_FFT, axis=1)[:, WIN:]
    acf[np.abs(acf) < 1e-6] = 0
    e = np.cumsum(f ** 2, axis=1)
    e = e[:, WIN:] - e[:, :-WIN]
    e[np.abs(e) < 1e-6] = 0
    d = e[:, :1] + e - 2 * acf
    num = d[:, min_p:max_p + 1]
    cm = np.cumsum(d[:, 1:max_p + 1], axis=1) / np.arange(1, max_p + 1)
    den = cm[:, min_p - 1:max_p]
    c = num / (den + np.finfo(float).tiny)
    f0 = np.zeros(len(c))
    voiced = np.zeros(len(c), dtype=int)
    for t, x in enumerate(c):
        L = len(x)
        trough = np.zeros(L, dtype=bool)
        trough[1:-1] = (x[1:-1] < x[:-2]) & (x[1:-1] <= x[2:])
        trough[0] = x[0] < x[1]
        trough[-1] = x[-1] < x[-2]
        cand = np.nonzero(trough & (x < THRESHOLD))[0]
        if len(cand):
            i = cand[0]
            voiced[t] = 1
        else:
            i = int(np.argmin(x))
        shift = 0.0
        if 0 < i < L - 1:
            aa = x[i + 1] + x[i - 1] - 2 * x[i]
            bb = (x[i + 1] - x[i - 1]) / 2
            if abs(bb) < abs(aa):
                shift = -bb / aa
        f0[t] = sr / (min_p + i + shift)
    return f0, voiced


def main():
    y, sr = read_wav(sys.argv[1])
    rms = np.sqrt(np.mean(frames(y, "constant") ** 2, axis=1))
    centroid, rolloff, bandwidth, flatness = spectra(y, sr)
    f0, voiced = yin(y, sr)
    with open(sys.argv[2], "w") as out:
        out.write("# %s: librosa definitions computed by tests/data/descr_golden.py\n" % sys.argv[1].split("/")[-1])
        out.write("rms,zcr,centroid_hz,rolloff_hz,bandwidth_hz,flatness,f0_hz,voiced\n")
        for row in zip(rms, zcr(y), centroid, rolloff, bandwidth, flatness, f0, voiced):
            out.write(",".join("%.17g" % v for v in row[:-1]) + ",%d\n" % row[-1])


if __name__ == "__main__":
    main()
