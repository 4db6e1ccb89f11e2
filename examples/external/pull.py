#!/usr/bin/env python3
"""The command of an externally served model (serving: external): Refit runs it when the model's
triggers fire (for example the accept rate of its suggestions falls). A real one would pull a
newer model into Ollama or fine-tune one; this example only derives the next tag. The last line
of standard output is the new model's reference, which Refit records as the new version.

Declare it as: pull: { run: [/usr/bin/python3, examples/external/pull.py], format: reference }
"""
import os

previous = os.environ.get("REFIT_PREVIOUS_REFERENCE", "")
model = os.environ.get("REFIT_MODEL_ID", "assistant")
print(f"previous reference: {previous or 'none'}", flush=True)
# e.g. subprocess.run(["ollama", "pull", "llama3.2"], check=True)
generation = int(previous.rsplit("-g", 1)[1]) + 1 if "-g" in previous else 1
print(f"ollama/{model}-g{generation}")
