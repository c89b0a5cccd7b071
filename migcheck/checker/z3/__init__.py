"""The z3 engine: bounded search and unbounded proofs from the model's own expression trees."""
