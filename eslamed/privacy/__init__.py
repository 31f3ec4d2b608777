"""KVKK rights (Law No. 6698): what is held about one person, its export and erasure everywhere, the
erasure ledger that keeps a restored backup from bringing an erased person back, the access log of
personal data, and the retention the KVKK page declares."""
