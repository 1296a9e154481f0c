"""An OpenAI-compatible chat endpoint (Ollama, vLLM, hosted) behind LlamaIndex's LLM interface.

LlamaIndex's own OpenAI integrations are separate packages; this small ``CustomLLM``
speaks ``POST {base_url}/chat/completions`` with httpx, so any OpenAI-compatible
server works and the rest of LlamaIndex (query engines, callbacks) can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import Field, PrivateAttr

from copilot.core.settings import Settings


class OpenAICompatibleLLM(CustomLLM):
    """Chat completions against any OpenAI-compatible ``base_url`` (temperature 0 by default)."""

    base_url: str = Field(description="e.g. http://localhost:11434/v1")
    model: str = "llama3.1:8b"
    api_key: str | None = None
    timeout_s: float = 60.0
    max_tokens: int = 512
    temperature: float = 0.0
    _client: httpx.Client = PrivateAttr()

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._client = httpx.Client(base_url=self.base_url.rstrip("/"), headers=headers, timeout=self.timeout_s)

    @classmethod
    def class_name(cls) -> str:
        return "openai_compatible_llm"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model, is_chat_model=True, num_output=self.max_tokens)

    def _post(self, messages: list[dict[str, str]]) -> str:
        resp = self._client.post(
            "/chat/completions",
            json={
                "model": self.model,
                "messages": messages,
                "temperature": self.temperature,
                "max_tokens": self.max_tokens,
                "stream": False,
            },
        )
        resp.raise_for_status()
        data = resp.json()
        return str(data["choices"][0]["message"]["content"] or "")

    def chat_messages(self, messages: list[dict[str, str]]) -> str:
        """Plain-dict convenience used by the answerer; goes through :meth:`chat`."""
        msgs = [ChatMessage(role=MessageRole(m["role"]), content=m["content"]) for m in messages]
        return str(self.chat(msgs).message.content or "")

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        payload = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        text = self._post(payload)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._post([{"role": "user", "content": prompt}]))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        # Answers are verified sentence by sentence before anything is shown, so there is
        # nothing to gain from token streaming here; yield the whole completion once.
        text = self._post([{"role": "user", "content": prompt}])
        yield CompletionResponse(text=text, delta=text)

    def close(self) -> None:
        self._client.close()


def build_llm(settings: Settings) -> OpenAICompatibleLLM | None:
    """The configured LLM, or None for extractive mode."""
    if not settings.llm_base_url:
        return None
    return OpenAICompatibleLLM(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )
