"""Cited answers: the answerer and the LLM client."""
