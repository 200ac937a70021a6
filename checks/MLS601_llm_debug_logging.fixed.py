"""MLS601 llm-debug-logging: switches that make an LLM stack log prompts, responses and API keys.

Reported at low severity inside `if __name__ == "__main__":` blocks and in test files.
Annotations: `# expect: CODE` marks a line that must be reported; `# ok` marks a clean look-alike.
"""
import logging
import os

import langchain
import litellm
import openai
from langchain.globals import set_debug, set_verbose


litellm.set_verbose = False  # ok: turned off
set_verbose(False)  # ok: turned off
os.environ["LITELLM_LOG"] = "ERROR"  # ok: errors only
logging.getLogger("litellm").setLevel(logging.WARNING)  # ok: quieter
litellm.drop_params = True  # ok: another setting


def completion(prompt):
    return litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])


if __name__ == "__main__":
    print(completion("hello"))
