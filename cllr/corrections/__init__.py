"""Corrections from councils and the public: the intake, typed operations, credentials, the accounts CSV and erasure."""
