print("tern-bench: store benchmark (see docs/benchmarks.md)")
