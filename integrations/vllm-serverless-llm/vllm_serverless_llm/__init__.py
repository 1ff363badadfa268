"""vLLM plugin: `--load-format serverless_llm` through vLLM's model-loader registry.

vLLM calls `register` in every process through the `vllm.general_plugins` entry point."""

__version__ = "0.1.0"

LOAD_FORMAT = "serverless_llm"


def register():
    from vllm.model_executor.model_loader import register_model_loader

    from .loader import ServerlessLLMLoader

    register_model_loader(LOAD_FORMAT)(ServerlessLLMLoader)
