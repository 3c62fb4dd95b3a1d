"""The refresh pipeline: one module per stage, and what the stages share (the run ledger, politeness, checks, the summary)."""
