"""The matching platform: load a partition, run the engine, write proposals; urgent waves; explanations."""
