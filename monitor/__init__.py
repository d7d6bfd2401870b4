"""Monitor: text analysis, the CLI, the sample web and (later) scheduling, digests and review."""
