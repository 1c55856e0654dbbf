"""The attack suites: hostile workbooks, tampered releases, a fuzz of validate, faults and races."""
