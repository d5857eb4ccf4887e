/**
 * OpenAI-compatible upstream (OpenAI, OpenRouter, vLLM, Ollama...): chat completions over SSE with
 * `stream_options.include_usage`, so the last chunk carries the provider's own token counts.
 */
import { readSseBatches } from './sse.ts';
import {
  ProviderStreamError,
  httpError,
  type FinishReason,
  type ProviderEvent,
  type ProviderStream,
} from './types.ts';

interface OpenAiChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number } | null;
  } | null;
  error?: { message?: string };
}

function finish(reason: string): FinishReason {
  return reason === 'length' || reason === 'content_filter' || reason === 'tool_calls' ? reason : 'stop';
}

export const openaiStream: ProviderStream = async (upstream, request, { signal, transport }) => {
  const official = upstream.baseUrl.includes('api.openai.com');
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
    [official ? 'max_completion_tokens' : 'max_tokens']: request.maxTokens,
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop) body.stop = request.stop;
  if (request.responseFormat) body.response_format = request.responseFormat;
  const response = await transport(`${upstream.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {}),
    },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) throw await httpError('openai', response);
  return translate(readSseBatches(response.body));
};

async function* translate(
  batches: AsyncGenerator<{ data: string; event?: string | undefined }[]>,
): AsyncGenerator<ProviderEvent> {
  let done = false;
  try {
    reading: for await (const batch of batches)
      for (const event of batch) {
        if (event.data === '[DONE]') {
          done = true;
          break reading;
        }
        let chunk: OpenAiChunk;
        try {
          chunk = JSON.parse(event.data) as OpenAiChunk;
        } catch (error) {
          throw new ProviderStreamError('openai', 'malformed', 'openai sent a malformed stream event', {
            cause: error,
          });
        }
        if (chunk.error)
          throw new ProviderStreamError(
            'openai',
            'error_event',
            `openai stream error: ${chunk.error.message ?? 'unknown'}`,
          );
        for (const choice of chunk.choices ?? []) {
          const text = choice.delta?.content;
          if (text) yield { type: 'delta', text };
          if (choice.finish_reason) yield { type: 'finish', reason: finish(choice.finish_reason) };
        }
        if (chunk.usage) {
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
          yield {
            type: 'usage',
            ...(chunk.usage.prompt_tokens !== undefined ? { inputTokens: chunk.usage.prompt_tokens } : {}),
            ...(chunk.usage.completion_tokens !== undefined
              ? { outputTokens: chunk.usage.completion_tokens }
              : {}),
            ...(cached ? { cachedInputTokens: cached } : {}),
          };
        }
      }
  } catch (error) {
    if (error instanceof ProviderStreamError) throw error;
    throw new ProviderStreamError('openai', 'cut', 'the openai stream broke off mid-answer', {
      cause: error,
    });
  }
  if (!done) throw new ProviderStreamError('openai', 'cut', 'the openai stream ended without [DONE]');
}
