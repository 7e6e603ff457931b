"""The loyalty engine's pure rules: programs, tiers, quotes, cards, the ledger's invariants."""
