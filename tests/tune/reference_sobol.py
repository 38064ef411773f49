"""Reference hashes of the unscrambled Sobol sequence for test_samplers.c.

SciPy's qmc.Sobol uses Joe and Kuo's new-joe-kuo-6.21201 direction numbers
(30 bits here) in Gray-code order: its point i is dial's point i ^ (i >> 1).
For each of the first 40 dimensions, prints an FNV-style hash of the
coordinates (as 30-bit integers) of points i = 0 .. 4095:
    h = 14695981039346656037; h = (h ^ x_i) * 1099511628211 mod 2^64,
which dial's test recomputes from the top 30 bits of its 32-bit coordinates.

Run with /usr/bin/python3 (SciPy 1.10).
"""
import numpy as np
from scipy.stats import qmc

N, D = 4096, 40
points = qmc.Sobol(d=D, scramble=False, bits=30).random(N)
ints = np.rint(points * 2.0**30).astype(np.uint64)
hashes = []
for d in range(D):
    h = 14695981039346656037
    for x in ints[:, d]:
        h = ((h ^ int(x)) * 1099511628211) % 2**64
    hashes.append(h)
for start in range(0, D, 3):
    print("    " + ", ".join("UINT64_C(%d)" % h for h in hashes[start:start + 3]) + ",")
