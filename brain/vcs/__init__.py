"""The only way brain talks to git: one gateway over brain.process, and the verbs built on it."""
